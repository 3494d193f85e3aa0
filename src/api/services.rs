//! Services: a team's alert source with its ladder, SLA targets, heartbeat
//! and maintenance windows; and its integration keys (random, shown once,
//! stored hashed, revocable).

use super::auth::{Principal, hash, new_id, new_secret};
use super::error::{ApiError, ApiJson};
use super::state::AppState;
use crate::engine::alerts::service_policy;
use crate::engine::services::{self, ServiceSpec};
use crate::store::AlertReads as _;
use crate::store::ServiceRow;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

fn service_json(row: &ServiceRow) -> Value {
    let windows: Vec<(i64, i64)> = serde_json::from_str(&row.maintenance).unwrap_or_default();
    let ms = super::time::utc_ms;
    json!({
        "id": row.id, "team": row.team, "name": row.name,
        "ladder": serde_json::from_str::<Value>(&row.ladder).unwrap_or(Value::Null),
        "targets": row.targets.as_deref().and_then(|t| serde_json::from_str::<Value>(t).ok()),
        "heartbeat_secs": row.heartbeat_secs,
        "heartbeat_due": row.heartbeat_due_ms.map(ms),
        "maintenance": windows.iter().map(|(s, e)| json!({ "start": ms(*s), "end": ms(*e) })).collect::<Vec<_>>(),
        "origin": row.origin,
    })
}

#[utoipa::path(put, path = "/api/v1/services/{id}", tag = "alerts", request_body = ServiceSpec, params(("id" = String, Path, description = "service id")), responses((status = 200, description = "the service", body = Value), (status = 422, description = "invalid ladder or field", body = super::ErrorBody), (status = 403, description = "not a lead of the team", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn put(
    State(st): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ServiceSpec>,
) -> Result<Json<Value>, ApiError> {
    services::valid_id(&id).map_err(|(f, m)| ApiError::invalid(f, m))?;
    let team = b
        .team
        .clone()
        .ok_or_else(|| ApiError::invalid("team", "a service names its team"))?;
    p.require_lead(&team)?;
    let view = crate::engine::ladders::team_view(&st.store, &st.cache, &team, None)
        .await?
        .ok_or_else(|| ApiError::invalid("team", format!("no team {team}")))?;
    let old = st.store.load_service(&id).await?;
    if let Some(old) = &old {
        p.require_lead(&old.team)?;
    }
    let people = crate::engine::ladders::people(&st.store).await?;
    let now = st.now();
    let mut row = services::build_row(&id, &b, old.as_ref(), now.timestamp_millis(), &view, &|h| {
        people.contains(h)
    })
    .map_err(|(f, m)| ApiError::invalid(f, m))?;
    services::check_webhooks(&row, st.notify.allow_private_webhooks)
        .map_err(|(f, m)| ApiError::invalid(f, m))?;
    // A service written over the API is the API's from now on.
    row.origin = None;
    service_policy(row.clone()).map_err(|e| ApiError::invalid("ladder", e.to_string()))?;
    let tx = st.store.tx_quiet().await?;
    tx.upsert_service(&row, now.timestamp()).await?;
    tx.audit(
        now.timestamp(),
        &p.actor(),
        "service.put",
        &id,
        service_json(&row),
    )
    .await?;
    tx.commit().await?;
    st.dispatch.wake();
    Ok(Json(service_json(&row)))
}

async fn owned(st: &AppState, p: &Principal, id: &str) -> Result<ServiceRow, ApiError> {
    let row = st
        .store
        .load_service(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("service {id}")))?;
    if !(p.leads(&row.team) || p.person.is_some()) {
        return Err(ApiError::forbidden(format!(
            "only a lead of team {} may do this",
            row.team
        )));
    }
    Ok(row)
}

#[utoipa::path(get, path = "/api/v1/services/{id}", tag = "alerts", params(("id" = String, Path, description = "service id")), responses((status = 200, description = "the service", body = Value), (status = 404, description = "no such service", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn get(
    State(st): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(service_json(&owned(&st, &p, &id).await?)))
}

#[utoipa::path(get, path = "/api/v1/services", tag = "alerts", responses((status = 200, description = "every service", body = Value)), security(("bearer" = [])))]
pub async fn list(State(st): State<AppState>, _p: Principal) -> Result<Json<Value>, ApiError> {
    let rows = st.store.load_services().await?;
    Ok(Json(
        json!({ "services": rows.iter().map(service_json).collect::<Vec<_>>() }),
    ))
}

