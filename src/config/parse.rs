//! Typed values from the flat settings: durations, bounded numbers and
//! flags, and the provider and dispatcher settings, each error naming the
//! key and what it accepts.

use super::settings::{Flat, Text, get, secret};
use super::{DispatchConfig, NotifyConfig};
use secrecy::{ExposeSecret, SecretString};

pub(super) fn duration(
    s: &Flat,
    key: &str,
    default: std::time::Duration,
) -> Result<std::time::Duration, String> {
    match get(s, key) {
        Some(v) => humantime::parse_duration(v.trim())
            .map_err(|e| format!("{key}: \"{v}\" is not a duration such as 30s or 2m: {e}")),
        None => Ok(default),
    }
}

pub(super) fn number<T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy>(
    s: &Flat,
    key: &str,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, String> {
    match get(s, key) {
        Some(v) => v
            .trim()
            .parse::<T>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                format!(
                    "{key}: \"{v}\" is not a number from {} to {}",
                    range.start(),
                    range.end()
                )
            }),
        None => Ok(default),
    }
}

pub(super) fn flag(s: &Flat, key: &str) -> Result<bool, String> {
    match get(s, key).as_deref().map(str::trim) {
        None | Some("0" | "false" | "no") => Ok(false),
        Some("1" | "true" | "yes") => Ok(true),
        Some(v) => Err(format!("{key}: \"{v}\" is not true or false")),
    }
}

impl NotifyConfig {
    pub fn from_settings(s: &Flat) -> Result<NotifyConfig, String> {
        let smtp_tls = get(s, "smtp.tls").unwrap_or_else(|| "starttls".into());
        if !matches!(smtp_tls.as_str(), "starttls" | "tls" | "none") {
            return Err(format!("smtp.tls: \"{smtp_tls}\" is starttls, tls or none"));
        }
        Ok(NotifyConfig {
            twilio_api_url: get(s, "twilio.api_url")
                .unwrap_or_else(|| "https://api.twilio.com".into()),
            twilio_account_sid: get(s, "twilio.account_sid"),
            twilio_auth_token: secret(s, "twilio.auth_token")?.map(SecretString::from),
            twilio_from: get(s, "twilio.from"),
            slack_api_url: get(s, "slack.api_url")
                .unwrap_or_else(|| "https://slack.com/api".into()),
            slack_bot_token: secret(s, "slack.bot_token")?.map(SecretString::from),
            slack_signing_secret: secret(s, "slack.signing_secret")?.map(SecretString::from),
            smtp_host: get(s, "smtp.host"),
            smtp_port: number(s, "smtp.port", 587u16, 1..=65535)?,
            smtp_tls,
            smtp_username: get(s, "smtp.username"),
            smtp_password: secret(s, "smtp.password")?.map(SecretString::from),
            smtp_from: get(s, "smtp.from"),
            allow_private_webhooks: flag(s, "allow_private_webhooks")?,
        })
    }

    /// Twilio's auth token, for signing checks and requests.
    pub fn twilio_token(&self) -> Option<&str> {
        self.twilio_auth_token.as_ref().map(|t| t.expose_secret())
    }
    pub fn slack_secret(&self) -> Option<&str> {
        self.slack_signing_secret
            .as_ref()
            .map(|t| t.expose_secret())
    }
}

impl DispatchConfig {
    pub fn from_settings(s: &Flat) -> Result<DispatchConfig, String> {
        let d = DispatchConfig::default();
        let retry = match s.get("dispatch.retry_schedule") {
            Some(Text::List(items)) => items.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
            Some(t) => t.to_string().split(',').map(str::to_string).collect(),
            None => Vec::new(),
        };
        let retry = if retry.is_empty() {
            d.retry.clone()
        } else {
            retry
                .iter()
                .map(|x| {
                    humantime::parse_duration(x.trim())
                        .map_err(|e| format!("dispatch.retry_schedule: \"{x}\": {e}"))
                })
                .collect::<Result<_, _>>()?
        };
        let mut throttle = d.throttle.clone();
        let pairs: Vec<(String, String)> = match s.get("dispatch.throttle") {
            Some(Text::Table(t)) => t.iter().map(|(k, v)| (k.clone(), v.to_string())).collect(),
            Some(t) => t
                .to_string()
                .split(',')
                .filter(|p| !p.trim().is_empty())
                .map(|p| match p.split_once('=') {
                    Some((k, n)) => (k.trim().to_string(), n.trim().to_string()),
                    None => (p.trim().to_string(), String::new()),
                })
                .collect(),
            None => Vec::new(),
        };
        for (k, n) in pairs {
            if !matches!(k.as_str(), "sms" | "voice" | "chat" | "email") {
                return Err(format!(
                    "dispatch.throttle: \"{k}\" is not a channel (sms, voice, chat, email)"
                ));
            }
            let n = n.parse::<usize>().ok().filter(|n| (1..=10_000).contains(n)).ok_or_else(|| {
                format!("dispatch.throttle: {k} = \"{n}\" is not a number of messages per minute (1–10000)")
            })?;
            throttle.insert(k, n);
        }
        Ok(DispatchConfig {
            enabled: true,
            instance: get(s, "instance_id").unwrap_or_default(),
            sweep: duration(s, "dispatch.sweep", d.sweep)?,
            lease: duration(s, "dispatch.lease", d.lease)?,
            send_timeout: duration(s, "dispatch.send_timeout", d.send_timeout)?,
            retry,
            concurrency: number(s, "dispatch.concurrency", d.concurrency, 1..=10_000)?,
            throttle,
        })
    }
}
