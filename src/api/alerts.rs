//! Alerts over the API: the native intake (`POST /api/v1/alerts`), lists,
//! one alert with its timeline, and the manual actions (acknowledge,
//! resolve, escalate now, reassign, note), each attributed.

use super::auth::Principal;
use super::error::{ApiError, ApiJson};
use super::services::{by_key, key_header};
use super::state::AppState;
use super::time::utc_ms;
use crate::engine::alerts::{self, Action, AlertError, NewAlert, Outcome};
use crate::escalation::Priority;
use crate::store::AlertRow;
use crate::store::{AlertReads as _, Reads as _};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

/// Limits on what an alert may carry.
pub const MAX_SUMMARY: usize = 1024;
pub const MAX_DETAILS: usize = 256 * 1024;
pub const MAX_KEY: usize = 255;

pub fn alert_error(e: AlertError) -> ApiError {
    match e {
        AlertError::NotFound(w) => ApiError::not_found(w),
        AlertError::Invalid(f, m) => ApiError::invalid(f, m),
        AlertError::Store(s) => s.into(),
    }
}

pub fn alert_json(a: &AlertRow) -> Value {
    json!({
        "id": a.id, "service": a.service, "dedup_key": a.dedup_key,
        "priority": Priority::from_level(a.priority).as_str(), "summary": a.summary,
        "details": serde_json::from_str::<Value>(&a.details).unwrap_or(Value::Null),
        "source": a.source, "links": serde_json::from_str::<Value>(&a.links).unwrap_or(Value::Null),
        "status": a.status, "suppressed": a.suppressed, "count": a.count,
        "created_at": utc_ms(a.created_ms), "last_seen_at": utc_ms(a.last_seen_ms),
        "next_due": a.next_due_ms.map(utc_ms),
        "acknowledged_by": a.ack_by, "acknowledged_via": a.ack_via, "resolved_by": a.resolved_by,
    })
}

