//! Alerts from monitoring tools.
//!
//! - PagerDuty Events API v2 (`POST /v2/enqueue`): `routing_key` is a Vigil
//!   integration key; `event_action` trigger / acknowledge / resolve;
//!   severity critical→P1, error→P2, warning→P3, info→P4; answers 202
//!   `{"status":"success","message":"Event processed","dedup_key":…}` or 400
//!   `{"status":"invalid event","message":"Event object is invalid","errors":[…]}`
//!   as PagerDuty does, so any tool that pages PagerDuty can page Vigil.
//!   https://developer.pagerduty.com/docs/events-api-v2/trigger-events/
//! - Prometheus Alertmanager webhook (payload version 4) at
//!   `/api/v1/integrations/alertmanager/{key}`: one alert per group key;
//!   firing opens or updates it, resolved resolves it. Alertmanager retries
//!   only on 5xx, so a failure Vigil wants retried answers 503 (never 429).
//!   https://prometheus.io/docs/alerting/latest/configuration/#webhook_config

use super::services::by_key;
use super::state::AppState;
use crate::engine::alerts::{self, Action, MAX_KEY, MAX_SUMMARY, NewAlert, check_new};
use crate::engine::dedup::Deduped;
use crate::engine::error::Error;
use crate::escalation::Priority;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

fn pd_invalid(errors: Vec<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "status": "invalid event", "message": "Event object is invalid", "errors": errors })),
    )
        .into_response()
}

fn pd_accepted(dedup_key: Option<String>) -> Response {
    (
        StatusCode::ACCEPTED,
        Json(json!({ "status": "success", "message": "Event processed", "dedup_key": dedup_key })),
    )
        .into_response()
}

fn pd_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({ "status": "error", "message": message, "errors": [message] })),
    )
        .into_response()
}

pub fn severity(s: &str) -> Option<Priority> {
    match s {
        "critical" => Some(Priority::P1),
        "error" => Some(Priority::P2),
        "warning" => Some(Priority::P3),
        "info" => Some(Priority::P4),
        _ => None,
    }
}

/// `POST /v2/enqueue`.
#[utoipa::path(post, path = "/v2/enqueue", tag = "intake", request_body = super::wire::PdEvent, responses((status = 202, description = "the event was processed", body = super::wire::PdAccepted), (status = 400, description = "the event is invalid, or the routing key unknown (as PagerDuty answers)", body = super::wire::PdRefused), (status = 500, description = "an internal error", body = super::wire::PdRefused), (status = 503, description = "the database is busy; retry", body = super::wire::PdRefused)))]
pub async fn enqueue(State(st): State<AppState>, body: Bytes) -> Response {
    match within(&st, "pagerduty", enqueue_inner(&st, &body)).await {
        Some(r) => r,
        None => unavailable(pd_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the database is busy; retry",
        )),
    }
}

async fn enqueue_inner(st: &AppState, body: &[u8]) -> Response {
    let v: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return pd_invalid(vec![format!("malformed JSON: {e}")]),
    };
    let s = |p: &str| v.pointer(p).and_then(Value::as_str);
    let mut errors = Vec::new();
    let key = s("/routing_key").unwrap_or("");
    if key.is_empty() {
        errors.push("'routing_key' is missing or blank".to_string());
    }
    let action = s("/event_action").unwrap_or("");
    if !matches!(action, "trigger" | "acknowledge" | "resolve") {
        errors.push("'event_action' must be one of trigger, acknowledge or resolve".into());
    }
    let dedup = s("/dedup_key").map(str::to_string);
    if action != "trigger" && dedup.is_none() {
        errors.push("'dedup_key' is required for acknowledge and resolve".into());
    }
    let mut new = None;
    if action == "trigger" {
        let summary = s("/payload/summary").unwrap_or("");
        let source = s("/payload/source").unwrap_or("");
        let sev = s("/payload/severity").unwrap_or("");
        if summary.is_empty() {
            errors.push("'payload.summary' is missing or blank".into());
        }
        if source.is_empty() {
            errors.push("'payload.source' is missing or blank".into());
        }
        let priority = severity(sev);
        if priority.is_none() {
            errors
                .push("'payload.severity' must be one of critical, error, warning or info".into());
        }
        let details = v
            .pointer("/payload/custom_details")
            .cloned()
            .unwrap_or(Value::Null);
        // Alertmanager's PagerDuty receiver sends `error` unless told
        // otherwise; a `severity` (or `priority`) it passes in the details
        // says what the alert really is.
        let priority = match (priority, sev) {
            (Some(Priority::P2), "error") => {
                let label = |k: &str| details.get(k).and_then(Value::as_str);
                match (label("priority"), label("severity")) {
                    (None, None) => priority,
                    (p, s) => Some(label_priority(p, s.or(Some("error")))),
                }
            }
            _ => priority,
        };
        if let Err(Error::Invalid { field, message, .. }) =
            check_new(summary, &details, dedup.as_deref())
            && !summary.is_empty()
        {
            errors.push(format!("'{field}': {message}"));
        }
        new = Some((
            summary.to_string(),
            source.to_string(),
            priority.unwrap_or(Priority::P3),
            details,
        ));
    }
    if !errors.is_empty() {
        return pd_invalid(errors);
    }
    enqueue_event(st, key, action, dedup, new, &v).await
}

