//! Server configuration: defaults, then an optional TOML file (`--config`),
//! then `VIGIL_*` environment variables, then flags (`settings`: layered
//! with figment), checked once here into typed values. Secrets are
//! `SecretString`s: they print as "[redacted]" and are exposed only where
//! a provider needs them.

mod parse;
pub mod settings;

use parse::{duration, number};
use secrecy::SecretString;
use settings::{Flat, Text, get, secret};
use std::path::PathBuf;

#[derive(Clone)]
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
    /// Log lines as JSON objects (log.format = "json") instead of text.
    pub log_json: bool,
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
            log_json: false,
        }
    }
}

pub const DEFAULT_INTAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Providers. Base URLs are configurable so Twilio-compatible vendors and
/// test fakes work; a channel without credentials falls back to the console.
#[derive(Clone, Default)]
pub struct NotifyConfig {
    /// twilio.api_url (default https://api.twilio.com).
    pub twilio_api_url: String,
    pub twilio_account_sid: Option<String>,
    pub twilio_auth_token: Option<SecretString>,
    pub twilio_from: Option<String>,
    /// slack.api_url (default https://slack.com/api).
    pub slack_api_url: String,
    pub slack_bot_token: Option<SecretString>,
    pub slack_signing_secret: Option<SecretString>,
    /// VIGIL_SMTP_HOST, _PORT (default 587), _TLS (starttls, tls or none),
    /// _USERNAME, _PASSWORD, _FROM: email is sent when host and from are set.
    pub smtp_host: Option<String>,
    pub smtp_port: u16,
    pub smtp_tls: String,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<SecretString>,
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
    /// Provider requests under way at once (outcomes waiting for their
    /// group commit do not count).
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
            .field("twilio_auth_token", &self.twilio_auth_token)
            .field("slack_api_url", &self.slack_api_url)
            .field("slack_bot_token", &self.slack_bot_token)
            .field("smtp_host", &self.smtp_host)
            .field("smtp_port", &self.smtp_port)
            .field("smtp_password", &self.smtp_password)
            .finish()
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

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE: &str = "sqlite://vigil.db";

/// Values given on the command line (clap also reads their environment
/// variables; the settings read the rest).
#[derive(Debug, Default, Clone)]
pub struct Given {
    pub listen: Option<String>,
    pub database_url: Option<String>,
    pub public_url: Option<String>,
    pub config: Option<PathBuf>,
}

/// VIGIL_ALLOW_PRIVATE_WEBHOOKS for commands that read no config (rota check).
pub fn allow_private_webhooks() -> bool {
    std::env::var("VIGIL_ALLOW_PRIVATE_WEBHOOKS")
        .is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes"))
}

impl Config {
    /// Defaults, the file, the environment, the flags: checked.
    pub fn resolve(given: Given) -> Result<Config, String> {
        let text = match &given.config {
            Some(p) => {
                Some(crate::files::read_text(p, 1024 * 1024).map_err(|e| format!("--config {e}"))?)
            }
            None => None,
        };
        let name = given
            .config
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let mut flags = Flat::new();
        for (k, v) in [
            ("listen", &given.listen),
            ("database_url", &given.database_url),
            ("public_url", &given.public_url),
        ] {
            if let Some(v) = v {
                flags.insert(k.to_string(), Text::Str(v.clone()));
            }
        }
        let merged = settings::merge(
            text.as_deref().map(|t| (name.as_str(), t)),
            std::env::vars(),
            &flags,
        )?;
        Config::from_settings(&merged)
    }

