//! Replies from responders: an SMS reply ("ack 4821"), a keypress in a
//! voice call, a Slack button, a signed link. Every inbound callback is
//! verified first — Twilio's `X-Twilio-Signature`, Slack's `v0` signature
//! within a five-minute window, the link's own HMAC — and a forged or stale
//! one is refused and changes nothing. An SMS reply counts only from the
//! number the page was sent to.

use super::error::ApiError;
use super::state::AppState;
use crate::delivery::links;
use crate::engine::alerts::{self, Action, replies, views};
use crate::engine::handoffs;
use crate::store::OutboxRow;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

fn twiml(body: &str) -> Response {
    (
        [(header::CONTENT_TYPE, "text/xml")],
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>{body}</Response>"),
    )
        .into_response()
}

fn form(body: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    serde_urlencoded::from_bytes(body)
        .map_err(|e| ApiError::bad_request(format!("malformed form: {e}")))
}

fn field<'a>(f: &'a [(String, String)], k: &str) -> Option<&'a str> {
    f.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

/// A Twilio callback's form fields, once its signature holds.
fn twilio_form(
    st: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Vec<(String, String)>, ApiError> {
    let f = form(body)?;
    check_twilio(st, uri, headers, &f)?;
    Ok(f)
}

/// Checks a Twilio callback's signature over our public URL and its fields.
fn check_twilio(
    st: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    f: &[(String, String)],
) -> Result<(), ApiError> {
    let token = st
        .notify
        .twilio_token()
        .ok_or_else(|| ApiError::not_found("Twilio callbacks (Twilio is not configured)"))?;
    let url = format!(
        "{}{}",
        st.public_url,
        uri.path_and_query()
            .map(|p| p.as_str())
            .unwrap_or(uri.path())
    );
    let given = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if links::verify_twilio(token, &url, f, given) {
        Ok(())
    } else {
        tracing::warn!(
            path = uri.path(),
            "refused a Twilio callback with a bad signature"
        );
        Err(ApiError::forbidden("bad X-Twilio-Signature"))
    }
}

/// Applies `action` to every alert a message carried, as the paged person.
async fn act_on(
    st: &AppState,
    rows: &[OutboxRow],
    action: Action,
    who: Option<&str>,
    via: &str,
) -> Result<usize, ApiError> {
    let now = st.now();
    let n = replies::act_on_message(&st.store, &st.cache, rows, action, who, via, now).await?;
    st.dispatch.wake();
    st.console.alerts_changed();
    Ok(n)
}

/// `POST /api/v1/callbacks/twilio/sms`: "ack 4821", "resolve 4821", "escalate 4821".
#[utoipa::path(post, path = "/api/v1/callbacks/twilio/sms", tag = "callbacks", request_body(content = super::wire::TwilioSms, content_type = "application/x-www-form-urlencoded"), params(("X-Twilio-Signature" = String, Header, description = "Twilio's signature over the URL and fields")), responses((status = 200, description = "TwiML", body = String, content_type = "text/xml"), (status = 403, description = "bad X-Twilio-Signature", body = super::ErrorBody), (status = 404, description = "Twilio is not configured", body = super::ErrorBody)))]
pub async fn twilio_sms(
    State(st): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = twilio_form(&st, &uri, &headers, &body)?;
    let from = field(&f, "From").unwrap_or("");
    use crate::delivery::reply::{self, Reply, Verb};
    let (verb, code) = match reply::parse(field(&f, "Body").unwrap_or("")) {
        Reply::Act { verb, code } => (verb, code),
        // Twilio (and the carriers) block texts to a number that sent STOP
        // until it sends START; a blocked SMS fails for good and the page
        // moves to the person's next channel.
        Reply::Stop => {
            return Ok(twiml(
                "<Message>Vigil: you will get no more texts from this number; pages still reach you by your other contact methods. Reply START to get texts again.</Message>",
            ));
        }
        Reply::Start => {
            return Ok(twiml(
                "<Message>Vigil: texts are on again. Reply HELP for help.</Message>",
            ));
        }
        Reply::Note(text) => {
            let answer = handoffs::note_by_sms(&st.store, &st.cache, from, &text, st.now()).await?;
            return Ok(twiml(&format!("<Message>{}</Message>", esc(&answer))));
        }
        Reply::Help | Reply::Unknown => {
            return Ok(twiml(
                "<Message>Vigil on-call pages. Reply ACK or RESOLVE with the page's code (\"ack 4821\", \"4821 r\"), or just ACK when one page is open. NOTE and your notes leaves them for the next shift. Reply STOP to stop texts.</Message>",
            ));
        }
    };
    let (action, word) = match verb {
        Verb::Ack => (Action::Ack, "acknowledge"),
        Verb::Resolve => (Action::Resolve, "resolve"),
        Verb::Escalate => (Action::Escalate, "escalate"),
    };
    let rows = match &code {
        Some(code) => views::by_code(&st.store, code, from).await?,
        None => match replies::sole_open_message(&st.store, from, &action, st.now()).await? {
            replies::Sole::One(rows) => rows,
            replies::Sole::Nothing => {
                // No page: "ack" may take over a shift (acknowledge its handoff).
                if verb == Verb::Ack
                    && let Some(done) =
                        handoffs::ack_by_sms(&st.store, &st.cache, from, st.now()).await?
                {
                    return Ok(twiml(&format!("<Message>{}</Message>", esc(&done))));
                }
                return Ok(twiml(&format!(
                    "<Message>No open page to {word} was sent to this number.</Message>"
                )));
            }
            replies::Sole::Several(n) => {
                return Ok(twiml(&format!(
                    "<Message>You have {n} open pages; reply with the code of one, for example \"ack 4821\".</Message>"
                )));
            }
        },
    };
    if rows.is_empty() {
        let code = code.unwrap_or_default();
        tracing::warn!(
            code,
            "refused an SMS reply: no page with that code went to that number"
        );
        return Ok(twiml(&format!(
            "<Message>No page with code {code} was sent to this number.</Message>"
        )));
    }
    if let Some(done) = replies::already_done(&st.store, &rows, &action).await? {
        return Ok(twiml(&format!("<Message>{}</Message>", esc(&done))));
    }
    let name = action.name();
    let n = act_on(&st, &rows, action, None, "sms").await?;
    Ok(twiml(&format!("<Message>{n} alert(s) {name}.</Message>")))
}

/// The `m` (message id) of a callback URL.
fn message_of(uri: &Uri) -> Result<String, ApiError> {
    uri.query()
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .and_then(|q| q.into_iter().find(|(k, _)| k == "m").map(|(_, v)| v))
        .ok_or_else(|| ApiError::bad_request("m is required").field("m"))
}

/// `POST /api/v1/callbacks/twilio/status?m=MESSAGE`: delivery reports for
/// an SMS (`MessageStatus`) or a call (`CallStatus`), on each alert's timeline.
#[utoipa::path(post, path = "/api/v1/callbacks/twilio/status", tag = "callbacks", request_body(content = super::wire::TwilioStatus, content_type = "application/x-www-form-urlencoded"), params(("m" = String, Query, description = "the message id"), ("X-Twilio-Signature" = String, Header, description = "Twilio's signature over the URL and fields")), responses((status = 204, description = "recorded on each alert's timeline"), (status = 403, description = "bad X-Twilio-Signature", body = super::ErrorBody), (status = 404, description = "Twilio is not configured", body = super::ErrorBody)))]
pub async fn twilio_status(
    State(st): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let f = twilio_form(&st, &uri, &headers, &body)?;
    let message = message_of(&uri)?;
    let status = field(&f, "MessageStatus")
        .or_else(|| field(&f, "CallStatus"))
        .unwrap_or("unknown");
    let rows = views::message(&st.store, &message).await?;
    let detail = json!({
        "message": message,
        "status": status,
        "provider_id": field(&f, "MessageSid").or_else(|| field(&f, "CallSid")),
        "error_code": field(&f, "ErrorCode"),
    });
    alerts::record_delivery(&st.store, &rows, detail, st.now()).await?;
    // An undelivered page may have moved to the next channel: send it now.
    st.dispatch.wake();
    st.console.alerts_changed();
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/callbacks/twilio/voice?m=MESSAGE`: the keypress of a page call.
#[utoipa::path(post, path = "/api/v1/callbacks/twilio/voice", tag = "callbacks", request_body(content = super::wire::TwilioVoice, content_type = "application/x-www-form-urlencoded"), params(("m" = String, Query, description = "the message id"), ("X-Twilio-Signature" = String, Header, description = "Twilio's signature over the URL and fields")), responses((status = 200, description = "TwiML", body = String, content_type = "text/xml"), (status = 403, description = "bad X-Twilio-Signature", body = super::ErrorBody), (status = 404, description = "Twilio is not configured", body = super::ErrorBody)))]
pub async fn twilio_voice(
    State(st): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = twilio_form(&st, &uri, &headers, &body)?;
    let message = message_of(&uri)?;
    let action = match field(&f, "Digits") {
        Some("1") => Action::Ack,
        Some("2") => Action::Resolve,
        Some("3") => Action::Escalate,
        _ => return Ok(twiml("<Say>Sorry, that key does nothing. Goodbye.</Say>")),
    };
    let rows = views::message(&st.store, &message).await?;
    if rows.is_empty() {
        return Ok(twiml("<Say>This page is unknown. Goodbye.</Say>"));
    }
    let name = action.name();
    act_on(&st, &rows, action, None, "voice").await?;
    Ok(twiml(&format!("<Say>The alert is {name}. Goodbye.</Say>")))
}

/// Refuses a request from Slack unless its `v0` signature is good and
/// fresh (`what` names the endpoint when Slack is not configured).
pub(super) fn verify_slack(
    st: &AppState,
    headers: &HeaderMap,
    body: &[u8],
    what: &str,
) -> Result<(), ApiError> {
    let secret = st
        .notify
        .slack_secret()
        .ok_or_else(|| ApiError::not_found(format!("{what} (Slack is not configured)")))?;
    let h = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or("");
    links::verify_slack(
        secret,
        h("x-slack-request-timestamp"),
        body,
        h("x-slack-signature"),
        st.now_secs(),
    )
    .map_err(|why| {
        tracing::warn!(why, what, "refused a request from Slack");
        ApiError::forbidden(format!("Slack signature: {why}"))
    })
}

/// `POST /api/v1/callbacks/slack`: a button in a page message.
#[utoipa::path(post, path = "/api/v1/callbacks/slack", tag = "callbacks", request_body(content = super::wire::SlackForm, content_type = "application/x-www-form-urlencoded"), params(("X-Slack-Request-Timestamp" = String, Header, description = "seconds since the epoch"), ("X-Slack-Signature" = String, Header, description = "v0=HMAC-SHA256 over v0:timestamp:body")), responses((status = 200, description = "what the presser sees", body = super::wire::SlackReply), (status = 403, description = "bad or stale Slack signature", body = super::ErrorBody), (status = 404, description = "Slack is not configured, or no such page", body = super::ErrorBody)))]
pub async fn slack(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    verify_slack(&st, &headers, &body, "Slack callbacks")?;
    let f = form(&body)?;
    let payload: serde_json::Value = field(&f, "payload")
        .and_then(|p| serde_json::from_str(p).ok())
        .ok_or_else(|| ApiError::bad_request("payload is required").field("payload"))?;
    let user = payload["user"]["id"].as_str().unwrap_or("");
    let act = &payload["actions"][0];
    let action = act["action_id"]
        .as_str()
        .and_then(alerts::verb)
        .ok_or_else(|| ApiError::bad_request("unknown action").field("actions"))?;
    let message = act["value"].as_str().unwrap_or("");
    let person = views::person_by_chat(&st.store, user).await?;
    let Some(person) = person else {
        return Ok(Json(json!({ "response_type": "ephemeral", "replace_original": false, "text": "Your Slack account is not linked to a Vigil person, so Vigil cannot take this action." })).into_response());
    };
    let rows = views::message(&st.store, message).await?;
    if rows.is_empty() {
        return Err(ApiError::not_found(format!("page {message}")));
    }
    let name = action.name();
    act_on(&st, &rows, action, Some(&person), "chat").await?;
    Ok(
        Json(json!({ "replace_original": false, "text": format!("{name} by {person}") }))
            .into_response(),
    )
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{title} — Vigil</title></head><body style=\"font-family:sans-serif;max-width:36em;margin:2em auto\">\
         <h1>{title}</h1>{body}</body></html>"
    ))
}

fn esc(s: &str) -> String {
    crate::notify::xml_escape(s)
}

async fn link_rows(st: &AppState, token: &str) -> Result<(Vec<OutboxRow>, String), Response> {
    let (message, action) = match links::verify_link(&st.link_secret, token, st.now_secs()) {
        Ok(v) => v,
        Err(why) => {
            return Err((
                StatusCode::FORBIDDEN,
                page("Link refused", &format!("<p>{}.</p>", esc(why))),
            )
                .into_response());
        }
    };
    match views::message(&st.store, &message).await {
        Ok(rows) if !rows.is_empty() => Ok((rows, action)),
        Ok(_) => Err((
            StatusCode::NOT_FOUND,
            page("Unknown page", "<p>This page is unknown.</p>"),
        )
            .into_response()),
        Err(e) => Err(ApiError::from(e).into_response()),
    }
}

/// `GET /ack/{token}`: shows the alert and a button. A GET never changes
/// anything, so a mail scanner that follows links acknowledges nothing.
#[utoipa::path(get, path = "/ack/{token}", tag = "callbacks", params(("token" = String, Path, description = "the signed link from a page")), responses((status = 200, description = "a page", body = String, content_type = "text/html"), (status = 403, description = "the link is forged or expired", body = String, content_type = "text/html"), (status = 404, description = "the page is unknown", body = String, content_type = "text/html")))]
pub async fn link_get(State(st): State<AppState>, Path(token): Path<String>) -> Response {
    let (rows, action) = match link_rows(&st, &token).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut list = String::new();
    for a in views::alerts_of(&st.store, &rows).await.unwrap_or_default() {
        {
            list.push_str(&format!(
                "<li>[{}] {} — {}</li>",
                a.priority.as_str(),
                esc(&a.summary),
                a.status.as_str()
            ));
        }
    }
    page(
        "Vigil page",
        &format!(
            "<ul>{list}</ul><form method=\"post\"><button type=\"submit\" style=\"font-size:1.4em\">{}</button></form>",
            if action == "resolve" { "Resolve" } else { "Acknowledge" }
        ),
    )
    .into_response()
}

/// `POST /ack/{token}`: the button.
#[utoipa::path(post, path = "/ack/{token}", tag = "callbacks", params(("token" = String, Path, description = "the signed link from a page")), responses((status = 200, description = "a page", body = String, content_type = "text/html"), (status = 403, description = "the link is forged or expired", body = String, content_type = "text/html"), (status = 404, description = "the page is unknown", body = String, content_type = "text/html")))]
pub async fn link_post(State(st): State<AppState>, Path(token): Path<String>) -> Response {
    let (rows, action) = match link_rows(&st, &token).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let act = if action == "resolve" {
        Action::Resolve
    } else {
        Action::Ack
    };
    let name = act.name();
    match act_on(&st, &rows, act, None, "link").await {
        Ok(n) => page(
            "Done",
            &format!("<p>{n} alert(s) {name}. Paging has stopped.</p>"),
        )
        .into_response(),
        Err(e) => e.into_response(),
    }
}
