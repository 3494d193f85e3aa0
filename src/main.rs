//! The `vigil` binary: parse arguments, read the clock once, hand over to the
//! library.

use clap::Parser;
use vigil::clock::{Clock, SystemClock};

fn main() {
    // reqwest is built without a TLS provider of its own: use ring, as sqlx does.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = vigil::cli::Cli::parse();
    // Unlocked handles: each write takes the lock briefly. Holding
    // `stderr().lock()` here would block the server's log writes from other
    // threads for good (and with them shutdown).
    let code = vigil::cli::run(
        cli,
        SystemClock.now(),
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    );
    std::process::exit(code);
}
