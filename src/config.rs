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
                let text = std::fs::read_to_string(p)
                    .map_err(|e| format!("--config {}: {e}", p.display()))?;
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
        Ok(Config {
            listen,
            database_url,
            public_url,
            schedules_dir,
            admin_token_file,
        })
    }
}
