//! The `vigil` binary: parse arguments, read the clock once, hand over to the
//! library.

use clap::Parser;
use vigil::clock::{Clock, SystemClock};

fn main() {
    let cli = vigil::cli::Cli::parse();
    let code = vigil::cli::run(
        cli,
        SystemClock.now(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    std::process::exit(code);
}
