//! Services over HTTP: a team's alert source with its ladder, SLA targets,
//! heartbeat and maintenance windows; and its integration keys. The
//! operations are `engine::services`.

use super::auth::Principal;
use super::error::{ApiError, ApiJson};
use super::state::AppState;
use crate::engine::services::{self, ServiceSpec};
use crate::store::ServiceRow;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Window {
    start: String,
    end: String,
}

/// A service as the API shows it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ServiceView {
    id: String,
    team: String,
    name: String,
    #[schema(value_type = Object)]
    ladder: Value,
    #[schema(value_type = Option<Object>)]
    targets: Option<Value>,
    heartbeat_secs: Option<i64>,
    heartbeat_due: Option<String>,
    maintenance: Vec<Window>,
    /// "file:NAME.toml" when declared in a rota file.
    origin: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ServiceList {
    services: Vec<ServiceView>,
}

pub fn service_view(row: &ServiceRow) -> ServiceView {
    let windows: Vec<(i64, i64)> = serde_json::from_str(&row.maintenance).unwrap_or_default();
    let ms = super::time::utc_ms;
    ServiceView {
        id: row.id.clone(),
        team: row.team.clone(),
        name: row.name.clone(),
        ladder: serde_json::from_str(&row.ladder).unwrap_or(Value::Null),
        targets: row
            .targets
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok()),
        heartbeat_secs: row.heartbeat_secs,
        heartbeat_due: row.heartbeat_due_ms.map(ms),
        maintenance: windows
            .iter()
            .map(|(s, e)| Window {
                start: ms(*s),
                end: ms(*e),
            })
            .collect(),
        origin: row.origin.clone(),
    }
}

#[utoipa::path(put, path = "/api/v1/services/{id}", tag = "alerts", request_body = ServiceSpec, params(("id" = String, Path, description = "service id")), responses((status = 200, description = "the service", body = ServiceView), (status = 400, description = "malformed", body = super::ErrorBody), (status = 422, description = "invalid ladder or field", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not a lead of the team", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn put(
    State(st): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ServiceSpec>,
) -> Result<Json<ServiceView>, ApiError> {
    let team = b
        .team
        .clone()
        .ok_or_else(|| ApiError::invalid("team", "a service names its team"))?;
    p.require_lead(&team)?;
    if let Ok(old) = services::find(&st.store, &id).await {
        p.require_lead(&old.team)?;
    }
    let allow = st.notify.allow_private_webhooks;
    let row = services::save(&st.store, &st.cache, &id, &b, allow, &p.actor(), st.now()).await?;
    st.dispatch.wake();
    st.console.alerts_changed();
    Ok(Json(service_view(&row)))
}

/// Service `id`, if `p` may see it: a lead of its team, or anyone acting
/// for a person.
async fn owned(st: &AppState, p: &Principal, id: &str) -> Result<ServiceRow, ApiError> {
    let row = services::find(&st.store, id).await?;
    if !(p.leads(&row.team) || p.person.is_some()) {
        return Err(ApiError::forbidden(format!(
            "only a lead of team {} may do this",
            row.team
        )));
    }
    Ok(row)
}

#[utoipa::path(get, path = "/api/v1/services/{id}", tag = "alerts", params(("id" = String, Path, description = "service id")), responses((status = 200, description = "the service", body = ServiceView), (status = 404, description = "no such service", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn get(
    State(st): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<ServiceView>, ApiError> {
    Ok(Json(service_view(&owned(&st, &p, &id).await?)))
}

#[utoipa::path(get, path = "/api/v1/services", tag = "alerts", responses((status = 200, description = "every service", body = ServiceList), (status = 401, description = "no or bad token", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn list(
    State(st): State<AppState>,
    _p: Principal,
) -> Result<Json<ServiceList>, ApiError> {
    let rows = services::list(&st.store).await?;
    Ok(Json(ServiceList {
        services: rows.iter().map(service_view).collect(),
    }))
}