/// The database part of a PagerDuty event, once it has been read.
async fn enqueue_event(
    st: &AppState,
    key: &str,
    action: &str,
    dedup: Option<String>,
    new: Option<(String, String, Priority, Value)>,
    v: &Value,
) -> Response {
    let now = st.now();
    // A repeated trigger for an open alert is only counted, in a batch.
    let known = match (&new, &dedup) {
        (Some(_), Some(dk)) => match st.dedup.count(key, dk, now.timestamp_millis()).await {
            Ok(Deduped::Counted { .. }) => return pd_accepted(Some(dk.clone())),
            Ok(Deduped::NotOpen { service }) => Ok(Some(service)),
            Ok(Deduped::UnknownKey) => Ok(None),
            Err(e) => Err(e),
        },
        _ => by_key(st, key).await.map_err(|e| e.message),
    };
    let service = match known {
        Ok(Some(svc)) => svc,
        Ok(None) => return pd_invalid(vec!["Invalid routing key".into()]),
        Err(_) => return pd_error(StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
    };
    let actor = format!("integration:{service}");
    let result = match new {
        Some((summary, source, priority, details)) => {
            let mut links = v.get("links").cloned().unwrap_or(json!([]));
            // The sender's own page for the alert (PagerDuty's `client_url`).
            let s = |p: &str| v.pointer(p).and_then(Value::as_str);
            if let (Some(list), Some(url)) = (links.as_array_mut(), s("/client_url")) {
                let text = s("/client").unwrap_or("Source");
                list.push(json!({ "href": url, "text": text }));
            }
            let n = NewAlert {
                service,
                summary,
                details,
                priority,
                dedup_key: dedup,
                source,
                links,
            };
            st.opener
                .open(n, &actor, now)
                .await
                .map(|(row, _)| Some(row.dedup_key))
        }
        None => {
            let dk = dedup.unwrap_or_default();
            let act = if action == "acknowledge" {
                Action::Ack
            } else {
                Action::Resolve
            };
            // PagerDuty accepts acknowledge/resolve for unknown keys too.
            alerts::act_on_key(
                &st.store,
                &st.cache,
                &service,
                &dk,
                act,
                &actor,
                "pagerduty-events",
                now,
            )
            .await
            .map(|_| Some(dk))
        }
    };
    match result {
        Ok(dk) => {
            st.dispatch.wake();
            st.console.alerts_changed();
            pd_accepted(dk)
        }
        Err(Error::Store(e)) if e.is_unavailable() => {
            tracing::warn!(error = %e, "PagerDuty event answered 503: the database refuses writes");
            unavailable(pd_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the database is not taking writes; retry",
            ))
        }
        Err(Error::Store(e)) => {
            tracing::error!(error = %e, "PagerDuty event failed");
            pd_error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
        Err(e) => pd_invalid(vec![e.to_string()]),
    }
}

/// Runs an intake's database work within the intake deadline, counting
/// the outcome; None if the deadline passed (the caller answers 503).
pub async fn within<F: std::future::Future<Output = Response>>(
    st: &AppState,
    source: &str,
    work: F,
) -> Option<Response> {
    match tokio::time::timeout(st.intake_timeout, work).await {
        Ok(r) => {
            let outcome = if r.status().is_success() {
                "accepted"
            } else if r.status() == StatusCode::SERVICE_UNAVAILABLE {
                // The database refused the write for now: to be retried.
                "unavailable"
            } else if r.status().is_client_error() {
                "invalid"
            } else {
                "failed"
            };
            st.metrics.intake(source, outcome);
            Some(r)
        }
        Err(_) => {
            tracing::warn!(
                source,
                timeout_ms = st.intake_timeout.as_millis() as u64,
                "intake answered 503: the database did not answer in time"
            );
            st.metrics.intake(source, "unavailable");
            None
        }
    }
}

/// `within` for the JSON API's intake routes: a 503 in the API's error shape.
pub async fn api_within<F: std::future::Future<Output = Response>>(
    st: &AppState,
    source: &str,
    work: F,
) -> Response {
    match within(st, source, work).await {
        Some(r) => r,
        None => unavailable(
            super::error::ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the database is busy; retry",
            )
            .into_response(),
        ),
    }
}

/// How long a sender should wait before retrying a 503.
pub const RETRY_AFTER_SECS: u64 = 5;

/// A 503 with `Retry-After`.
pub fn unavailable(mut r: Response) -> Response {
    *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    r.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from(RETRY_AFTER_SECS),
    );
    r
}

