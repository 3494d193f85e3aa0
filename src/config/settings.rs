//! The settings as an operator writes them: a TOML file (`--config`), the
//! `VIGIL_*` environment variables, and flags, layered with figment in that
//! order over the defaults. Every environment variable has a key in the file
//! (`ENV`); every secret may instead come from a file (`KEY_file` in the
//! file, `VIGIL_…_FILE` in the environment). Values are kept as text here
//! and checked once, in `super::Config::from_settings`, so every error names
//! its key.

use figment::Figment;
use figment::providers::Serialized;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A scalar as text: the file may write `pool = 16` or `pool = "16"`, and
/// the environment only has text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Text {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    List(Vec<Text>),
    Table(BTreeMap<String, Text>),
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Text::Str(s) => f.write_str(s),
            Text::Int(n) => write!(f, "{n}"),
            Text::Float(n) => write!(f, "{n}"),
            Text::Bool(b) => write!(f, "{b}"),
            Text::List(l) => {
                let parts: Vec<String> = l.iter().map(|t| t.to_string()).collect();
                f.write_str(&parts.join(","))
            }
            Text::Table(t) => {
                let parts: Vec<String> = t.iter().map(|(k, v)| format!("{k}={v}")).collect();
                f.write_str(&parts.join(","))
            }
        }
    }
}

/// Every key, as `section.key` (or `key`), with its environment variable.
pub const ENV: &[(&str, &str)] = &[
    ("listen", "VIGIL_LISTEN"),
    ("database_url", "VIGIL_DATABASE_URL"),
    ("public_url", "VIGIL_PUBLIC_URL"),
    ("schedules_dir", "VIGIL_SCHEDULES_DIR"),
    ("admin_token_file", "VIGIL_ADMIN_TOKEN_FILE"),
    ("instance_id", "VIGIL_INSTANCE_ID"),
    ("allow_private_webhooks", "VIGIL_ALLOW_PRIVATE_WEBHOOKS"),
    ("log.format", "VIGIL_LOG_FORMAT"),
    ("db.pool", "VIGIL_DB_POOL"),
    ("db.acquire_timeout", "VIGIL_DB_ACQUIRE_TIMEOUT"),
    ("db.intake_timeout", "VIGIL_INTAKE_TIMEOUT"),
    ("http.header_timeout", "VIGIL_HTTP_HEADER_TIMEOUT"),
    ("http.body_timeout", "VIGIL_HTTP_BODY_TIMEOUT"),
    ("http.max_connections", "VIGIL_HTTP_MAX_CONNECTIONS"),
    ("http.shutdown_timeout", "VIGIL_SHUTDOWN_TIMEOUT"),
    ("dispatch.retry_schedule", "VIGIL_RETRY_SCHEDULE"),
    ("dispatch.send_timeout", "VIGIL_SEND_TIMEOUT"),
    ("dispatch.lease", "VIGIL_LEASE"),
    ("dispatch.sweep", "VIGIL_SWEEP"),
    ("dispatch.throttle", "VIGIL_THROTTLE"),
    ("dispatch.concurrency", "VIGIL_DISPATCH_CONCURRENCY"),
    ("twilio.api_url", "VIGIL_TWILIO_API_URL"),
    ("twilio.account_sid", "VIGIL_TWILIO_ACCOUNT_SID"),
    ("twilio.auth_token", "VIGIL_TWILIO_AUTH_TOKEN"),
    ("twilio.from", "VIGIL_TWILIO_FROM"),
    ("slack.api_url", "VIGIL_SLACK_API_URL"),
    ("slack.bot_token", "VIGIL_SLACK_BOT_TOKEN"),
    ("slack.signing_secret", "VIGIL_SLACK_SIGNING_SECRET"),
    ("smtp.host", "VIGIL_SMTP_HOST"),
    ("smtp.port", "VIGIL_SMTP_PORT"),
    ("smtp.tls", "VIGIL_SMTP_TLS"),
    ("smtp.username", "VIGIL_SMTP_USERNAME"),
    ("smtp.password", "VIGIL_SMTP_PASSWORD"),
    ("smtp.from", "VIGIL_SMTP_FROM"),
];

/// Keys whose values are secrets: redacted when printed, and readable from
/// a file named by `KEY_file` (`VIGIL_…_FILE`).
pub const SECRETS: &[&str] = &[
    "database_url",
    "twilio.auth_token",
    "slack.bot_token",
    "slack.signing_secret",
    "smtp.password",
];