#[utoipa::path(delete, path = "/api/v1/services/{id}", tag = "alerts", params(("id" = String, Path, description = "service id")), responses((status = 204, description = "deleted"), (status = 404, description = "no such service", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn delete(
    State(st): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let row = owned(&st, &p, &id).await?;
    p.require_lead(&row.team)?;
    services::delete(&st.store, &id, &p.actor(), st.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyBody {
    /// "events" (native API, PagerDuty Events v2, heartbeats; default) or "alertmanager".
    /// events (default) or alertmanager.
    #[schema(pattern = "^(events|alertmanager)$")]
    kind: Option<String>,
}

/// An integration key, shown once, with the URL to point a tool at.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NewKey {
    id: String,
    key: String,
    kind: String,
    url: String,
}

#[utoipa::path(post, path = "/api/v1/services/{id}/keys", tag = "alerts", request_body = KeyBody, params(("id" = String, Path, description = "service id")), responses((status = 201, description = "the key, shown once", body = NewKey), (status = 400, description = "malformed", body = super::ErrorBody), (status = 404, description = "no such service", body = super::ErrorBody), (status = 422, description = "invalid kind", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not a lead of the team", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn create_key(
    State(st): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<KeyBody>,
) -> Result<(StatusCode, Json<NewKey>), ApiError> {
    let row = owned(&st, &p, &id).await?;
    p.require_lead(&row.team)?;
    let kind = b.kind.unwrap_or_else(|| "events".into());
    let (key_id, secret) =
        services::create_key(&st.store, &id, &kind, &p.actor(), st.now()).await?;
    let url = match kind.as_str() {
        "alertmanager" => format!(
            "{}/api/v1/integrations/alertmanager/{secret}",
            st.public_url
        ),
        _ => format!("{}/v2/enqueue", st.public_url),
    };
    Ok((
        StatusCode::CREATED,
        Json(NewKey {
            id: key_id,
            key: secret,
            kind,
            url,
        }),
    ))
}

#[utoipa::path(delete, path = "/api/v1/services/{id}/keys/{key}", tag = "alerts", params(("id" = String, Path, description = "service id"), ("key" = String, Path, description = "key id")), responses((status = 204, description = "revoked"), (status = 404, description = "no such service or key", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn revoke_key(
    State(st): State<AppState>,
    p: Principal,
    Path((id, key)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let row = owned(&st, &p, &id).await?;
    p.require_lead(&row.team)?;
    services::revoke_key(&st.store, &id, &key, &p.actor(), st.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The service a live integration key belongs to.
pub async fn by_key(st: &AppState, key: &str) -> Result<Option<String>, ApiError> {
    Ok(services::by_key(&st.store, key).await?)
}

/// The key from `X-Vigil-Integration-Key`.
pub fn key_header(h: &HeaderMap) -> Option<String> {
    h.get("x-vigil-integration-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CheckedIn {
    next_due: String,
}

#[utoipa::path(post, path = "/api/v1/services/{id}/heartbeat", tag = "alerts", params(("id" = String, Path, description = "service id"), ("X-Vigil-Integration-Key" = String, Header, description = "an integration key of the service")), responses((status = 202, description = "checked in", body = CheckedIn), (status = 401, description = "no or wrong key", body = super::ErrorBody), (status = 404, description = "no such service", body = super::ErrorBody), (status = 422, description = "the service has no heartbeat", body = super::ErrorBody), (status = 503, description = "the database is busy; retry", body = super::ErrorBody)))]
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
) -> Result<(StatusCode, Json<CheckedIn>), ApiError> {
    let key = key_header(headers).ok_or_else(ApiError::unauthorized)?;
    match by_key(st, &key).await? {
        Some(svc) if svc == id => {}
        _ => return Err(ApiError::unauthorized()),
    }
    let due = services::heartbeat(&st.store, &st.cache, id, st.now()).await?;
    st.dispatch.wake();
    st.console.alerts_changed();
    Ok((
        StatusCode::ACCEPTED,
        Json(CheckedIn {
            next_due: super::time::utc(due),
        }),
    ))
}