/// `POST /api/v1/integrations/alertmanager/{key}`.
#[utoipa::path(post, path = "/api/v1/integrations/alertmanager/{key}", tag = "intake", request_body = super::wire::AmWebhook, params(("key" = String, Path, description = "an integration key of the service")), responses((status = 200, description = "the group opened, updated or resolved its alert", body = super::wire::AmAccepted), (status = 401, description = "unknown integration key", body = super::ErrorBody), (status = 503, description = "the database is busy; Alertmanager retries", body = super::ErrorBody)))]
pub async fn alertmanager(
    State(st): State<AppState>,
    Path(key): Path<String>,
    body: Bytes,
) -> Response {
    match within(&st, "alertmanager", alertmanager_event(&st, &key, &body)).await {
        Some(r) => r,
        None => retry_later(),
    }
}

async fn alertmanager_event(st: &AppState, key: &str, body: &[u8]) -> Response {
    let service = match by_key(st, key).await {
        Ok(Some(svc)) => svc,
        Ok(None) => return super::error::ApiError::unauthorized().into_response(),
        Err(_) => return retry_later(),
    };
    let v: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return super::error::ApiError::bad_request(format!("malformed JSON: {e}"))
                .into_response();
        }
    };
    let s = |p: &str| v.pointer(p).and_then(Value::as_str);
    let Some(group) = s("/groupKey").filter(|g| !g.is_empty()) else {
        return super::error::ApiError::invalid("groupKey", "groupKey is required").into_response();
    };
    let status = s("/status").unwrap_or("firing");
    let now = st.now();
    let actor = format!("integration:{service}");
    // One key for both directions, cut as the intake cuts every dedup key.
    let dedup: String = group.chars().take(MAX_KEY).collect();
    let result = if status == "resolved" {
        alerts::act_on_key(
            &st.store,
            &st.cache,
            &service,
            &dedup,
            Action::Resolve,
            &actor,
            "alertmanager",
            now,
        )
        .await
        .map(|_| ())
    } else {
        let label = |name: &str| {
            s(&format!("/commonLabels/{name}")).or_else(|| s(&format!("/alerts/0/labels/{name}")))
        };
        let priority = label_priority(label("priority"), label("severity"));
        let firing = v["alerts"]
            .as_array()
            .map_or(0, |a| a.iter().filter(|x| x["status"] == "firing").count());
        let name = s("/commonAnnotations/summary")
            .or_else(|| s("/alerts/0/annotations/summary"))
            .or_else(|| s("/groupLabels/alertname"))
            .or_else(|| label("alertname"))
            .unwrap_or("Alertmanager alert");
        let summary: String = if firing > 1 {
            format!("{name} ({firing} firing)")
        } else {
            name.to_string()
        }
        .chars()
        .take(MAX_SUMMARY)
        .collect();
        let details = json!({
            "commonLabels": v["commonLabels"], "commonAnnotations": v["commonAnnotations"],
            "alerts": v["alerts"].as_array().map(|a| a.iter().take(50).cloned().collect::<Vec<_>>()),
        });
        // The runbook first (a page links to it), then the rule's own page.
        let mut links = Vec::new();
        let annotation = |name: &str| {
            s(&format!("/commonAnnotations/{name}"))
                .or_else(|| s(&format!("/alerts/0/annotations/{name}")))
        };
        if let Some(u) = annotation("runbook_url") {
            links.push(json!({ "href": u, "text": "Runbook" }));
        }
        if let Some(u) = annotation("dashboard_url")
            .or_else(|| s("/alerts/0/dashboardURL"))
            .filter(|u| !u.is_empty())
        {
            links.push(json!({ "href": u, "text": "Dashboard" }));
        }
        if let Some(u) = s("/alerts/0/generatorURL").filter(|u| !u.is_empty()) {
            links.push(json!({ "href": u, "text": "Source" }));
        }
        if let Some(u) = s("/externalURL") {
            links.push(json!({ "href": u, "text": "Alertmanager" }));
        }
        let links = Value::Array(links);
        let n = NewAlert {
            service,
            summary,
            details,
            priority,
            dedup_key: Some(dedup),
            source: "alertmanager".into(),
            links,
        };
        st.opener.open(n, &actor, now).await.map(|_| ())
    };
    match result {
        Ok(()) => {
            st.dispatch.wake();
            st.console.alerts_changed();
            (StatusCode::OK, Json(json!({ "status": "success" }))).into_response()
        }
        Err(Error::Store(e)) => {
            tracing::error!(error = %e, "Alertmanager webhook failed");
            retry_later()
        }
        Err(e) => super::error::ApiError::from(e).into_response(),
    }
}

/// An Alertmanager alert's priority: a `priority` label (P1–P4), else its
/// `severity` (PagerDuty's words, or page/high/low/ticket), else P3.
fn label_priority(priority: Option<&str>, severity_label: Option<&str>) -> Priority {
    priority
        .and_then(Priority::parse)
        .unwrap_or_else(|| match severity_label.unwrap_or("") {
            "page" => Priority::P1,
            "high" => Priority::P2,
            "low" | "ticket" => Priority::P4,
            other => severity(other).unwrap_or(Priority::P3),
        })
}

/// 503: Alertmanager will send it again.
fn retry_later() -> Response {
    unavailable(
        super::error::ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "try again")
            .into_response(),
    )
}
