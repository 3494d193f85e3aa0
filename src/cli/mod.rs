//! The `vigil` command line — IO: reads rota files, calls the pure engine,
//! prints. `run` takes `now` and the output streams as parameters so tests
//! and `main` drive it the same way; it returns the process exit code.

mod output;
mod server;

use crate::rota::civil::{self, InstantError};
use crate::rota::file::{FileErrors, parse_rota};
use crate::rota::{self, Instant, Rota, checks, fairness};
use chrono::Duration;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Parser)]
#[command(name = "vigil", version, long_version = long_version(), about = "On-call scheduling and paging")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// `vigil --version`: the build and the tz database in use.
fn long_version() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| {
        format!(
            "{}\ntzdata {}",
            env!("CARGO_PKG_VERSION"),
            crate::tz::database().source
        )
    })
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Work with rota files (rotas as code).
    #[command(subcommand)]
    Rota(RotaCommand),
    /// Run the server (applies pending migrations first; on an empty
    /// database, loads the rotas in ./schedules).
    Serve(server::ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(server::DbArgs),
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Rotas as code: load rota files into the database, or write them out.
    #[command(subcommand)]
    Schedules(SchedulesCommand),
    /// Check an installation: the database, the tz database, and every
    /// service's ladder over the next 14 days (exit 1 if a page could reach
    /// nobody).
    Doctor(server::DbArgs),
    /// Print a one-time link that signs a person in to the web console
    /// (valid 10 minutes, single use): the first sign-in, or a locked-out
    /// person.
    LoginLink {
        /// The person's handle.
        #[arg(long)]
        person: String,
        #[command(flatten)]
        db: server::DbArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token and print it (alone) on standard output.
    Create {
        #[arg(long, value_parser = ["admin", "lead", "responder"])]
        role: String,
        /// Team(s) a lead token leads (repeat for several).
        #[arg(long = "team")]
        teams: Vec<String>,
        /// The person a responder token acts as.
        #[arg(long)]
        person: Option<String>,
        #[command(flatten)]
        db: server::DbArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum SchedulesCommand {
    /// Load every *.toml rota in DIR into the database (idempotent), printing
    /// what is added, changed or removed.
    Apply {
        dir: PathBuf,
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        db: server::DbArgs,
    },
    /// Write every stored rota to DIR as a rota file.
    Export {
        dir: PathBuf,
        #[command(flatten)]
        db: server::DbArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum RotaCommand {
    /// Every shift in a window, per layer.
    Preview {
        file: PathBuf,
        /// Start of the window (RFC 3339, or a local date/date-time in the rota's zone); default now.
        #[arg(long)]
        from: Option<String>,
        /// End of the window; default 14 days after --from.
        #[arg(long)]
        to: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Who is on call at an instant, per layer and per role.
    Who {
        file: PathBuf,
        /// The instant (default now).
        #[arg(long)]
        at: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Check rotas for coverage gaps and fatigue and fairness rules. Exits 1 on
    /// any violation, 2 on a file it cannot read.
    Check {
        /// A rota file, or a directory of them (*.toml).
        path: PathBuf,
        /// Default now.
        #[arg(long)]
        from: Option<String>,
        /// Default 90 days after --from.
        #[arg(long)]
        to: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// On-call, night, weekend and holiday hours per person.
    Fairness {
        file: PathBuf,
        /// Default now.
        #[arg(long)]
        from: Option<String>,
        /// Default 90 days after --from.
        #[arg(long)]
        to: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Ics,
}

/// Exit codes: 0 fine, 1 rota check found violations (or `doctor` found a
/// problem), 2 bad input.
pub fn run(cli: Cli, now: Instant, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let result = match cli.command {
        Command::Rota(cmd) => rota_command(cmd, now, out, err),
        Command::Serve(args) => server::serve(args, out),
        Command::Migrate(db) => server::migrate(db, out),
        Command::Token(TokenCommand::Create {
            role,
            teams,
            person,
            db,
        }) => server::token_create(role, teams, person, db, out),
        Command::Schedules(SchedulesCommand::Apply { dir, dry_run, db }) => {
            server::schedules_apply(dir, dry_run, db, out)
        }
        Command::Schedules(SchedulesCommand::Export { dir, db }) => {
            server::schedules_export(dir, db, out)
        }
        Command::Doctor(db) => server::doctor(db, now, out),
        Command::LoginLink { person, db } => server::login_link(person, db, out),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            let _ = writeln!(err, "error: {message}");
            2
        }
    }
}

fn rota_command(
    cmd: RotaCommand,
    now: Instant,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32, String> {
    let io = |e: std::io::Error| format!("cannot write output: {e}");
    match cmd {
        RotaCommand::Preview {
            file,
            from,
            to,
            format,
        } => {
            let mut rota = load(&file)?;
            if format == Format::Ics {
                // The server names a rota TEAM/FILE-STEM; calendar UIDs are
                // made from the name, so an imported preview and a
                // subscribed feed hold the same events, not duplicates.
                let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("rota");
                rota.name = format!("{}/{stem}", rota.name);
            }
            let (from, to) = window(&rota, from, to, now, 14)?;
            let shifts = rota::shifts_between(&rota, from, to);
            output::preview(out, &rota, &shifts, format, now).map_err(io)?;
            Ok(0)
        }
        RotaCommand::Who { file, at, format } => {
            let rota = load(&file)?;
            let at = at
                .map(|a| instant(&a, &rota, "--at"))
                .transpose()?
                .unwrap_or(now);
            output::who(out, &rota, at, format).map_err(io)?;
            Ok(0)
        }
        RotaCommand::Check {
            path,
            from,
            to,
            format,
        } => check(&path, from, to, format, now, out, err),
        RotaCommand::Fairness {
            file,
            from,
            to,
            format,
        } => {
            let rota = load(&file)?;
            let (from, to) = window(&rota, from, to, now, 90)?;
            let rows = fairness::fairness_between(&rota, from, to);
            output::fairness(out, &rows, format).map_err(io)?;
            Ok(0)
        }
    }
}

fn check(
    path: &Path,
    from: Option<String>,
    to: Option<String>,
    format: Format,
    now: Instant,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32, String> {
    let files = rota_files(path)?;
    let mut reports = Vec::new();
    let mut unreadable = Vec::new();
    let mut loaded = Vec::new();
    for f in &files {
        match load_with_text(f) {
            Ok((rota, text)) => {
                let (a, b) = window(&rota, from.clone(), to.clone(), now, 90)?;
                reports.push(output::CheckReport {
                    file: f.display().to_string(),
                    from: a,
                    to: b,
                    violations: checks::check(&rota, a, b),
                });
                loaded.push((f.display().to_string(), text, rota));
            }
            Err(e) => unreadable.push(e),
        }
    }
    // Services' ladders must name rotas, layers and people of these files.
    unreadable.extend(crate::engine::schedules::check_services(
        &loaded,
        crate::config::allow_private_webhooks(),
    ));
    output::check(out, err, &reports, &unreadable, format)
        .map_err(|e| format!("cannot write output: {e}"))?;
    Ok(if !unreadable.is_empty() {
        2
    } else if reports.iter().any(|r| !r.violations.is_empty()) {
        1
    } else {
        0
    })
}

fn rota_files(path: &Path) -> Result<Vec<PathBuf>, String> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!(
            "{}: no *.toml rota files in this directory",
            path.display()
        ));
    }
    Ok(files)
}

/// Reads and parses a rota file; files it names are read relative to it.
pub fn load(path: &Path) -> Result<Rota, String> {
    load_with_text(path).map(|(r, _)| r)
}

fn load_with_text(path: &Path) -> Result<(Rota, String), String> {
    let text = crate::files::read_rota_file(path)?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let include = |name: &str| crate::files::read_rota_file(&dir.join(name));
    let rota =
        parse_rota(&path.display().to_string(), &text, &include).map_err(|FileErrors(errs)| {
            errs.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        })?;
    Ok((rota, text))
}

fn window(
    rota: &Rota,
    from: Option<String>,
    to: Option<String>,
    now: Instant,
    days: i64,
) -> Result<(Instant, Instant), String> {
    let from = from
        .map(|f| instant(&f, rota, "--from"))
        .transpose()?
        .unwrap_or(now);
    let to = to
        .map(|t| instant(&t, rota, "--to"))
        .transpose()?
        .unwrap_or(from + Duration::days(days));
    if to <= from {
        return Err("--to must be after --from".into());
    }
    let max = crate::rota::file::limits::MAX_WINDOW_DAYS;
    if to - from > Duration::days(max) {
        return Err(format!("--to: a window may span at most {max} days"));
    }
    Ok((from, to))
}

/// An instant from the command line: RFC 3339, or a local date-time or date
/// in the rota's zone.
fn instant(s: &str, rota: &Rota, flag: &str) -> Result<Instant, String> {
    civil::parse_instant(s, &rota.zone).map_err(|e| match e {
        InstantError::Unreadable => {
            format!("{flag}: \"{s}\" is not a date or date-time (e.g. 2026-03-08, 2026-03-08T09:00 or 2026-03-08T14:00:00Z)")
        }
        InstantError::DoesNotExist => format!("{flag}: {s} does not exist in {} (daylight saving time gap)", rota.zone),
    })
}
