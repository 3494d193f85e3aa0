//! Server configuration: defaults, then an optional TOML file (`--config`),
//! then `VIGIL_*` environment variables, then flags. Validated once.

use serde::Deserialize;
use std::path::PathBuf;

#[derive(Clone, PartialEq)]
pub struct Config {
    pub listen: String,
    pub database_url: String,
    pub public_url: String,
    /// Rota files loaded into an empty database at start.
    pub schedules_dir: Option<PathBuf>,
    /// Where the first start writes the bootstrap admin token (mode 0600).
    pub admin_token_file: PathBuf,
    pub notify: NotifyConfig,
    pub dispatch: DispatchConfig,
    /// Pool size and acquire timeout (VIGIL_DB_POOL, VIGIL_DB_ACQUIRE_TIMEOUT).
    pub pool: crate::store::PoolConfig,
    /// How long an intake request (an alert from a monitoring tool) may wait
    /// on the database before it is answered 503 with Retry-After, which
    /// senders retry (VIGIL_INTAKE_TIMEOUT, default 2 s).
    pub intake_timeout: std::time::Duration,
    /// HTTP timeouts and the connection limit.
    pub http: crate::serve::Limits,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: DEFAULT_LISTEN.into(),
            database_url: DEFAULT_DATABASE.into(),
            public_url: format!("http://{DEFAULT_LISTEN}"),
            schedules_dir: None,
            admin_token_file: PathBuf::from("vigil-admin-token"),
            notify: NotifyConfig::default(),
            dispatch: DispatchConfig::default(),
            pool: crate::store::PoolConfig::default(),
            intake_timeout: DEFAULT_INTAKE_TIMEOUT,
            http: crate::serve::Limits::default(),
        }
    }
}

pub const DEFAULT_INTAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// VIGIL_HTTP_HEADER_TIMEOUT, VIGIL_HTTP_BODY_TIMEOUT,
/// VIGIL_HTTP_MAX_CONNECTIONS and VIGIL_SHUTDOWN_TIMEOUT.
fn http_from_env() -> Result<crate::serve::Limits, String> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let dur = |k: &str, v: &str| {
        humantime::parse_duration(v.trim()).map_err(|e| format!("{k}: \"{v}\": {e}"))
    };
    let mut l = crate::serve::Limits::default();
    if let Some(v) = var("VIGIL_HTTP_HEADER_TIMEOUT") {
        l.header_timeout = dur("VIGIL_HTTP_HEADER_TIMEOUT", &v)?;
    }
    if let Some(v) = var("VIGIL_HTTP_BODY_TIMEOUT") {
        l.body_timeout = dur("VIGIL_HTTP_BODY_TIMEOUT", &v)?;
    }
    if let Some(v) = var("VIGIL_SHUTDOWN_TIMEOUT") {
        l.shutdown_timeout = dur("VIGIL_SHUTDOWN_TIMEOUT", &v)?;
    }
    if let Some(v) = var("VIGIL_HTTP_MAX_CONNECTIONS") {
        l.max_connections = v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100_000).contains(n))
            .ok_or_else(|| {
                format!("VIGIL_HTTP_MAX_CONNECTIONS: \"{v}\" is not a number from 1 to 100000")
            })?;
    }
    Ok(l)
}

/// VIGIL_DB_POOL, VIGIL_DB_ACQUIRE_TIMEOUT and VIGIL_INTAKE_TIMEOUT.
fn db_from_env() -> Result<(crate::store::PoolConfig, std::time::Duration), String> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let dur = |k: &str, v: &str| {
        humantime::parse_duration(v.trim()).map_err(|e| format!("{k}: \"{v}\": {e}"))
    };
    let mut pool = crate::store::PoolConfig::default();
    if let Some(v) = var("VIGIL_DB_POOL") {
        pool.size = v
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (2..=1000).contains(n))
            .ok_or_else(|| format!("VIGIL_DB_POOL: \"{v}\" is not a number from 2 to 1000"))?;
    }
    if let Some(v) = var("VIGIL_DB_ACQUIRE_TIMEOUT") {
        pool.acquire_timeout = dur("VIGIL_DB_ACQUIRE_TIMEOUT", &v)?;
    }
    let intake = match var("VIGIL_INTAKE_TIMEOUT") {
        Some(v) => dur("VIGIL_INTAKE_TIMEOUT", &v)?,
        None => DEFAULT_INTAKE_TIMEOUT,
    };
    Ok((pool, intake))
}

