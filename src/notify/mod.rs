//! Providers (IO): one `Notifier` trait, one implementation per channel,
//! and a registry that knows which channel goes where. A channel with no
//! credentials goes to the console, so `vigil serve` with no configuration
//! still shows every page. Providers only send; what to send, when, and
//! what to do when it fails is decided by `dispatch`.

mod console;
mod email;
mod slack;
mod twilio;
pub mod webhook;

pub use console::Console;
pub use email::Email;
pub use slack::Slack;
pub use twilio::{Twilio, TwilioKind, xml_escape};
pub use webhook::Webhook;

use crate::config::NotifyConfig;
use crate::delivery::plan::Message;
use crate::delivery::retry::SendError;
use crate::escalation::rules::Channel;
use std::collections::HashMap;
use std::sync::Arc;

/// One message, ready to go out.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub message: Message,
    /// The text (SMS body, chat fallback text, spoken words).
    pub text: String,
    /// Sent as `Idempotency-Key` (and Twilio's `I-Twilio-Idempotency-Token`)
    /// so a provider that honours it drops a resend after a crash.
    pub idempotency_key: String,
    /// Signed acknowledge and resolve links.
    pub ack_url: String,
    pub resolve_url: String,
    /// The alert's page in the web console (the alert list for a bundle).
    pub console_url: String,
    /// Where a voice call posts its keypress.
    pub voice_callback: String,
    /// Where the provider reports delivery (sent, delivered, failed…).
    pub status_callback: String,
    /// When it is sent (the dispatcher's clock; providers never read one).
    pub now_ms: i64,
}

impl Outgoing {
    /// A message that carries no alert (a sign-in link, a verification
    /// code, a test): providers send its text alone, with no buttons, no
    /// keypress prompt and no acknowledge links.
    pub fn notice(
        channel: Channel,
        address: &str,
        person: Option<&str>,
        text: String,
        now_ms: i64,
    ) -> Outgoing {
        Outgoing {
            message: Message {
                channel,
                address: address.to_string(),
                person: person.map(str::to_string),
                code: String::new(),
                items: Vec::new(),
            },
            text,
            idempotency_key: crate::ids::new_id("ntc_"),
            ack_url: String::new(),
            resolve_url: String::new(),
            console_url: String::new(),
            voice_callback: String::new(),
            status_callback: String::new(),
            now_ms,
        }
    }

    pub fn is_notice(&self) -> bool {
        self.message.items.is_empty()
    }
}

#[async_trait::async_trait]
pub trait Notifier: Send + Sync {
    /// Sends; returns the provider's id for the message.
    async fn send(&self, out: &Outgoing) -> Result<String, SendError>;
}

#[derive(Clone)]
pub struct Registry {
    by_channel: HashMap<Channel, Arc<dyn Notifier>>,
    console: Arc<dyn Notifier>,
}

impl Registry {
    /// Providers from config; `webhook_secret` signs outgoing webhooks.
    pub fn from_config(
        cfg: &NotifyConfig,
        http: reqwest::Client,
        webhook_secret: String,
        send_timeout: std::time::Duration,
    ) -> Registry {
        let console: Arc<dyn Notifier> = Arc::new(Console);
        let mut by_channel: HashMap<Channel, Arc<dyn Notifier>> = HashMap::new();
        if let (Some(sid), Some(token), Some(from)) = (
            &cfg.twilio_account_sid,
            &cfg.twilio_auth_token,
            &cfg.twilio_from,
        ) {
            for kind in [TwilioKind::Sms, TwilioKind::Voice] {
                let t = Twilio {
                    http: http.clone(),
                    base: cfg.twilio_api_url.trim_end_matches('/').to_string(),
                    sid: sid.clone(),
                    token: token.clone(),
                    from: from.clone(),
                    kind,
                };
                let ch = match kind {
                    TwilioKind::Sms => Channel::Sms,
                    TwilioKind::Voice => Channel::Voice,
                };
                by_channel.insert(ch, Arc::new(t));
            }
        }
        if let Some(token) = &cfg.slack_bot_token {
            let slack: Arc<dyn Notifier> = Arc::new(Slack {
                http: http.clone(),
                base: cfg.slack_api_url.trim_end_matches('/').to_string(),
                token: token.clone(),
            });
            by_channel.insert(Channel::Chat, slack.clone());
            by_channel.insert(Channel::ChatUpdate, slack.clone());
            by_channel.insert(Channel::ChatGroup, slack);
        }
        if let (Some(host), Some(from)) = (&cfg.smtp_host, &cfg.smtp_from) {
            let credentials = cfg.smtp_username.clone().zip(cfg.smtp_password.clone());
            match Email::new(
                host,
                cfg.smtp_port,
                &cfg.smtp_tls,
                credentials,
                from.clone(),
                send_timeout,
            ) {
                Ok(e) => {
                    by_channel.insert(Channel::Email, Arc::new(e));
                }
                Err(e) => {
                    tracing::error!(error = %e, "email is off: the SMTP settings do not work")
                }
            }
        }
        by_channel.insert(
            Channel::Webhook,
            Arc::new(Webhook::new(
                http,
                webhook_secret,
                send_timeout,
                cfg.allow_private_webhooks,
            )),
        );
        Registry {
            by_channel,
            console,
        }
    }

    pub fn get(&self, c: Channel) -> Arc<dyn Notifier> {
        self.by_channel
            .get(&c)
            .cloned()
            .unwrap_or_else(|| self.console.clone())
    }

    /// Replaces a channel's provider (tests, custom builds).
    pub fn set(&mut self, c: Channel, n: Arc<dyn Notifier>) {
        self.by_channel.insert(c, n);
    }
}

/// A provider's HTTP answer: its body on 2xx, else a classified error.
pub(crate) async fn answer(
    resp: Result<reqwest::Response, reqwest::Error>,
) -> Result<String, SendError> {
    let resp = resp.map_err(|e| SendError::Retryable(format!("request failed: {e}")))?;
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .map(chrono::Duration::seconds);
    let body = resp
        .text()
        .await
        .map_err(|e| SendError::Retryable(format!("reading the answer failed: {e}")))?;
    if (200..300).contains(&status) {
        Ok(body)
    } else {
        Err(crate::delivery::retry::classify(status, retry_after, &body))
    }
}
