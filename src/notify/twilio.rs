//! SMS and voice through a Twilio-compatible REST API:
//! `POST {base}/2010-04-01/Accounts/{sid}/Messages.json` and `/Calls.json`,
//! form-encoded, HTTP basic auth. A call speaks the alert and gathers one
//! keypress (TwiML `<Gather>`), posted back to Vigil's voice callback.
//! https://www.twilio.com/docs/messaging/api/message-resource
//! https://www.twilio.com/docs/voice/twiml/gather

use super::{Notifier, Outgoing, answer};
use crate::delivery::retry::SendError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwilioKind {
    Sms,
    Voice,
}

pub struct Twilio {
    pub http: reqwest::Client,
    pub base: String,
    pub sid: String,
    pub token: secrecy::SecretString,
    pub from: String,
    pub kind: TwilioKind,
}

/// Escapes text for XML (TwiML).
pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// The TwiML of a page call: say the alert, then gather one digit.
pub fn twiml(text: &str, action: &str) -> String {
    let say = xml_escape(text);
    format!(
        "<Response><Gather numDigits=\"1\" timeout=\"10\" action=\"{}\" method=\"POST\">\
         <Say>{say}. Press 1 to acknowledge, 2 to resolve, 3 to escalate.</Say></Gather>\
         <Say>No key was pressed. Goodbye.</Say></Response>",
        xml_escape(action)
    )
}

#[async_trait::async_trait]
impl Notifier for Twilio {
    async fn send(&self, out: &Outgoing) -> Result<String, SendError> {
        let (resource, content) = match self.kind {
            TwilioKind::Sms => ("Messages.json", ("Body", out.text.clone())),
            TwilioKind::Voice => (
                "Calls.json",
                (
                    "Twiml",
                    if out.is_notice() {
                        format!("<Response><Say>{}</Say></Response>", xml_escape(&out.text))
                    } else {
                        twiml(&out.text, &out.voice_callback)
                    },
                ),
            ),
        };
        let url = format!("{}/2010-04-01/Accounts/{}/{resource}", self.base, self.sid);
        let form = [
            ("To", out.message.address.clone()),
            ("From", self.from.clone()),
            (content.0, content.1),
            ("StatusCallback", out.status_callback.clone()),
        ];
        let resp = self
            .http
            .post(url)
            .basic_auth(
                &self.sid,
                Some(secrecy::ExposeSecret::expose_secret(&self.token)),
            )
            .header("Idempotency-Key", &out.idempotency_key)
            .header("I-Twilio-Idempotency-Token", &out.idempotency_key)
            .form(&form)
            .send()
            .await;
        let body = answer(resp).await?;
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        Ok(v["sid"].as_str().unwrap_or("twilio").to_string())
    }
}
