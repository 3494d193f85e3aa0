//! Alerts over the API: the native intake (`POST /api/v1/alerts`), lists,
//! one alert with its timeline, and the manual actions (acknowledge,
//! resolve, escalate now, reassign, note), each attributed.

use super::auth::Principal;
use super::error::{ApiError, ApiJson};
use super::services::{by_key, key_header};
use super::state::AppState;
use super::time::utc_ms;
use crate::engine::alerts::{self, Action, NewAlert, Outcome, views};
use crate::engine::services;
use crate::escalation::Priority;
use crate::store::{AlertRow, LogRow, OutboxRow};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An alert as the API shows it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AlertOut {
    id: String,
    service: String,
    dedup_key: String,
    /// P1–P4.
    priority: String,
    summary: String,
    #[schema(value_type = Object)]
    details: Value,
    source: String,
    #[schema(value_type = Vec<Object>)]
    links: Value,
    /// triggered, acknowledged or resolved.
    status: String,
    /// Raised in a maintenance window: it pages when the window ends.
    suppressed: bool,
    /// Triggers counted into it (deduplicated ones included).
    count: i64,
    created_at: String,
    last_seen_at: String,
    /// When its timer runs next (the next stage, an SLA warning…).
    next_due: Option<String>,
    acknowledged_by: Option<String>,
    acknowledged_via: Option<String>,
    resolved_by: Option<String>,
    /// created, deduplicated or suppressed (intake only).
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<String>,
}

