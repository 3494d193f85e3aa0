//! Overrides over HTTP. A lead (or admin) may add any override to their
//! team's rotas; a member of the team may put themselves on call. The
//! operations are `engine::overrides`.

use super::auth::Principal;
use super::error::{ApiError, ApiJson};
use super::rotas::{ViolationView, etag, if_match, violations};
use super::state::AppState;
use crate::engine::documents::rfc3339;
use crate::engine::overrides::{self, NewOverride};
use crate::store::OverrideRow;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideBody {
    #[schema(pattern = "^[a-z0-9_.-]{1,64}$")]
    layer: String,
    /// replace (default), add or remove.
    #[serde(default = "replace")]
    #[schema(pattern = "^(replace|add|remove)$")]
    kind: String,
    /// RFC 3339, or a local date-time or date in the rota's zone.
    start: String,
    end: String,
    #[schema(pattern = "^[a-z0-9_.-]{1,64}$")]
    person: Option<String>,
    #[schema(pattern = "^[a-z0-9_.-]{1,64}$")]
    replaces: Option<String>,
    note: Option<String>,
    #[serde(default)]
    accept_violations: bool,
}

fn replace() -> String {
    "replace".into()
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OverrideView {
    id: String,
    layer: String,
    kind: String,
    start: String,
    end: String,
    person: Option<String>,
    replaces: Option<String>,
    note: Option<String>,
    created_by: String,
    /// "override", or "swap" for the overrides of an accepted swap.
    source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    warnings: Option<Vec<ViolationView>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OverrideList {
    overrides: Vec<OverrideView>,
}

fn view(o: OverrideRow, warnings: Option<Vec<ViolationView>>) -> OverrideView {
    OverrideView {
        start: rfc3339(o.start),
        end: rfc3339(o.end),
        id: o.id,
        layer: o.layer,
        kind: o.kind,
        person: o.person,
        replaces: o.replaces,
        note: o.note,
        created_by: o.created_by,
        source: o.source,
        warnings,
    }
}

#[utoipa::path(get, path = "/api/v1/teams/{team}/rotas/{rota}/overrides", tag = "overrides", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name")), responses((status = 200, description = "overrides", body = OverrideList), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 404, description = "no such rota", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn list(
    State(st): State<AppState>,
    _p: Principal,
    Path((team, name)): Path<(String, String)>,
) -> Result<Json<OverrideList>, ApiError> {
    let rows = overrides::list(&st.store, &team, &name).await?;
    Ok(Json(OverrideList {
        overrides: rows.into_iter().map(|o| view(o, None)).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/teams/{team}/rotas/{rota}/overrides", tag = "overrides", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name"), ("If-Match" = Option<String>, Header, description = "the rota ETag the override was made against (optional)")), request_body = OverrideBody, responses((status = 201, description = "created; ETag is the rota's new version", body = OverrideView), (status = 404, description = "no such rota", body = super::ErrorBody), (status = 409, description = "the rota moved past If-Match", body = super::ErrorBody), (status = 422, description = "invalid or a hard rule broken", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn create(
    State(st): State<AppState>,
    p: Principal,
    Path((team, name)): Path<(String, String)>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<OverrideBody>,
) -> Result<Response, ApiError> {
    // A member of the team may put themselves on call (not another team's).
    let self_service = b.kind != "remove"
        && match b.person.as_deref() {
            Some(who) if p.is(who) => {
                overrides::is_member(&st.store, &st.cache, &team, who).await?
            }
            _ => false,
        };
    if !(p.leads(&team) || self_service) {
        return Err(ApiError::forbidden(format!(
            "only a lead of team {team}, or a member of it taking the shift, may add an override"
        )));
    }
    let new = NewOverride {
        accept_violations: b.accept_violations && p.leads(&team),
        team,
        rota: name,
        layer: b.layer,
        kind: b.kind,
        start: b.start,
        end: b.end,
        person: b.person,
        replaces: b.replaces,
        note: b.note,
        expected: if_match(&headers)?,
        actor: p.actor(),
    };
    let added = overrides::add(&st.store, &st.cache, new, st.now()).await?;
    let body = view(added.row, Some(violations(&added.warnings)));
    Ok((
        StatusCode::CREATED,
        [(header::ETAG, etag(added.version))],
        Json(body),
    )
        .into_response())
}

#[utoipa::path(delete, path = "/api/v1/teams/{team}/rotas/{rota}/overrides/{id}", tag = "overrides", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name"), ("id" = String, Path)), responses((status = 204, description = "deleted"), (status = 404, description = "no such override", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn delete(
    State(st): State<AppState>,
    p: Principal,
    Path((team, name, id)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let o = overrides::find(&st.store, &team, &name, &id).await?;
    if !(p.leads(&team) || o.created_by == p.actor()) {
        return Err(ApiError::forbidden(
            "only a lead of the team, or whoever made the override, may delete it",
        ));
    }
    overrides::remove(&st.store, &o, &p.actor(), st.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
