//! Outgoing webhooks (vendors, Mattermost, Teams, anything with a URL):
//! a JSON body signed with HMAC-SHA256 over "{timestamp}.{body}", sent as
//! `X-Vigil-Timestamp` and `X-Vigil-Signature: v1=<hex>`. The receiver
//! recomputes it with the shared secret and rejects old timestamps.

use super::{Notifier, Outgoing, answer};
use crate::dispatch::retry::SendError;
use serde_json::json;

pub struct Webhook {
    pub http: reqwest::Client,
    pub secret: String,
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
        answer(resp).await?;
        Ok(format!("webhook-{}", out.idempotency_key))
    }
}