/// The merged settings: `section.key` → value.
pub type Flat = BTreeMap<String, Text>;

/// Sections as the file nests them.
type Nested = BTreeMap<String, Text>;

fn nest(flat: &Flat) -> Nested {
    let mut out: Nested = BTreeMap::new();
    for (k, v) in flat {
        match k.split_once('.') {
            Some((section, key)) => {
                let entry = out
                    .entry(section.to_string())
                    .or_insert_with(|| Text::Table(BTreeMap::new()));
                if let Text::Table(t) = entry {
                    t.insert(key.to_string(), v.clone());
                }
            }
            None => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    out
}

fn flatten(nested: Nested, known: &[String]) -> Result<Flat, String> {
    let mut out = Flat::new();
    let mut unknown = Vec::new();
    for (k, v) in nested {
        match v {
            Text::Table(t) if !known.contains(&k) => {
                for (kk, vv) in t {
                    let key = format!("{k}.{kk}");
                    if known.contains(&key) {
                        out.insert(key, vv);
                    } else {
                        unknown.push(key);
                    }
                }
            }
            v if known.contains(&k) => {
                out.insert(k, v);
            }
            _ => unknown.push(k),
        }
    }
    if unknown.is_empty() {
        Ok(out)
    } else {
        Err(format!(
            "unknown setting(s): {} (see `vigil serve --print-config` for every key)",
            unknown.join(", ")
        ))
    }
}

/// Every key the file and the environment know, `_file` keys included.
fn known_keys() -> Vec<String> {
    let mut keys: Vec<String> = ENV.iter().map(|(k, _)| k.to_string()).collect();
    keys.extend(SECRETS.iter().map(|k| format!("{k}_file")));
    keys
}

/// The layers, lowest first: `file` (TOML text, and its name for errors),
/// the environment (`env`: name → value), then `flags` (`key` → value).
pub fn merge(
    file: Option<(&str, &str)>,
    env: impl IntoIterator<Item = (String, String)>,
    flags: &Flat,
) -> Result<Flat, String> {
    let known = known_keys();
    let mut figment = Figment::new();
    if let Some((name, text)) = file {
        let table: BTreeMap<String, Text> =
            toml::from_str(text).map_err(|e| format!("--config {name}: {e}"))?;
        let flat = flatten(table, &known).map_err(|e| format!("--config {name}: {e}"))?;
        figment = figment.merge(Serialized::globals(nest(&flat)));
    }
    let mut from_env = Flat::new();
    for (name, value) in env {
        if value.is_empty() {
            continue;
        }
        if let Some((key, _)) = ENV.iter().find(|(_, n)| *n == name) {
            from_env.insert(key.to_string(), Text::Str(value));
        } else if let Some(secret) = name
            .strip_suffix("_FILE")
            .and_then(|n| ENV.iter().find(|(_, e)| *e == n))
            .map(|(k, _)| *k)
            .filter(|k| SECRETS.contains(k))
        {
            from_env.insert(format!("{secret}_file"), Text::Str(value));
        }
    }
    figment = figment
        .merge(Serialized::globals(nest(&from_env)))
        .merge(Serialized::globals(nest(flags)));
    let nested: Nested = figment.extract().map_err(|e| e.to_string())?;
    flatten(nested, &known)
}

/// `key`'s value as text, if set.
pub fn get(s: &Flat, key: &str) -> Option<String> {
    s.get(key).map(|t| t.to_string()).filter(|v| !v.is_empty())
}

/// A secret: `key` itself, or the contents of the file `key_file` names
/// (one trailing newline dropped); both set is an error.
pub fn secret(s: &Flat, key: &str) -> Result<Option<String>, String> {
    let file_key = format!("{key}_file");
    match (get(s, key), get(s, &file_key)) {
        (Some(_), Some(_)) => Err(format!("{key} and {file_key} are both set: keep one")),
        (Some(v), None) => Ok(Some(v)),
        (None, Some(path)) => {
            let text = crate::files::read_text(std::path::Path::new(&path), 64 * 1024)
                .map_err(|e| format!("{file_key}: {e}"))?;
            let v = text.strip_suffix('\n').unwrap_or(&text);
            let v = v.strip_suffix('\r').unwrap_or(v);
            if v.is_empty() {
                return Err(format!("{file_key}: {path} is empty"));
            }
            Ok(Some(v.to_string()))
        }
        (None, None) => Ok(None),
    }
}
