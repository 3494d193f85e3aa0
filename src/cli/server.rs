//! Server-side commands: serve, migrate, token create, schedules apply and
//! export. Each builds a tokio runtime and talks to the database.

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, Given};
use crate::engine::{documents, schedules};
use crate::store::Store;
use crate::store::{AlertReads as _, Reads as _};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Args, Clone)]
pub struct DbArgs {
    /// Database URL: sqlite://FILE (default sqlite://vigil.db) or postgres://…
    #[arg(long, env = "VIGIL_DATABASE_URL")]
    pub database_url: Option<String>,
    /// A TOML settings file: every VIGIL_* setting has a key in it (see
    /// `vigil serve --print-config`); environment variables and flags win.
    #[arg(long, env = "VIGIL_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, env = "VIGIL_LISTEN")]
    pub listen: Option<String>,
    /// The address people and providers reach Vigil at (used in feed URLs).
    #[arg(long, env = "VIGIL_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Print the effective settings (secrets redacted) as TOML and exit.
    #[arg(long)]
    pub print_config: bool,
    #[command(flatten)]
    pub db: DbArgs,
}

fn config(
    listen: Option<String>,
    public_url: Option<String>,
    db: DbArgs,
) -> Result<Config, String> {
    Config::resolve(Given {
        listen,
        public_url,
        database_url: db.database_url,
        config: db.config,
    })
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Runtime::new().map_err(|e| format!("cannot start the async runtime: {e}"))
}

async fn store(cfg: &Config) -> Result<Store, String> {
    let s = Store::connect_with(&cfg.database_url, cfg.pool)
        .await
        .map_err(|e| format!("database: {e}"))?;
    s.migrate().await.map_err(|e| format!("migrations: {e}"))?;
    Ok(s)
}

pub fn serve(args: ServeArgs, out: &mut dyn Write) -> Result<i32, String> {
    let cfg = config(args.listen, args.public_url, args.db)?;
    if args.print_config {
        write!(out, "{}", cfg.print()).map_err(|e| e.to_string())?;
        return Ok(0);
    }
    crate::logs::init(cfg.log_json);
    runtime()?.block_on(async {
        let app = crate::app::App::build(&cfg, Arc::new(SystemClock))
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(
            port = app.port(),
            console = %format!("{}/", app.public_url().trim_end_matches('/')),
            tzdata = %crate::tz::database().source,
            config = ?cfg,
            "vigil is serving"
        );
        // On standard error, where whoever started it looks (JSON logs
        // stay one JSON object per line: the log line above has the URL).
        if !cfg.log_json {
            eprintln!(
            "Vigil is running. Web console: {}/  (first sign-in: `vigil login-link --person HANDLE`, or the admin token in {})",
            app.public_url().trim_end_matches('/'),
            cfg.admin_token_file.display()
        );
        }
        if cfg.notify.twilio_account_sid.is_some() {
            // The one URL to paste into Twilio; the others travel with each message.
            let base = app.public_url().trim_end_matches('/');
            let sms = format!("{base}/api/v1/callbacks/twilio/sms");
            tracing::info!(messaging_webhook = %sms, "Twilio: set the number's messaging webhook (\"A message comes in\", HTTP POST) to this URL");
            if !cfg.log_json {
                eprintln!(
                    "Twilio: set your number's messaging webhook (\"A message comes in\", HTTP POST) to {sms}\n        calls post keypresses to {base}/api/v1/callbacks/twilio/voice and delivery reports go to {base}/api/v1/callbacks/twilio/status (both sent with each message)"
                );
            }
        }
        app.run_until_stopped(crate::app::shutdown_signal())
            .await
            .map_err(|e| e.to_string())?;
        Ok(0)
    })
}

pub fn migrate(db: DbArgs, out: &mut dyn Write) -> Result<i32, String> {
    let cfg = config(None, None, db)?;
    runtime()?.block_on(async {
        store(&cfg).await?.close().await;
        writeln!(out, "migrations applied").map_err(|e| e.to_string())?;
        Ok(0)
    })
}

pub fn token_create(
    role: String,
    teams: Vec<String>,
    person: Option<String>,
    db: DbArgs,
    out: &mut dyn Write,
) -> Result<i32, String> {
    let cfg = config(None, None, db)?;
    runtime()?.block_on(async {
        let s = store(&cfg).await?;
        let (_, secret) = crate::engine::directory::issue_token(
            &s,
            &role,
            teams,
            person,
            "vigil token create",
            SystemClock.now(),
        )
        .await
        .map_err(|e| e.to_string())?;
        writeln!(out, "{secret}").map_err(|e| e.to_string())?;
        s.close().await;
        Ok(0)
    })
}

pub fn login_link(person: String, db: DbArgs, out: &mut dyn Write) -> Result<i32, String> {
    let cfg = config(None, None, db)?;
    runtime()?.block_on(async {
        let s = store(&cfg).await?;
        let secret = crate::engine::console::issue_login_link(&s, &person, SystemClock.now())
            .await
            .map_err(|e| format!("--person: {e}"))?;
        writeln!(
            out,
            "{}/login/link/{secret}",
            cfg.public_url.trim_end_matches('/')
        )
        .map_err(|e| e.to_string())?;
        s.close().await;
        Ok(0)
    })
}

