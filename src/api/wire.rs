//! The shapes of bodies other tools send us and of the operators'
//! endpoints, for the OpenAPI document only: the handlers read these
//! formats leniently (as their senders expect), but the document says
//! exactly what they accept.

use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A PagerDuty Events API v2 event: a trigger, or an acknowledge or
/// resolve of the alert with its dedup key.
#[derive(ToSchema, serde::Deserialize)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum PdEvent {
    Trigger(PdTrigger),
    Change(PdChange),
}

#[derive(ToSchema, serde::Deserialize)]
#[allow(dead_code)]
pub struct PdTrigger {
    /// A Vigil integration key.
    #[schema(min_length = 1)]
    routing_key: String,
    /// "trigger"
    #[schema(pattern = "^trigger$")]
    event_action: String,
    /// Triggers with one key update one open alert (1–255 characters).
    #[schema(min_length = 1, max_length = 255)]
    dedup_key: Option<String>,
    payload: PdPayload,
    #[schema(value_type = Option<Vec<Object>>)]
    links: Option<Vec<serde_json::Value>>,
}

#[derive(ToSchema, serde::Deserialize)]
#[allow(dead_code)]
pub struct PdChange {
    /// A Vigil integration key.
    #[schema(min_length = 1)]
    routing_key: String,
    /// "acknowledge" or "resolve"
    #[schema(pattern = "^(acknowledge|resolve)$")]
    event_action: String,
    /// The key the trigger gave (or Vigil answered with).
    #[schema(min_length = 1, max_length = 255)]
    dedup_key: String,
}

#[derive(ToSchema, serde::Deserialize)]
#[allow(dead_code)]
pub struct PdPayload {
    #[schema(pattern = "\\S", max_length = 1024)]
    summary: String,
    #[schema(min_length = 1)]
    source: String,
    /// critical, error, warning or info
    #[schema(pattern = "^(critical|error|warning|info)$")]
    severity: String,
    #[schema(value_type = Option<Object>)]
    custom_details: Option<serde_json::Value>,
}

/// PagerDuty's answer to an accepted event.
#[derive(ToSchema, Serialize)]
pub struct PdAccepted {
    /// "success"
    status: String,
    /// "Event processed"
    message: String,
    dedup_key: Option<String>,
}

/// PagerDuty's answer to an invalid event (400) or a failure (5xx).
#[derive(ToSchema, Serialize)]
pub struct PdRefused {
    /// "invalid event" or "error"
    status: String,
    message: String,
    errors: Vec<String>,
}

/// Prometheus Alertmanager's webhook payload (version 4).
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "camelCase")]
pub struct AmWebhook {
    version: Option<String>,
    /// One alert per group key.
    #[schema(min_length = 1)]
    group_key: String,
    status: AmStatus,
    receiver: Option<String>,
    group_labels: Option<BTreeMap<String, String>>,
    common_labels: Option<BTreeMap<String, String>>,
    common_annotations: Option<BTreeMap<String, String>>,
    #[schema(rename = "externalURL")]
    external_url: Option<String>,
    alerts: Option<Vec<AmAlert>>,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum AmStatus {
    Firing,
    Resolved,
}

#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "camelCase")]
pub struct AmAlert {
    status: Option<AmStatus>,
    labels: Option<BTreeMap<String, String>>,
    annotations: Option<BTreeMap<String, String>>,
    starts_at: Option<String>,
    ends_at: Option<String>,
    #[schema(rename = "generatorURL")]
    generator_url: Option<String>,
    fingerprint: Option<String>,
}

#[derive(ToSchema, Serialize)]
pub struct AmAccepted {
    /// "success"
    status: String,
}

/// Twilio's form for an incoming SMS (the fields Vigil reads).
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "PascalCase")]
pub struct TwilioSms {
    from: String,
    /// "ack 4821", "resolve 4821", "escalate 4821"
    body: String,
}

/// Twilio's form for a keypress in a page call.
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "PascalCase")]
pub struct TwilioVoice {
    /// 1 acknowledges, 2 resolves, 3 escalates.
    digits: Option<String>,
}

/// Twilio's delivery report for an SMS or a call.
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "PascalCase")]
pub struct TwilioStatus {
    message_status: Option<String>,
    call_status: Option<String>,
    message_sid: Option<String>,
    call_sid: Option<String>,
    error_code: Option<String>,
}

/// Slack's interactivity form: `payload` is the JSON of the button press.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SlackForm {
    payload: String,
}

/// An Events API request: the URL check, or a message event.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SlackEvent {
    /// url_verification or event_callback
    r#type: String,
    challenge: Option<String>,
    /// For a message: type, channel_type ("im"), user, channel, text.
    event: Option<serde_json::Value>,
}

/// The URL check's answer.
#[derive(ToSchema, Serialize)]
pub struct SlackChallenge {
    challenge: Option<String>,
}

/// Slack's answer shown to the person who pressed.
#[derive(ToSchema, Serialize)]
pub struct SlackReply {
    text: String,
    replace_original: bool,
    response_type: Option<String>,
}

/// `/healthz`.
#[derive(ToSchema, Serialize)]
pub struct Health {
    /// "ok"
    pub status: String,
    pub version: String,
    /// The tz database version zone rules come from, e.g. "2026a"
    /// (null when the database does not say).
    pub tzdata: Option<String>,
    /// Where it was read from.
    pub tzdata_source: String,
}

/// `/readyz`.
#[derive(ToSchema, Serialize)]
pub struct Ready {
    /// "ready" or "not ready"
    pub status: String,
    /// Why not, when not ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
