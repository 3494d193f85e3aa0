//! API tokens: admins create and revoke them (`vigil token create` does the
//! same from the command line).

use super::auth::{Principal, new_id, new_secret};
use super::error::{ApiError, ApiJson};
use super::state::AppState;
use crate::store::Reads as _;
use crate::store::{Store, TokenRow};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    pub role: String,
    #[serde(default)]
    pub teams: Vec<String>,
    pub person: Option<String>,
}

/// Creates a token; returns (id, secret). The secret is not stored.
pub async fn issue(
    store: &Store,
    b: &TokenBody,
    actor: &str,
    now: i64,
) -> Result<(String, String), ApiError> {
    match b.role.as_str() {
        "admin" => {}
        "lead" if !b.teams.is_empty() => {}
        "lead" => {
            return Err(ApiError::invalid(
                "teams",
                "a lead token names the teams it leads",
            ));
        }
        "responder" if b.person.is_some() => {}
        "responder" => {
            return Err(ApiError::invalid(
                "person",
                "a responder token names its person",
            ));
        }
        other => {
            return Err(ApiError::invalid(
                "role",
                format!("\"{other}\" is not one of admin, lead, responder"),
            ));
        }
    }
    for t in &b.teams {
        store
            .load_team(t)
            .await?
            .ok_or_else(|| ApiError::invalid("teams", format!("unknown team \"{t}\"")))?;
    }
    if let Some(p) = &b.person {
        store
            .load_person(p)
            .await?
            .ok_or_else(|| ApiError::invalid("person", format!("unknown person \"{p}\"")))?;
    }
    let (secret, hash) = new_secret("vgl_");
    let row = TokenRow {
        id: new_id("tok_"),
        hash,
        role: b.role.clone(),
        teams: b.teams.clone(),
        person: b.person.clone(),
    };
    let tx = store.tx().await?;
    tx.insert_api_token(&row, now).await?;
    tx.audit(
        now,
        actor,
        "token.create",
        &row.id,
        json!({ "role": row.role, "teams": row.teams, "person": row.person }),
    )
    .await?;
    tx.commit().await?;
    Ok((row.id, secret))
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = TokenBody, responses((status = 201, description = "the token shown once", body = serde_json::Value), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn create(
    State(st): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<TokenBody>,
) -> Result<Response, ApiError> {
    p.require_admin()?;
    let (id, token) = issue(&st.store, &b, &p.actor(), st.now_secs()).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "token": token })),
    )
        .into_response())
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = String, Path)), responses((status = 204, description = "revoked"), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn revoke(
    State(st): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    p.require_admin()?;
    let now = st.now_secs();
    let tx = st.store.tx().await?;
    if tx.revoke_api_token(&id, now).await? == 0 {
        return Err(ApiError::not_found(format!("token {id}")));
    }
    tx.audit(now, &p.actor(), "token.revoke", &id, json!({}))
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "tokens", responses((status = 200, description = "the latest audit entries", body = serde_json::Value), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn audit(
    State(st): State<AppState>,
    p: Principal,
) -> Result<Json<serde_json::Value>, ApiError> {
    p.require_admin()?;
    let entries: Vec<serde_json::Value> = st
        .store
        .audit_entries(200)
        .await?
        .into_iter()
        .map(|(at, actor, action, target, detail)| {
            json!({ "at": crate::engine::documents::rfc3339(at), "actor": actor, "action": action, "target": target,
                    "detail": serde_json::from_str::<serde_json::Value>(&detail).unwrap_or_default() })
        })
        .collect();
    Ok(Json(json!({ "entries": entries })))
}