#[utoipa::path(delete, path = "/api/v1/services/{id}", tag = "alerts", params(("id" = String, Path, description = "service id")), responses((status = 204, description = "deleted"), (status = 404, description = "no such service", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn delete(
    State(st): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let row = owned(&st, &p, &id).await?;
    p.require_lead(&row.team)?;
    let now = st.now_secs();
    let tx = st.store.tx().await?;
    tx.delete_service(&id).await?;
    tx.audit(now, &p.actor(), "service.delete", &id, json!({}))
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyBody {
    /// "events" (native API, PagerDuty Events v2, heartbeats) or "alertmanager".
    kind: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/services/{id}/keys", tag = "alerts", request_body = KeyBody, params(("id" = String, Path, description = "service id")), responses((status = 201, description = "the key, shown once", body = Value), (status = 403, description = "not a lead of the team", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn create_key(
    State(st): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<KeyBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let row = owned(&st, &p, &id).await?;
    p.require_lead(&row.team)?;
    let kind = b.kind.unwrap_or_else(|| "events".into());
    if !matches!(kind.as_str(), "events" | "alertmanager") {
        return Err(ApiError::invalid("kind", "kind is events or alertmanager"));
    }
    let (secret, h) = new_secret("vik_");
    let key_id = new_id("key_");
    let now = st.now_secs();
    let tx = st.store.tx().await?;
    tx.insert_integration_key(&key_id, &id, &h, &kind, now)
        .await?;
    tx.audit(
        now,
        &p.actor(),
        "integration_key.create",
        &key_id,
        json!({ "service": id, "kind": kind }),
    )
    .await?;
    tx.commit().await?;
    let url = match kind.as_str() {
        "alertmanager" => format!(
            "{}/api/v1/integrations/alertmanager/{secret}",
            st.public_url
        ),
        _ => format!("{}/v2/enqueue", st.public_url),
    };
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": key_id, "key": secret, "kind": kind, "url": url })),
    ))
}

#[utoipa::path(delete, path = "/api/v1/services/{id}/keys/{key}", tag = "alerts", params(("id" = String, Path, description = "service id"), ("key" = String, Path, description = "key id")), responses((status = 204, description = "revoked"), (status = 404, description = "no such key", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn revoke_key(
    State(st): State<AppState>,
    p: Principal,
    Path((id, key)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let row = owned(&st, &p, &id).await?;
    p.require_lead(&row.team)?;
    let now = st.now_secs();
    let tx = st.store.tx().await?;
    let n = tx.revoke_integration_key(&id, &key, now).await?;
    if n == 0 {
        return Err(ApiError::not_found(format!("key {key}")));
    }
    tx.audit(
        now,
        &p.actor(),
        "integration_key.revoke",
        &key,
        json!({ "service": id }),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The service a live integration key belongs to. (Creating or revoking a
/// key, or deleting a service, bumps the change counter, which the
/// deduplication batcher's key cache watches.) Any kind of key works
/// on every intake; the kind only says which URL it was made for.
pub async fn by_key(st: &AppState, key: &str) -> Result<Option<String>, ApiError> {
    Ok(st
        .store
        .find_integration_key(&hash(key.trim()))
        .await?
        .map(|k| k.service))
}

/// The key from `X-Vigil-Integration-Key`.
pub fn key_header(h: &HeaderMap) -> Option<String> {
    h.get("x-vigil-integration-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

#[utoipa::path(post, path = "/api/v1/services/{id}/heartbeat", tag = "alerts", params(("id" = String, Path, description = "service id"), ("X-Vigil-Integration-Key" = String, Header, description = "an integration key of the service")), responses((status = 202, description = "checked in", body = Value), (status = 401, description = "no or wrong key", body = super::ErrorBody)))]
pub async fn heartbeat(
    State(st): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let work = async { check_in(&st, &id, &headers).await.into_response() };
    super::intake::api_within(&st, "heartbeat", work).await
}

async fn check_in(
    st: &AppState,
    id: &str,
    headers: &HeaderMap,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let id = id.to_string();
    let key = key_header(headers).ok_or_else(ApiError::unauthorized)?;
    match by_key(st, &key).await? {
        Some(svc) if svc == id => {}
        _ => return Err(ApiError::unauthorized()),
    }
    let row = st
        .store
        .load_service(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("service {id}")))?;
    let Some(secs) = row.heartbeat_secs else {
        return Err(ApiError::invalid(
            "heartbeat",
            "this service has no heartbeat",
        ));
    };
    let now = st.now();
    let due = now.timestamp_millis() + secs * 1000;
    let tx = st.store.tx_quiet().await?;
    tx.set_heartbeat_due(&id, Some(due)).await?;
    tx.commit().await?;
    // Checking in again resolves the missed-heartbeat alert.
    let resolve = crate::engine::alerts::Action::Resolve;
    crate::engine::alerts::act_on_key(
        &st.store,
        &st.cache,
        &id,
        "heartbeat",
        resolve,
        "vigil heartbeat",
        "heartbeat",
        now,
    )
    .await
    .map_err(super::alerts::alert_error)?;
    st.dispatch.wake();
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "next_due": super::time::utc(now + chrono::Duration::seconds(secs)) })),
    ))
}