    /// The typed configuration from merged settings; errors name the key.
    pub fn from_settings(s: &Flat) -> Result<Config, String> {
        let listen = get(s, "listen").unwrap_or_else(|| DEFAULT_LISTEN.into());
        listen.parse::<std::net::SocketAddr>().map_err(|_| {
            format!("listen: \"{listen}\" is not an address such as 127.0.0.1:8080")
        })?;
        let database_url = secret(s, "database_url")?.unwrap_or_else(|| DEFAULT_DATABASE.into());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(format!(
                "database_url: \"{}\" must start with sqlite: or postgres://",
                redact_url(&database_url)
            ));
        }
        let public_url = get(s, "public_url").unwrap_or_else(|| format!("http://{listen}"));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(format!(
                "public_url: \"{public_url}\" must start with http:// or https://"
            ));
        }
        let schedules_dir = get(s, "schedules_dir")
            .map(PathBuf::from)
            .or_else(|| Some(PathBuf::from("schedules")).filter(|p| p.is_dir()));
        let admin_token_file = get(s, "admin_token_file")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("vigil-admin-token"));
        let log_json = match get(s, "log.format").as_deref().map(str::trim) {
            None | Some("text") => false,
            Some("json") => true,
            Some(v) => return Err(format!("log.format: \"{v}\" is text or json")),
        };
        let pool = crate::store::PoolConfig {
            size: number(s, "db.pool", 16u32, 2..=1000)?,
            acquire_timeout: duration(s, "db.acquire_timeout", std::time::Duration::from_secs(5))?,
        };
        let intake_timeout = duration(s, "db.intake_timeout", DEFAULT_INTAKE_TIMEOUT)?;
        let d = crate::serve::Limits::default();
        let http = crate::serve::Limits {
            header_timeout: duration(s, "http.header_timeout", d.header_timeout)?,
            body_timeout: duration(s, "http.body_timeout", d.body_timeout)?,
            max_connections: number(s, "http.max_connections", d.max_connections, 1..=100_000)?,
            shutdown_timeout: duration(s, "http.shutdown_timeout", d.shutdown_timeout)?,
        };
        Ok(Config {
            listen,
            database_url,
            public_url,
            schedules_dir,
            admin_token_file,
            notify: NotifyConfig::from_settings(s)?,
            dispatch: DispatchConfig::from_settings(s)?,
            pool,
            intake_timeout,
            http,
            log_json,
        })
    }

    /// The effective settings as the TOML file would write them, secrets
    /// redacted: what `vigil serve --print-config` shows.
    pub fn print(&self) -> String {
        use toml::Value as V;
        let secs = |d: std::time::Duration| V::String(humantime::format_duration(d).to_string());
        let opt = |v: &Option<String>| v.clone().map(V::String);
        let hidden = |v: &Option<SecretString>| v.as_ref().map(|_| V::String("[redacted]".into()));
        let mut top = toml::Table::new();
        let put = |t: &mut toml::Table, k: &str, v: Option<V>| {
            if let Some(v) = v {
                t.insert(k.to_string(), v);
            }
        };
        put(&mut top, "listen", Some(V::String(self.listen.clone())));
        put(
            &mut top,
            "database_url",
            Some(V::String(redact_url(&self.database_url))),
        );
        put(
            &mut top,
            "public_url",
            Some(V::String(self.public_url.clone())),
        );
        put(
            &mut top,
            "schedules_dir",
            self.schedules_dir
                .as_ref()
                .map(|p| V::String(p.display().to_string())),
        );
        put(
            &mut top,
            "admin_token_file",
            Some(V::String(self.admin_token_file.display().to_string())),
        );
        put(
            &mut top,
            "instance_id",
            Some(V::String(self.dispatch.instance.clone())),
        );
        put(
            &mut top,
            "allow_private_webhooks",
            Some(V::Boolean(self.notify.allow_private_webhooks)),
        );
        let mut log = toml::Table::new();
        let format = if self.log_json { "json" } else { "text" };
        put(&mut log, "format", Some(V::String(format.into())));
        let mut db = toml::Table::new();
        put(&mut db, "pool", Some(V::Integer(self.pool.size.into())));
        put(
            &mut db,
            "acquire_timeout",
            Some(secs(self.pool.acquire_timeout)),
        );
        put(&mut db, "intake_timeout", Some(secs(self.intake_timeout)));
        let mut http = toml::Table::new();
        put(
            &mut http,
            "header_timeout",
            Some(secs(self.http.header_timeout)),
        );
        put(
            &mut http,
            "body_timeout",
            Some(secs(self.http.body_timeout)),
        );
        put(
            &mut http,
            "max_connections",
            Some(V::Integer(self.http.max_connections as i64)),
        );
        put(
            &mut http,
            "shutdown_timeout",
            Some(secs(self.http.shutdown_timeout)),
        );
        let d = &self.dispatch;
        let mut dispatch = toml::Table::new();
        put(
            &mut dispatch,
            "retry_schedule",
            Some(V::Array(d.retry.iter().map(|r| secs(*r)).collect())),
        );
        put(&mut dispatch, "send_timeout", Some(secs(d.send_timeout)));
        put(&mut dispatch, "lease", Some(secs(d.lease)));
        put(&mut dispatch, "sweep", Some(secs(d.sweep)));
        put(
            &mut dispatch,
            "concurrency",
            Some(V::Integer(d.concurrency as i64)),
        );
        let throttle: toml::Table = d
            .throttle
            .iter()
            .map(|(k, v)| (k.clone(), V::Integer(*v as i64)))
            .collect();
        put(&mut dispatch, "throttle", Some(V::Table(throttle)));
        let n = &self.notify;
        let mut twilio = toml::Table::new();
        put(
            &mut twilio,
            "api_url",
            Some(V::String(n.twilio_api_url.clone())),
        );
        put(&mut twilio, "account_sid", opt(&n.twilio_account_sid));
        put(&mut twilio, "auth_token", hidden(&n.twilio_auth_token));
        put(&mut twilio, "from", opt(&n.twilio_from));
        let mut slack = toml::Table::new();
        put(
            &mut slack,
            "api_url",
            Some(V::String(n.slack_api_url.clone())),
        );
        put(&mut slack, "bot_token", hidden(&n.slack_bot_token));
        put(
            &mut slack,
            "signing_secret",
            hidden(&n.slack_signing_secret),
        );
        let mut smtp = toml::Table::new();
        put(&mut smtp, "host", opt(&n.smtp_host));
        put(&mut smtp, "port", Some(V::Integer(n.smtp_port.into())));
        put(&mut smtp, "tls", Some(V::String(n.smtp_tls.clone())));
        put(&mut smtp, "username", opt(&n.smtp_username));
        put(&mut smtp, "password", hidden(&n.smtp_password));
        put(&mut smtp, "from", opt(&n.smtp_from));
        for (k, t) in [
            ("log", log),
            ("db", db),
            ("http", http),
            ("dispatch", dispatch),
            ("twilio", twilio),
            ("slack", slack),
            ("smtp", smtp),
        ] {
            top.insert(k.into(), V::Table(t));
        }
        toml::to_string(&top).unwrap_or_default()
    }
}

/// A database URL without its password.
pub fn redact_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((creds, host)) => {
                let user = creds.split(':').next().unwrap_or("");
                format!("{scheme}://{user}:[redacted]@{host}")
            }
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}