/// Providers. Base URLs are configurable so Twilio-compatible vendors and
/// test fakes work; a channel without credentials falls back to the console.
#[derive(Clone, PartialEq, Default)]
pub struct NotifyConfig {
    /// VIGIL_TWILIO_API_URL (default https://api.twilio.com).
    pub twilio_api_url: String,
    pub twilio_account_sid: Option<String>,
    pub twilio_auth_token: Option<String>,
    pub twilio_from: Option<String>,
    /// VIGIL_SLACK_API_URL (default https://slack.com/api).
    pub slack_api_url: String,
    pub slack_bot_token: Option<String>,
    pub slack_signing_secret: Option<String>,
    /// VIGIL_SMTP_HOST, _PORT (default 587), _TLS (starttls, tls or none),
    /// _USERNAME, _PASSWORD, _FROM: email is sent when host and from are set.
    pub smtp_host: Option<String>,
    pub smtp_port: u16,
    pub smtp_tls: String,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<String>,
    pub smtp_from: Option<String>,
    /// Webhooks may reach loopback, link-local and private addresses
    /// (VIGIL_ALLOW_PRIVATE_WEBHOOKS=1; off by default; the tests set it).
    pub allow_private_webhooks: bool,
}

/// The dispatcher's timing: how often it sweeps besides waking at due
/// instants, how long a claim lasts, the send timeout, and the retry
/// schedule for failed sends.
#[derive(Clone, Debug, PartialEq)]
pub struct DispatchConfig {
    pub enabled: bool,
    /// Names this instance's claims; a restart under the same name takes
    /// its earlier claims back at once (VIGIL_INSTANCE_ID; empty = "vigil@"
    /// and the address it listens on).
    pub instance: String,
    pub sweep: std::time::Duration,
    pub lease: std::time::Duration,
    pub send_timeout: std::time::Duration,
    pub retry: Vec<std::time::Duration>,
    /// Sends in flight at once.
    pub concurrency: usize,
    /// Messages per minute to one address, per channel (sms, voice, chat,
    /// email); what is over waits and is bundled (VIGIL_THROTTLE "sms=6,voice=2").
    pub throttle: std::collections::BTreeMap<String, usize>,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        let s = std::time::Duration::from_secs;
        DispatchConfig {
            enabled: true,
            instance: String::new(),
            sweep: s(5),
            lease: s(30),
            send_timeout: s(10),
            retry: vec![s(5), s(15), s(30), s(60), s(120)],
            concurrency: 64,
            throttle: [("sms", 6), ("voice", 2), ("chat", 20), ("email", 10)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        }
    }
}

impl std::fmt::Debug for NotifyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotifyConfig")
            .field("twilio_api_url", &self.twilio_api_url)
            .field("twilio_account_sid", &self.twilio_account_sid)
            .field(
                "twilio_auth_token",
                &self.twilio_auth_token.as_ref().map(|_| "…"),
            )
            .field("slack_api_url", &self.slack_api_url)
            .field(
                "slack_bot_token",
                &self.slack_bot_token.as_ref().map(|_| "…"),
            )
            .field("smtp_host", &self.smtp_host)
            .field("smtp_port", &self.smtp_port)
            .field("smtp_password", &self.smtp_password.as_ref().map(|_| "…"))
            .finish()
    }
}

/// VIGIL_ALLOW_PRIVATE_WEBHOOKS: 1, true or yes.
pub fn allow_private_webhooks() -> bool {
    std::env::var("VIGIL_ALLOW_PRIVATE_WEBHOOKS")
        .is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes"))
}

impl NotifyConfig {
    /// From the VIGIL_* environment variables.
    pub fn from_env() -> NotifyConfig {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        NotifyConfig {
            twilio_api_url: var("VIGIL_TWILIO_API_URL")
                .unwrap_or_else(|| "https://api.twilio.com".into()),
            twilio_account_sid: var("VIGIL_TWILIO_ACCOUNT_SID"),
            twilio_auth_token: var("VIGIL_TWILIO_AUTH_TOKEN"),
            twilio_from: var("VIGIL_TWILIO_FROM"),
            slack_api_url: var("VIGIL_SLACK_API_URL")
                .unwrap_or_else(|| "https://slack.com/api".into()),
            slack_bot_token: var("VIGIL_SLACK_BOT_TOKEN"),
            slack_signing_secret: var("VIGIL_SLACK_SIGNING_SECRET"),
            smtp_host: var("VIGIL_SMTP_HOST"),
            smtp_port: var("VIGIL_SMTP_PORT")
                .and_then(|p| p.parse().ok())
                .unwrap_or(587),
            smtp_tls: var("VIGIL_SMTP_TLS").unwrap_or_else(|| "starttls".into()),
            smtp_username: var("VIGIL_SMTP_USERNAME"),
            smtp_password: var("VIGIL_SMTP_PASSWORD"),
            smtp_from: var("VIGIL_SMTP_FROM"),
            allow_private_webhooks: allow_private_webhooks(),
        }
    }
}

