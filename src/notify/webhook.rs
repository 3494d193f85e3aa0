//! Outgoing webhooks (vendors, Mattermost, Teams, anything with a URL):
//! a JSON body signed with HMAC-SHA256 over "{timestamp}.{body}", sent as
//! `X-Vigil-Timestamp` and `X-Vigil-Signature: v1=<hex>`. The receiver
//! recomputes it with the shared secret and rejects old timestamps.
//!
//! Unless the operator allows it (VIGIL_ALLOW_PRIVATE_WEBHOOKS=1), a
//! webhook never reaches a loopback, link-local or private address: IP
//! literals are refused, names are resolved by a resolver that drops such
//! addresses (so a name cannot be re-pointed between a check and the
//! connect), and redirects are not followed.

use super::{Notifier, Outgoing, answer};
use crate::delivery::retry::SendError;
use serde_json::json;

pub struct Webhook {
    pub http: reqwest::Client,
    pub secret: String,
    pub allow_private: bool,
}

impl Webhook {
    /// With private addresses refused, a client of its own with the
    /// filtering resolver and no redirects; otherwise the shared one.
    pub fn new(
        shared: reqwest::Client,
        secret: String,
        timeout: std::time::Duration,
        allow_private: bool,
    ) -> Webhook {
        let http = if allow_private {
            shared
        } else {
            reqwest::Client::builder()
                .timeout(timeout)
                .redirect(reqwest::redirect::Policy::none())
                .dns_resolver(std::sync::Arc::new(PublicOnly))
                .build()
                .unwrap_or(shared)
        };
        Webhook {
            http,
            secret,
            allow_private,
        }
    }
}

/// The resolver's refusal, found in the chain of causes of a failed send.
fn refused_by_resolver(e: &reqwest::Error) -> Option<String> {
    let mut cause: Option<&dyn std::error::Error> = Some(e);
    while let Some(c) = cause {
        let text = c.to_string();
        if text.contains(PRIVATE_ONLY) {
            return Some(text);
        }
        cause = c.source();
    }
    None
}

const PRIVATE_ONLY: &str = "resolves only to private addresses";

/// The system resolver, keeping only public addresses.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| !crate::escalation::ladder::is_private(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(format!("{host} {PRIVATE_ONLY}").into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// `v1=<hex HMAC-SHA256(secret, "{ts}.{body}")>`.
pub fn signature(secret: &str, ts: i64, body: &str) -> String {
    let mac = crate::ids::hmac_sha256(secret.as_bytes(), format!("{ts}.{body}").as_bytes());
    format!("v1={}", crate::ids::hex(&mac))
}

#[async_trait::async_trait]
impl Notifier for Webhook {
    async fn send(&self, out: &Outgoing) -> Result<String, SendError> {
        let m = &out.message;
        if !self.allow_private
            && let Some(why) = crate::escalation::ladder::private_webhook(&m.address)
        {
            return Err(SendError::Permanent(format!(
                "refused: the webhook would reach a private network ({why})"
            )));
        }
        let alerts: Vec<_> = m
            .items
            .iter()
            .map(|i| {
                json!({
                    "id": i.alert, "service": i.service, "priority": i.priority.as_str(),
                    "summary": i.summary, "stage": i.stage + 1,
                })
            })
            .collect();
        let body = json!({
            "event": "page",
            "id": out.idempotency_key,
            "text": out.text,
            "alerts": alerts,
            "ack_url": out.ack_url,
            "resolve_url": out.resolve_url,
            "console_url": out.console_url,
        })
        .to_string();
        let ts = out.now_ms / 1000;
        let resp = self
            .http
            .post(&m.address)
            .header("content-type", "application/json")
            .header("Idempotency-Key", &out.idempotency_key)
            .header("X-Vigil-Timestamp", ts.to_string())
            .header("X-Vigil-Signature", signature(&self.secret, ts, &body))
            .body(body)
            .send()
            .await;
        if let Err(e) = &resp
            && let Some(why) = refused_by_resolver(e)
        {
            return Err(SendError::Permanent(format!("refused: {why}")));
        }
        answer(resp).await?;
        Ok(format!("webhook-{}", out.idempotency_key))
    }
}