impl From<&AlertRow> for AlertOut {
    fn from(a: &AlertRow) -> Self {
        let json = |s: &str| serde_json::from_str::<Value>(s).unwrap_or(Value::Null);
        AlertOut {
            id: a.id.clone(),
            service: a.service.clone(),
            dedup_key: a.dedup_key.clone(),
            priority: a.priority.as_str().into(),
            summary: a.summary.clone(),
            details: json(&a.details),
            source: a.source.clone(),
            links: json(&a.links),
            status: a.status.as_str().into(),
            suppressed: a.suppressed,
            count: a.count,
            created_at: utc_ms(a.created_ms),
            last_seen_at: utc_ms(a.last_seen_ms),
            next_due: a.next_due_ms.map(utc_ms),
            acknowledged_by: a.ack_by.clone(),
            acknowledged_via: a.ack_via.clone(),
            resolved_by: a.resolved_by.clone(),
            outcome: None,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AlertList {
    alerts: Vec<AlertOut>,
}

/// One entry of an alert's timeline.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TimelineEntry {
    at: String,
    /// created, stage_paged, acknowledged, delivery, sla_breach, …
    kind: String,
    actor: String,
    #[schema(value_type = Object)]
    detail: Value,
}

impl From<&LogRow> for TimelineEntry {
    fn from(l: &LogRow) -> Self {
        TimelineEntry {
            at: utc_ms(l.at_ms),
            kind: l.kind.clone(),
            actor: l.actor.clone(),
            detail: l.detail.clone(),
        }
    }
}

/// One notification (a message to one address on one channel).
#[derive(Serialize, utoipa::ToSchema)]
pub struct NotificationOut {
    id: String,
    stage: i64,
    round: i64,
    person: Option<String>,
    channel: String,
    address: String,
    status: String,
    attempts: i64,
    due: String,
    sent_at: Option<String>,
    provider_id: Option<String>,
    last_error: Option<String>,
}

impl From<&OutboxRow> for NotificationOut {
    fn from(o: &OutboxRow) -> Self {
        NotificationOut {
            id: o.id.clone(),
            stage: o.stage + 1,
            round: o.round + 1,
            person: o.person.clone(),
            channel: o.channel.as_str().into(),
            address: o.address.clone(),
            status: o.status.as_str().into(),
            attempts: o.attempts,
            due: utc_ms(o.due_ms),
            sent_at: o.sent_ms.map(utc_ms),
            provider_id: o.provider_id.clone(),
            last_error: o.last_error.clone(),
        }
    }
}

/// An alert with its timeline and notifications.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AlertDetail {
    #[serde(flatten)]
    alert: AlertOut,
    timeline: Vec<TimelineEntry>,
    notifications: Vec<NotificationOut>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertBody {
    /// The service's id.
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    service: String,
    #[schema(pattern = "\\S", max_length = 1024)]
    summary: String,
    /// P1–P4 (default P3).
    #[schema(pattern = "^[Pp]?[1-4]$")]
    priority: Option<String>,
    /// Anything that helps the responder (at most 256 KiB as JSON).
    #[serde(default)]
    #[schema(value_type = Object)]
    details: serde_json::Map<String, Value>,
    /// Triggers with the same key update one open alert.
    #[schema(min_length = 1, max_length = 255)]
    dedup_key: Option<String>,
    source: Option<String>,
    /// Links shown with the alert: {"href": URL, "text": …}.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    links: Vec<serde_json::Map<String, Value>>,
}

#[utoipa::path(post, path = "/api/v1/alerts", tag = "alerts", request_body = AlertBody, params(("X-Vigil-Integration-Key" = Option<String>, Header, description = "an integration key (or a bearer token of a lead)")), responses((status = 201, description = "a new alert", body = AlertOut), (status = 200, description = "deduplicated into the open alert", body = AlertOut), (status = 400, description = "malformed JSON", body = super::ErrorBody), (status = 401, description = "no key or token", body = super::ErrorBody), (status = 403, description = "the token may not raise alerts for this service", body = super::ErrorBody), (status = 404, description = "no such service", body = super::ErrorBody), (status = 413, description = "body too large", body = super::ErrorBody), (status = 415, description = "not JSON", body = super::ErrorBody), (status = 422, description = "a field is invalid", body = super::ErrorBody), (status = 503, description = "the database is busy; retry", body = super::ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    headers: HeaderMap,
    p: Option<Principal>,
    ApiJson(b): ApiJson<AlertBody>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let work = async { create_inner(&st, &headers, p, b).await.into_response() };
    super::intake::api_within(&st, "api", work).await
}

async fn create_inner(
    st: &AppState,
    headers: &HeaderMap,
    p: Option<Principal>,
    b: AlertBody,
) -> Result<(StatusCode, Json<AlertOut>), ApiError> {
    let actor = match (key_header(headers), &p) {
        (Some(k), _) => match by_key(st, &k).await? {
            Some(svc) if svc == b.service => format!("integration:{svc}"),
            _ => return Err(ApiError::unauthorized()),
        },
        (None, Some(p)) => {
            let svc = services::find(&st.store, &b.service).await?;
            p.require_lead(&svc.team)?;
            p.actor()
        }
        (None, None) => return Err(ApiError::unauthorized()),
    };
    let priority = match &b.priority {
        Some(s) => Priority::parse(s)
            .filter(|_| s.trim() == s)
            .ok_or_else(|| {
                ApiError::invalid("priority", format!("\"{s}\" is not P1, P2, P3 or P4"))
            })?,
        None => Priority::P3,
    };
    let new = NewAlert {
        service: b.service,
        summary: b.summary,
        details: Value::Object(b.details),
        priority,
        dedup_key: b.dedup_key,
        source: b.source.unwrap_or_else(|| "api".into()),
        links: Value::Array(b.links.into_iter().map(Value::Object).collect()),
    };
    let (row, outcome) = st.opener.open(new, &actor, st.now()).await?;
    st.dispatch.wake();
    st.console.alerts_changed();
    let code = if outcome == Outcome::Deduplicated {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let mut out = AlertOut::from(&row);
    out.outcome = Some(format!("{outcome:?}").to_lowercase());
    Ok((code, Json(out)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// triggered, acknowledged or resolved.
    #[param(pattern = "^(triggered|acknowledged|resolved)$")]
    status: Option<String>,
    /// A service id.
    service: Option<String>,
    /// 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts", params(ListQuery), responses((status = 200, description = "alerts, newest first", body = AlertList), (status = 400, description = "a bad query parameter", body = super::ErrorBody), (status = 401, description = "no valid token", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn list(
    State(st): State<AppState>,
    _p: Principal,
    Query(q): Query<ListQuery>,
) -> Result<Json<AlertList>, ApiError> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request("limit is 1 to 1000").field("limit"));
    }
    let rows = views::list(&st.store, q.status.as_deref(), q.service.as_deref(), limit)
        .await
        .map_err(|e| ApiError::from(e).into_bad_request())?;
    Ok(Json(AlertList {
        alerts: rows.iter().map(AlertOut::from).collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/alerts/{id}", tag = "alerts", params(("id" = String, Path, description = "alert id")), responses((status = 200, description = "the alert, its timeline and notifications", body = AlertDetail), (status = 401, description = "no valid token", body = super::ErrorBody), (status = 404, description = "no such alert", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn get(
    State(st): State<AppState>,
    _p: Principal,
    Path(id): Path<String>,
) -> Result<Json<AlertDetail>, ApiError> {
    let d = views::detail(&st.store, &id).await?;
    Ok(Json(AlertDetail {
        alert: AlertOut::from(&d.alert),
        timeline: d.log.iter().map(TimelineEntry::from).collect(),
        notifications: d.outbox.iter().map(NotificationOut::from).collect(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// The note's text (notes; at most 10,000 characters).
    #[schema(pattern = "\\S", max_length = 10000)]
    text: Option<String>,
    /// The person to page (reassign).
    #[schema(pattern = "^[a-z0-9_.-]{1,64}$")]
    person: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/alerts/{id}/{action}", tag = "alerts", request_body = Option<ActionBody>, params(("id" = String, Path, description = "alert id"), ("action" = String, Path, pattern = "^(ack|acknowledge|resolve|escalate|reassign|note)$", description = "ack, resolve, escalate, reassign or note")), responses((status = 200, description = "the alert after the action", body = AlertOut), (status = 401, description = "no valid token", body = super::ErrorBody), (status = 404, description = "no such alert or action", body = super::ErrorBody), (status = 422, description = "missing text or person", body = super::ErrorBody), (status = 503, description = "the database is busy; retry", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn action(
    State(st): State<AppState>,
    p: Principal,
    Path((id, action)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<AlertOut>, ApiError> {
    // The body is optional: empty (or null) means no text and no person.
    let b: ActionBody = if body.iter().all(u8::is_ascii_whitespace) {
        ActionBody::default()
    } else {
        serde_json::from_slice::<Option<ActionBody>>(&body)
            .map_err(|e| ApiError::invalid("body", e.to_string()))?
            .unwrap_or_default()
    };
    let action = match action.as_str() {
        "note" => Action::Note(b.text.unwrap_or_default()),
        "reassign" => Action::Reassign(
            b.person
                .ok_or_else(|| ApiError::invalid("person", "reassign names a person"))?,
        ),
        "ack" | "acknowledge" => Action::Ack,
        "resolve" => Action::Resolve,
        "escalate" => Action::Escalate,
        other => return Err(ApiError::not_found(format!("action {other}"))),
    };
    let now = st.now();
    let row = alerts::act(&st.store, &st.cache, &id, action, &p.actor(), "api", now).await?;
    st.dispatch.wake();
    st.console.alerts_changed();
    Ok(Json(AlertOut::from(&row)))
}