pub fn schedules_apply(
    dir: PathBuf,
    dry_run: bool,
    db: DbArgs,
    out: &mut dyn Write,
) -> Result<i32, String> {
    let cfg = config(None, None, db)?;
    runtime()?.block_on(async {
        let s = store(&cfg).await?;
        let changes = schedules::apply(
            &s,
            &dir,
            dry_run,
            "vigil schedules apply",
            SystemClock.now().timestamp(),
            cfg.notify.allow_private_webhooks,
        )
        .await
        .map_err(|e| e.to_string())?;
        for c in &changes {
            writeln!(out, "{c}").map_err(|e| e.to_string())?;
        }
        if dry_run {
            writeln!(out, "(dry run: nothing was written)").map_err(|e| e.to_string())?;
        }
        s.close().await;
        Ok(0)
    })
}

pub fn schedules_export(dir: PathBuf, db: DbArgs, out: &mut dyn Write) -> Result<i32, String> {
    let cfg = config(None, None, db)?;
    runtime()?.block_on(async {
        let s = store(&cfg).await?;
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let people = s.load_people().await.map_err(|e| e.to_string())?;
        let services = s.load_services().await.map_err(|e| e.to_string())?;
        for r in s.load_rotas(None).await.map_err(|e| e.to_string())? {
            let Some(team) = s.load_team(&r.team).await.map_err(|e| e.to_string())? else {
                continue;
            };
            let path = dir.join(format!("{}.toml", r.name));
            let text = documents::to_file(&team, &people, &r, &services)?;
            std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
            writeln!(out, "wrote {}", path.display()).map_err(|e| e.to_string())?;
        }
        s.close().await;
        Ok(0)
    })
}

/// `vigil doctor`: what an operator should know before trusting this
/// installation with a page. Exit 1 when something would go wrong.
/// Whether the public URL is set and answers from here (pages link to it,
/// and Twilio's signatures are computed over it): the number of problems.
async fn public_url_check(cfg: &Config, out: &mut dyn Write) -> Result<usize, String> {
    let url = cfg.public_url.trim_end_matches('/');
    if url == format!("http://{}", crate::config::DEFAULT_LISTEN) {
        writeln!(
            out,
            "warn  public_url is not set: pages link to {url}, which only this machine reaches; set VIGIL_PUBLIC_URL (or public_url) to the address people and providers use"
        )
        .map_err(|e| e.to_string())?;
        return Ok(0);
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let answer = match reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
    {
        Ok(http) => http.get(format!("{url}/healthz")).send().await,
        Err(e) => return Err(e.to_string()),
    };
    let (line, bad) = match answer {
        Ok(r) if r.status().is_success() => {
            (format!("ok    public_url {url} answers (/healthz)"), 0)
        }
        Ok(r) => (
            format!("FAIL  public_url {url}: /healthz answered {}", r.status()),
            1,
        ),
        Err(e) => (
            format!("FAIL  public_url {url} does not answer from here: {e}"),
            1,
        ),
    };
    writeln!(out, "{line}").map_err(|e| e.to_string())?;
    Ok(bad)
}

pub fn doctor(db: DbArgs, now: crate::rota::Instant, out: &mut dyn Write) -> Result<i32, String> {
    let cfg = config(None, None, db)?;
    let w = |out: &mut dyn Write, line: String| writeln!(out, "{line}").map_err(|e| e.to_string());
    let mut problems = 0;
    let tz = &crate::tz::database().source;
    match tz {
        crate::tz::Source::System { .. } => w(out, format!("ok    tz database {tz}"))?,
        crate::tz::Source::Bundled { .. } => w(
            out,
            format!(
                "warn  tz database {tz}: no system tz database found; install tzdata so zone changes arrive with OS updates"
            ),
        )?,
    }
    runtime()?.block_on(async {
        problems += public_url_check(&cfg, out).await?;
        let s = store(&cfg).await?;
        w(out, format!("ok    database reachable and migrated ({})", redact_url(&cfg.database_url)))?;
        let cache = crate::engine::RotaCache::default();
        let window = crate::rota::Interval::new(now, now + chrono::Duration::days(14));
        let found = crate::engine::ladders::coverage(&s, &cache, window)
            .await
            .map_err(|e| e.to_string())?;
        let services = {
            use crate::store::AlertReads as _;
            s.load_services().await.map_err(|e| e.to_string())?.len()
        };
        if found.is_empty() {
            w(out, format!("ok    all {services} service(s) reach someone at every instant of the next 14 days"))?;
        }
        for u in &found {
            problems += 1;
            let when: Vec<String> = u
                .gaps
                .iter()
                .take(5)
                .map(|g| format!("{} – {}", crate::rota::civil::utc_text(g.start), crate::rota::civil::utc_text(g.end)))
                .collect();
            let more = if u.gaps.len() > 5 { format!(" (+{} more)", u.gaps.len() - 5) } else { String::new() };
            let why = u.problem.as_deref().map(|p| format!(" ({p})")).unwrap_or_default();
            w(
                out,
                format!(
                    "FAIL  service {} (team {}) pages nobody{why}: {}{more}",
                    u.service,
                    u.team,
                    when.join(", ")
                ),
            )?;
        }
        s.close().await;
        Ok::<(), String>(())
    })?;
    Ok(if problems > 0 { 1 } else { 0 })
}

use crate::config::redact_url;
