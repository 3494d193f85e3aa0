//! Slack: `chat.postMessage` with Acknowledge / Resolve / Escalate buttons
//! (a person's address is their Slack user id, so the page is a DM; a
//! channel target posts in the channel). When the alert is acknowledged or
//! resolved, `chat.update` rewrites the message without its buttons.
//! https://api.slack.com/methods/chat.update Slack answers 200 with `ok: false`
//! on errors; `ratelimited` (or HTTP 429) is a rate limit. A user group
//! kept to who is on call is set with `usergroups.users.update`.
//! https://api.slack.com/methods/chat.postMessage

use super::{Notifier, Outgoing, answer};
use crate::delivery::retry::SendError;
use crate::escalation::rules::Channel;
use serde_json::json;

pub struct Slack {
    pub http: reqwest::Client,
    pub base: String,
    pub token: secrecy::SecretString,
}

/// The message blocks: the text and one button per action; each button's
/// value is the message id, which names every alert it carries.
pub fn blocks(text: &str, message_id: &str) -> serde_json::Value {
    let button = |label: &str, action: &str, style: Option<&str>| {
        let mut b = json!({
            "type": "button",
            "text": { "type": "plain_text", "text": label },
            "action_id": action,
            "value": message_id,
        });
        if let Some(s) = style {
            b["style"] = json!(s);
        }
        b
    };
    json!([
        { "type": "section", "text": { "type": "mrkdwn", "text": text } },
        { "type": "actions", "elements": [
            button("Acknowledge", "ack", Some("primary")),
            button("Resolve", "resolve", None),
            button("Escalate", "escalate", Some("danger")),
        ]}
    ])
}

#[async_trait::async_trait]
impl Notifier for Slack {
    async fn send(&self, out: &Outgoing) -> Result<String, SendError> {
        let (method, body) = match out.message.channel {
            // https://api.slack.com/methods/usergroups.users.update
            Channel::ChatGroup => (
                "usergroups.users.update",
                json!({ "usergroup": out.message.address, "users": out.text }),
            ),
            Channel::ChatUpdate => {
                // The address is "CHANNEL:TS", the id chat.postMessage gave.
                let (channel, ts) = out.message.address.split_once(':').unwrap_or_default();
                // Acknowledged but not resolved: keep a Resolve button (its
                // value names this rewrite, whose row names the alert).
                let mut text =
                    json!([{ "type": "section", "text": { "type": "mrkdwn", "text": out.text } }]);
                if !out.message.items.is_empty()
                    && out.message.items.iter().all(|i| i.open)
                    && let Some(b) = text.as_array_mut()
                {
                    b.push(json!({ "type": "actions", "elements": [{
                        "type": "button",
                        "text": { "type": "plain_text", "text": "Resolve" },
                        "action_id": "resolve",
                        "value": out.idempotency_key,
                    }]}));
                }
                (
                    "chat.update",
                    json!({ "channel": channel, "ts": ts, "text": out.text, "blocks": text }),
                )
            }
            _ => (
                "chat.postMessage",
                json!({
                    "channel": out.message.address,
                    "text": out.text,
                    "blocks": if out.is_notice() {
                        json!([{ "type": "section", "text": { "type": "mrkdwn", "text": out.text } }])
                    } else {
                        blocks(&out.text, &out.idempotency_key)
                    },
                }),
            ),
        };
        let resp = self
            .http
            .post(format!("{}/{method}", self.base))
            .bearer_auth(secrecy::ExposeSecret::expose_secret(&self.token))
            .json(&body)
            .send()
            .await;
        let text = answer(resp).await?;
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        if v["ok"].as_bool() == Some(true) {
            let ts = v["ts"].as_str().unwrap_or("");
            let ch = v["channel"].as_str().unwrap_or(&out.message.address);
            return Ok(format!("{ch}:{ts}"));
        }
        let err = v["error"].as_str().unwrap_or("unknown error").to_string();
        Err(match err.as_str() {
            "ratelimited" => SendError::RateLimited {
                retry_after: None,
                reason: err,
            },
            "internal_error" | "fatal_error" | "service_unavailable" | "request_timeout" => {
                SendError::Retryable(err)
            }
            _ => SendError::Permanent(err),
        })
    }
}
