//! Rotas over HTTP: read, create, update (versioned with ETag/If-Match,
//! effective-dated), delete. Handlers parse, authorise and render; the
//! operations are `engine::rotas`.

use super::auth::Principal;
use super::error::{ApiError, ApiJson};
use super::removal::ReplaceWith;
use super::state::AppState;
use super::teams::check_slug;
use super::time::{instant, utc};
use crate::engine::{documents, rotas};
use crate::rota::checks::Violation;
use crate::store::RotaRow;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotaBody {
    /// The rota's definition: the rota file without `[team]` and `[[people]]`.
    #[schema(value_type = Object)]
    pub document: Value,
    /// Apply the edit from this instant on; rotation versions before it stay.
    #[schema(format = DateTime)]
    pub effective_from: Option<String>,
    /// A lead may store a rota that breaks hard rules.
    #[serde(default)]
    pub accept_violations: bool,
}

/// A rota as the API shows it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RotaView {
    team: String,
    name: String,
    version: i64,
    /// "api", or "file:NAME.toml" for rotas from `schedules apply`.
    origin: String,
    updated_at: String,
    #[schema(value_type = Object)]
    document: Value,
    /// Rule violations found by the checks over the next 90 days (writes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    warnings: Option<Vec<ViolationView>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RotaSummary {
    name: String,
    version: i64,
    origin: String,
    updated_at: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RotaList {
    rotas: Vec<RotaSummary>,
}

/// One rule violation.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ViolationView {
    rule: String,
    layer: Option<String>,
    person: Option<String>,
    start: String,
    end: String,
    message: String,
}

pub fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

pub fn rota_view(row: &RotaRow, warnings: Option<&[Violation]>) -> Result<RotaView, ApiError> {
    let doc = documents::doc_of(row).map_err(ApiError::internal)?;
    Ok(RotaView {
        team: row.team.clone(),
        name: row.name.clone(),
        version: row.version,
        origin: row.origin.clone(),
        updated_at: documents::rfc3339(row.updated_at),
        document: documents::to_json(&doc),
        warnings: warnings.map(violations),
    })
}

/// The violations, the first 200 (a response stays small however broken a
/// rota is; the count is in the message).
pub fn violations(v: &[Violation]) -> Vec<ViolationView> {
    v.iter()
        .take(200)
        .map(|v| ViolationView {
            rule: v.rule.as_str().into(),
            layer: v.layer.clone(),
            person: v.person.clone(),
            start: utc(v.interval.start),
            end: utc(v.interval.end),
            message: v.message.clone(),
        })
        .collect()
}

pub fn violations_json(v: &[Violation]) -> Value {
    serde_json::to_value(violations(v)).unwrap_or(Value::Null)
}

#[utoipa::path(get, path = "/api/v1/teams/{team}/rotas", tag = "rotas", params(("team" = String, Path, description = "team slug")), responses((status = 200, description = "rotas of the team", body = RotaList), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 404, description = "no such team", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn list(
    State(st): State<AppState>,
    _p: Principal,
    Path(team): Path<String>,
) -> Result<Json<RotaList>, ApiError> {
    let rows = crate::engine::directory::rotas_of(&st.store, &team).await?;
    Ok(Json(RotaList {
        rotas: rows
            .into_iter()
            .map(|r| RotaSummary {
                updated_at: documents::rfc3339(r.updated_at),
                name: r.name,
                version: r.version,
                origin: r.origin,
            })
            .collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/teams/{team}/rotas/{rota}", tag = "rotas", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name")), responses((status = 200, description = "the rota document with its ETag", body = RotaView), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 404, description = "no such rota", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn get(
    State(st): State<AppState>,
    _p: Principal,
    Path((team, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (row, _) = rotas::document(&st.store, &team, &name).await?;
    Ok((
        [(header::ETAG, etag(row.version))],
        Json(rota_view(&row, None)?),
    )
        .into_response())
}

/// Parses an `If-Match: "N"` header (or `W/"N"`, or a bare `N`): the ETag
/// a GET gave.
pub fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let s = v.to_str().unwrap_or("").trim();
    let quoted = s
        .strip_prefix("W/")
        .unwrap_or(s)
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'));
    let digits = quoted
        .or(Some(s))
        .filter(|d| (1..=18).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()));
    match digits.and_then(|d| d.parse::<i64>().ok()) {
        Some(n) => Ok(Some(n)),
        None => Err(
            ApiError::bad_request("If-Match must be an ETag from a GET, e.g. \"3\"")
                .field("If-Match"),
        ),
    }
}

#[utoipa::path(put, path = "/api/v1/teams/{team}/rotas/{rota}", tag = "rotas", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name"), ("If-Match" = Option<String>, Header, description = "the rota ETag; required to update")), request_body = RotaBody, responses((status = 200, description = "updated", body = RotaView), (status = 201, description = "created", body = RotaView), (status = 400, description = "malformed", body = super::ErrorBody), (status = 404, description = "no such team", body = super::ErrorBody), (status = 409, description = "stale If-Match, or a layer ladders page through would go", body = super::ErrorBody), (status = 422, description = "invalid or a hard rule broken", body = super::ErrorBody), (status = 428, description = "If-Match missing", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn put(
    State(st): State<AppState>,
    p: Principal,
    Path((team, name)): Path<(String, String)>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RotaBody>,
) -> Result<Response, ApiError> {
    let doc = documents::from_json(&body.document).map_err(|(f, m)| ApiError::invalid(f, m))?;
    save(
        &st,
        &p,
        team,
        name,
        &headers,
        doc,
        body.effective_from,
        body.accept_violations,
        None,
    )
    .await
}

/// Creates or updates a rota from a whole document (rota and layer
/// endpoints alike) and renders the result.
#[allow(clippy::too_many_arguments)]
pub async fn save(
    st: &AppState,
    p: &Principal,
    team: String,
    name: String,
    headers: &HeaderMap,
    doc: crate::rota::file::defs::RotaDoc,
    effective_from: Option<String>,
    accept_violations: bool,
    rewrites: Option<Vec<crate::store::ServiceRow>>,
) -> Result<Response, ApiError> {
    check_slug("rota", &name)?;
    p.require_lead(&team)?;
    let accept_violations = accept_violations && p.leads(&team);
    let write = rotas::Write {
        team,
        name,
        doc,
        effective_from: effective_from
            .as_deref()
            .map(|v| instant("effective_from", v))
            .transpose()?,
        expected: if_match(headers)?,
        accept_violations,
        actor: p.actor(),
        now: st.now(),
        rewrites,
    };
    let saved = rotas::save(&st.store, &st.cache, write).await?;
    let status = if saved.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let view = rota_view(&saved.row, Some(&saved.warnings))?;
    Ok((
        status,
        [(header::ETAG, etag(saved.row.version))],
        Json(view),
    )
        .into_response())
}

#[utoipa::path(delete, path = "/api/v1/teams/{team}/rotas/{rota}", tag = "rotas", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name"), ("If-Match" = Option<String>, Header, description = "the rota ETag"), ReplaceWith), responses((status = 204, description = "deleted"), (status = 404, description = "no such rota", body = super::ErrorBody), (status = 409, description = "stale, or ladders page through it", body = super::ErrorBody), (status = 422, description = "no such replacement", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn delete(
    State(st): State<AppState>,
    p: Principal,
    Path((team, name)): Path<(String, String)>,
    Query(q): Query<ReplaceWith>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    p.require_lead(&team)?;
    rotas::delete(
        &st.store,
        &st.cache,
        &team,
        &name,
        if_match(&headers)?,
        q.replace_with.as_deref(),
        &p.actor(),
        st.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