impl DispatchConfig {
    /// Defaults, with VIGIL_INSTANCE_ID, VIGIL_RETRY_SCHEDULE ("5s,15s,1m"),
    /// VIGIL_SEND_TIMEOUT, VIGIL_LEASE and VIGIL_SWEEP applied.
    pub fn from_env() -> Result<DispatchConfig, String> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let dur = |k: &str, v: &str| {
            humantime::parse_duration(v.trim()).map_err(|e| format!("{k}: \"{v}\": {e}"))
        };
        let mut d = DispatchConfig {
            instance: var("VIGIL_INSTANCE_ID").unwrap_or_default(),
            ..DispatchConfig::default()
        };
        if let Some(v) = var("VIGIL_RETRY_SCHEDULE") {
            d.retry = v
                .split(',')
                .map(|x| dur("VIGIL_RETRY_SCHEDULE", x))
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = var("VIGIL_THROTTLE") {
            for pair in v.split(',') {
                let (k, n) = pair
                    .split_once('=')
                    .and_then(|(k, n)| Some((k.trim(), n.trim().parse::<usize>().ok()?)))
                    .ok_or_else(|| {
                        format!("VIGIL_THROTTLE: \"{pair}\" is not CHANNEL=PER_MINUTE")
                    })?;
                d.throttle.insert(k.to_string(), n);
            }
        }
        if let Some(v) = var("VIGIL_SEND_TIMEOUT") {
            d.send_timeout = dur("VIGIL_SEND_TIMEOUT", &v)?;
        }
        if let Some(v) = var("VIGIL_LEASE") {
            d.lease = dur("VIGIL_LEASE", &v)?;
        }
        if let Some(v) = var("VIGIL_SWEEP") {
            d.sweep = dur("VIGIL_SWEEP", &v)?;
        }
        Ok(d)
    }
}

/// The database URL is redacted: it may hold a password.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let db = match self.database_url.split_once('@') {
            Some((_, host)) => format!("…@{host}"),
            None => self.database_url.clone(),
        };
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("database_url", &db)
            .field("public_url", &self.public_url)
            .field("schedules_dir", &self.schedules_dir)
            .finish()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub database_url: Option<String>,
    pub public_url: Option<String>,
    pub schedules_dir: Option<PathBuf>,
    pub admin_token_file: Option<PathBuf>,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE: &str = "sqlite://vigil.db";

/// Values given on the command line or in the environment (clap reads both).
#[derive(Debug, Default, Clone)]
pub struct Given {
    pub listen: Option<String>,
    pub database_url: Option<String>,
    pub public_url: Option<String>,
    pub config: Option<PathBuf>,
}

impl Config {
    pub fn resolve(given: Given) -> Result<Config, String> {
        let file = match &given.config {
            Some(p) => {
                let text =
                    crate::files::read_text(p, 1024 * 1024).map_err(|e| format!("--config {e}"))?;
                toml::from_str::<FileConfig>(&text)
                    .map_err(|e| format!("--config {}: {e}", p.display()))?
            }
            None => FileConfig::default(),
        };
        let listen = given
            .listen
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.into());
        listen.parse::<std::net::SocketAddr>().map_err(|_| {
            format!("listen: \"{listen}\" is not an address such as 127.0.0.1:8080")
        })?;
        let database_url = given
            .database_url
            .or(file.database_url)
            .unwrap_or_else(|| DEFAULT_DATABASE.into());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(format!(
                "database_url: \"{database_url}\" must start with sqlite: or postgres://"
            ));
        }
        let public_url = given
            .public_url
            .or(file.public_url)
            .unwrap_or_else(|| format!("http://{listen}"));
        let schedules_dir = file
            .schedules_dir
            .or_else(|| Some(PathBuf::from("schedules")).filter(|p| p.is_dir()));
        let admin_token_file = file
            .admin_token_file
            .unwrap_or_else(|| PathBuf::from("vigil-admin-token"));
        let dispatch = DispatchConfig::from_env()?;
        let (pool, intake_timeout) = db_from_env()?;
        let http = http_from_env()?;
        Ok(Config {
            listen,
            database_url,
            public_url,
            schedules_dir,
            admin_token_file,
            notify: NotifyConfig::from_env(),
            dispatch,
            pool,
            intake_timeout,
            http,
        })
    }
}