/// Checks an alert's fields; errors name the field.
pub fn check_new(
    summary: &str,
    details: &Value,
    dedup: Option<&str>,
) -> Result<(), (String, String)> {
    if summary.trim().is_empty() {
        return Err(("summary".into(), "summary must not be empty".into()));
    }
    if summary.chars().count() > MAX_SUMMARY {
        return Err((
            "summary".into(),
            format!("summary is at most {MAX_SUMMARY} characters"),
        ));
    }
    if details.to_string().len() > MAX_DETAILS {
        return Err((
            "details".into(),
            format!("details are at most {MAX_DETAILS} bytes as JSON"),
        ));
    }
    if let Some(k) = dedup
        && (k.is_empty() || k.len() > MAX_KEY)
    {
        return Err((
            "dedup_key".into(),
            format!("dedup_key is 1–{MAX_KEY} characters"),
        ));
    }
    Ok(())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertBody {
    service: String,
    summary: String,
    /// P1–P4 (default P3).
    priority: Option<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    details: Value,
    dedup_key: Option<String>,
    source: Option<String>,
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    links: Vec<Value>,
}

#[utoipa::path(post, path = "/api/v1/alerts", tag = "alerts", request_body = AlertBody, params(("X-Vigil-Integration-Key" = Option<String>, Header, description = "an integration key (or a bearer token of a lead)")), responses((status = 201, description = "a new alert", body = Value), (status = 200, description = "deduplicated into the open alert", body = Value), (status = 422, description = "a field is invalid", body = super::ErrorBody), (status = 401, description = "no key or token", body = super::ErrorBody)))]
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
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let actor = match (key_header(headers), &p) {
        (Some(k), _) => match by_key(st, &k).await? {
            Some(svc) if svc == b.service => format!("integration:{svc}"),
            _ => return Err(ApiError::unauthorized()),
        },
        (None, Some(p)) => {
            let svc =
                st.store.load_service(&b.service).await?.ok_or_else(|| {
                    ApiError::invalid("service", format!("no service {}", b.service))
                })?;
            p.require_lead(&svc.team)?;
            p.actor()
        }
        (None, None) => return Err(ApiError::unauthorized()),
    };
    let priority = match &b.priority {
        Some(s) => Priority::parse(s).ok_or_else(|| {
            ApiError::invalid("priority", format!("\"{s}\" is not P1, P2, P3 or P4"))
        })?,
        None => Priority::P3,
    };
    check_new(&b.summary, &b.details, b.dedup_key.as_deref())
        .map_err(|(f, m)| ApiError::invalid(f, m))?;
    let new = NewAlert {
        service: b.service,
        summary: b.summary,
        details: b.details,
        priority,
        dedup_key: b.dedup_key,
        source: b.source.unwrap_or_else(|| "api".into()),
        links: Value::Array(b.links),
    };
    let (row, outcome) = alerts::trigger(&st.store, &st.cache, new, &actor, st.now())
        .await
        .map_err(alert_error)?;
    st.dispatch.wake();
    let code = if outcome == Outcome::Deduplicated {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let mut v = alert_json(&row);
    v["outcome"] = json!(format!("{outcome:?}").to_lowercase());
    Ok((code, Json(v)))
}

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    service: Option<String>,
    limit: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts", params(("status" = Option<String>, Query, description = "triggered, acknowledged or resolved"), ("service" = Option<String>, Query), ("limit" = Option<u64>, Query, description = "at most 1000 (default 100)")), responses((status = 200, description = "alerts, newest first", body = Value)), security(("bearer" = [])))]
pub async fn list(
    State(st): State<AppState>,
    _p: Principal,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    if let Some(s) = &q.status
        && !matches!(s.as_str(), "triggered" | "acknowledged" | "resolved")
    {
        return Err(
            ApiError::bad_request("status is triggered, acknowledged or resolved").field("status"),
        );
    }
    let rows = st
        .store
        .list_alerts(
            q.status.as_deref(),
            q.service.as_deref(),
            q.limit.unwrap_or(100).min(1000),
        )
        .await?;
    Ok(Json(
        json!({ "alerts": rows.iter().map(alert_json).collect::<Vec<_>>() }),
    ))
}

#[utoipa::path(get, path = "/api/v1/alerts/{id}", tag = "alerts", params(("id" = String, Path, description = "alert id")), responses((status = 200, description = "the alert, its timeline and notifications", body = Value), (status = 404, description = "no such alert", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn get(
    State(st): State<AppState>,
    _p: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let a = st
        .store
        .load_alert(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("alert {id}")))?;
    let log = st.store.alert_log(&id).await?;
    let out = st.store.outbox_for(&id).await?;
    let mut v = alert_json(&a);
    v["timeline"] = log
        .iter()
        .map(|l| json!({ "at": utc_ms(l.at_ms), "kind": l.kind, "actor": l.actor, "detail": l.detail }))
        .collect();
    v["notifications"] = out
        .iter()
        .map(|o| json!({
            "id": o.id, "stage": o.stage + 1, "round": o.round + 1, "person": o.person,
            "channel": o.channel, "address": o.address, "status": o.status, "attempts": o.attempts,
            "due": utc_ms(o.due_ms), "sent_at": o.sent_ms.map(utc_ms),
            "provider_id": o.provider_id, "last_error": o.last_error,
        }))
        .collect();
    Ok(Json(v))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// The note's text (notes) or the person to page (reassign).
    text: Option<String>,
    person: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/alerts/{id}/{action}", tag = "alerts", request_body = Option<ActionBody>, params(("id" = String, Path, description = "alert id"), ("action" = String, Path, description = "ack, resolve, escalate, reassign or note")), responses((status = 200, description = "the alert after the action", body = Value), (status = 404, description = "no such alert or action", body = super::ErrorBody), (status = 422, description = "missing text or person", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn action(
    State(st): State<AppState>,
    p: Principal,
    Path((id, action)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    // The body is optional: empty means no text and no person.
    let b: ActionBody = if body.iter().all(u8::is_ascii_whitespace) {
        ActionBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::invalid("body", e.to_string()))?
    };
    let action = match action.as_str() {
        "ack" | "acknowledge" => Action::Ack,
        "resolve" => Action::Resolve,
        "escalate" => Action::Escalate,
        "note" => Action::Note(
            b.text
                .filter(|t| !t.trim().is_empty() && t.len() <= 10_000)
                .ok_or_else(|| {
                    ApiError::invalid("text", "a note needs text (at most 10,000 bytes)")
                })?,
        ),
        "reassign" => {
            let who = b
                .person
                .ok_or_else(|| ApiError::invalid("person", "reassign names a person"))?;
            if st.store.load_person(&who).await?.is_none() {
                return Err(ApiError::invalid("person", format!("no person {who}")));
            }
            Action::Reassign(who)
        }
        other => return Err(ApiError::not_found(format!("action {other}"))),
    };
    let row = alerts::act(
        &st.store,
        &st.cache,
        &id,
        action,
        &p.actor(),
        "api",
        st.now(),
    )
    .await
    .map_err(alert_error)?;
    st.dispatch.wake();
    Ok(Json(alert_json(&row)))
}
