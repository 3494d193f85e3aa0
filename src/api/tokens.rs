//! API tokens and the audit log over HTTP: admins create and revoke tokens
//! (`vigil token create` does the same from the command line). The
//! operations are `engine::directory`.

use super::auth::Principal;
use super::error::{ApiError, ApiJson};
use super::state::AppState;
use crate::engine::directory;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    /// admin, lead or responder.
    #[schema(pattern = "^(admin|lead|responder)$")]
    pub role: String,
    /// The teams a lead token leads.
    #[serde(default)]
    #[schema(value_type = Vec<super::openapi::Slug>)]
    pub teams: Vec<String>,
    /// The person a token acts for (required for a responder).
    #[schema(pattern = "^[a-z0-9_.-]{1,64}$")]
    pub person: Option<String>,
}

/// A new token: its secret is shown here once and never again.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NewToken {
    id: String,
    token: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    at: String,
    actor: String,
    action: String,
    target: String,
    #[schema(value_type = Object)]
    detail: serde_json::Value,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditList {
    entries: Vec<AuditEntry>,
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = TokenBody, responses((status = 201, description = "the token shown once", body = NewToken), (status = 400, description = "malformed", body = super::ErrorBody), (status = 422, description = "invalid", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn create(
    State(st): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<TokenBody>,
) -> Result<Response, ApiError> {
    p.require_admin()?;
    let (id, token) =
        directory::issue_token(&st.store, &b.role, b.teams, b.person, &p.actor(), st.now()).await?;
    Ok((StatusCode::CREATED, Json(NewToken { id, token })).into_response())
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = String, Path)), responses((status = 204, description = "revoked"), (status = 404, description = "no such token", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn revoke(
    State(st): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    p.require_admin()?;
    directory::revoke_token(&st.store, &id, &p.actor(), st.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "tokens", responses((status = 200, description = "the latest 200 audit entries, newest first", body = AuditList), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn audit(State(st): State<AppState>, p: Principal) -> Result<Json<AuditList>, ApiError> {
    p.require_admin()?;
    let entries = directory::audit(&st.store, 200)
        .await?
        .into_iter()
        .map(|e| AuditEntry {
            at: crate::engine::documents::rfc3339(e.at),
            actor: e.actor,
            action: e.action,
            target: e.target,
            detail: e.detail,
        })
        .collect();
    Ok(Json(AuditList { entries }))
}
