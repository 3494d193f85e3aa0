//! Slack's Events API: a direct message to Vigil's Slack app. "NOTE …"
//! leaves a handoff note for the next shift, "ACK" acknowledges the
//! handoff of the shift the sender holds now (the same operations as the
//! SMS replies), and Vigil answers in the conversation. The request is
//! verified by Slack's `v0` signature first, like the button callback;
//! Slack's retries of an event are answered without acting again.
//! https://api.slack.com/apis/events-api

use super::error::ApiError;
use super::state::AppState;
use crate::delivery::reply::{self, Reply, Verb};
use crate::engine::{alerts::views, handoffs};
use crate::escalation::rules::Channel;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// `POST /api/v1/callbacks/slack/events`: Slack's URL check and direct messages.
#[utoipa::path(post, path = "/api/v1/callbacks/slack/events", tag = "callbacks", request_body(content = super::wire::SlackEvent, content_type = "application/json"), params(("X-Slack-Request-Timestamp" = String, Header, description = "seconds since the epoch"), ("X-Slack-Signature" = String, Header, description = "v0=HMAC-SHA256 over v0:timestamp:body")), responses((status = 200, description = "the URL check's challenge, or an empty answer", body = super::wire::SlackChallenge), (status = 400, description = "not JSON", body = super::ErrorBody), (status = 403, description = "bad or stale Slack signature", body = super::ErrorBody), (status = 404, description = "Slack is not configured", body = super::ErrorBody)))]
pub async fn events(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    super::callbacks::verify_slack(&st, &headers, &body, "Slack events")?;
    let h = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or("");
    let v: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|_| ApiError::bad_request("the body is not JSON").field("body"))?;
    if v["type"] == "url_verification" {
        let challenge = v["challenge"].as_str().unwrap_or("").chars().take(200);
        return Ok(Json(json!({ "challenge": challenge.collect::<String>() })).into_response());
    }
    let ev = &v["event"];
    let is_dm = v["type"] == "event_callback"
        && ev["type"] == "message"
        && ev["channel_type"] == "im"
        && ev["bot_id"].is_null()
        && ev["subtype"].is_null();
    // Slack sends an event again when the first answer was slow; it was
    // acted on the first time.
    if !is_dm || !h("x-slack-retry-num").is_empty() {
        return Ok(Json(json!({})).into_response());
    }
    let (user, channel) = (
        ev["user"].as_str().unwrap_or(""),
        ev["channel"].as_str().unwrap_or(""),
    );
    // Slack's conversation ids are short and alphanumeric ("D0123ABC").
    if channel.is_empty()
        || channel.len() > 64
        || !channel.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return Ok(Json(json!({})).into_response());
    }
    let text = ev["text"].as_str().unwrap_or("");
    let now = st.now();
    let Some(person) = views::person_by_chat(&st.store, user).await? else {
        // Nobody to queue it for: answered once, now.
        let out = crate::notify::Outgoing::notice(
            Channel::Chat,
            channel,
            None,
            "Your Slack account is not linked to a Vigil person.".into(),
            now.timestamp_millis(),
        );
        let slack = st.console.notices.get(Channel::Chat);
        tokio::spawn(async move {
            if let Err(e) = slack.send(&out).await {
                tracing::warn!(error = ?e, "answering a Slack message failed");
            }
        });
        return Ok(Json(json!({})).into_response());
    };
    let answer = match reply::parse(text) {
        Reply::Note(note) => handoffs::note_by(&st.store, &st.cache, &person, &note, now).await?,
        Reply::Act {
            verb: Verb::Ack,
            code: None,
        } => handoffs::ack_by(&st.store, &st.cache, &person, now)
            .await?
            .unwrap_or_else(|| "No handoff to acknowledge: you took over none that waits for it. Acknowledge pages with their buttons.".into()),
        _ => "Send NOTE and your notes to leave them for the next shift, or ACK to acknowledge the handoff of the shift you just took over.".into(),
    };
    // The answer is queued (the note or acknowledgement is stored already);
    // the dispatcher sends it, again after a Slack outage.
    let event = v["event_id"].as_str().unwrap_or("");
    handoffs::answer_in_chat(&st.store, &person, channel, event, &answer, now).await?;
    st.dispatch.wake();
    Ok(Json(json!({})).into_response())
}
