//! Teams and people over HTTP: handlers parse, authorise and render; the
//! operations (validation naming the field, ladder checks) are
//! `engine::directory`.

use super::auth::Principal;
use super::error::{ApiError, ApiJson};
use super::removal::ReplaceWith;
use super::state::AppState;
use crate::engine::directory;
use crate::store::{PersonRow, TeamRow};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// Slugs and handles: 1–64 of `a-z 0-9 _ . -`.
pub fn check_slug(field: &str, v: &str) -> Result<(), ApiError> {
    Ok(directory::check_slug(field, v)?)
}

/// 200 for an update, 201 for a creation.
fn saved(existed: bool, body: impl IntoResponse) -> Response {
    let status = if existed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    (status, body).into_response()
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamBody {
    /// IANA zone, e.g. Europe/Berlin.
    timezone: String,
    /// The lead's handle.
    #[schema(pattern = "^[a-z0-9_.-]{1,64}$")]
    lead: Option<String>,
    #[serde(default)]
    swap_approval: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TeamList {
    teams: Vec<TeamRow>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PersonList {
    people: Vec<PersonRow>,
}

#[utoipa::path(get, path = "/api/v1/teams", tag = "teams", responses((status = 200, description = "teams", body = TeamList), (status = 401, description = "no or bad token", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn list_teams(
    State(st): State<AppState>,
    _p: Principal,
) -> Result<Json<TeamList>, ApiError> {
    Ok(Json(TeamList {
        teams: directory::teams(&st.store).await?,
    }))
}

#[utoipa::path(get, path = "/api/v1/teams/{team}", tag = "teams", params(("team" = String, Path, description = "team slug")), responses((status = 200, description = "a team", body = TeamRow), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 404, description = "no such team", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn get_team(
    State(st): State<AppState>,
    _p: Principal,
    Path(team): Path<String>,
) -> Result<Json<TeamRow>, ApiError> {
    Ok(Json(directory::team(&st.store, &team).await?))
}

#[utoipa::path(put, path = "/api/v1/teams/{team}", tag = "teams", params(("team" = String, Path, description = "team slug")), request_body = TeamBody, responses((status = 200, description = "updated", body = TeamRow), (status = 201, description = "created", body = TeamRow), (status = 400, description = "malformed", body = super::ErrorBody), (status = 409, description = "a ladder pages the lead taken away", body = super::ErrorBody), (status = 422, description = "invalid", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn put_team(
    State(st): State<AppState>,
    p: Principal,
    Path(team): Path<String>,
    ApiJson(body): ApiJson<TeamBody>,
) -> Result<Response, ApiError> {
    // An admin creates a team; its lead (or an admin) updates it.
    let exists = directory::team(&st.store, &team).await.is_ok();
    if exists {
        p.require_lead(&team)?
    } else {
        p.require_admin()?
    }
    let row = TeamRow {
        slug: team,
        timezone: body.timezone,
        lead: body.lead,
        swap_approval: body.swap_approval,
    };
    let (row, existed) =
        directory::save_team(&st.store, &st.cache, row, &p.actor(), st.now()).await?;
    Ok(saved(existed, Json(row)))
}

#[utoipa::path(delete, path = "/api/v1/teams/{team}", tag = "teams", params(("team" = String, Path, description = "team slug"), ReplaceWith), responses((status = 204, description = "deleted"), (status = 404, description = "no such team", body = super::ErrorBody), (status = 409, description = "services belong to it", body = super::ErrorBody), (status = 422, description = "no such replacement", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn delete_team(
    State(st): State<AppState>,
    p: Principal,
    Path(team): Path<String>,
    Query(q): Query<ReplaceWith>,
) -> Result<StatusCode, ApiError> {
    p.require_admin()?;
    directory::delete_team(
        &st.store,
        &st.cache,
        &team,
        q.replace_with.as_deref(),
        &p.actor(),
        st.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonBody {
    #[schema(pattern = "\\S", max_length = 200)]
    name: String,
    #[schema(pattern = "^[^@ ]+@[^ ]*\\.[^ ]*$", max_length = 254)]
    email: Option<String>,
    /// E.164, e.g. +14155550123.
    #[schema(pattern = "^\\+[1-9][0-9]{1,14}$")]
    phone: Option<String>,
    /// Slack user id.
    #[schema(pattern = "\\S", max_length = 64)]
    chat: Option<String>,
    timezone: Option<String>,
    /// Notification rules per priority, e.g. {"P1": ["chat", "sms", "voice@2m"]};
    /// omitted = the defaults.
    #[schema(value_type = Option<Object>)]
    rules: Option<crate::escalation::rules::RulesSpec>,
}

#[utoipa::path(get, path = "/api/v1/people", tag = "people", responses((status = 200, description = "people", body = PersonList), (status = 401, description = "no or bad token", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn list_people(
    State(st): State<AppState>,
    _p: Principal,
) -> Result<Json<PersonList>, ApiError> {
    Ok(Json(PersonList {
        people: directory::people(&st.store).await?,
    }))
}

#[utoipa::path(get, path = "/api/v1/people/{handle}", tag = "people", params(("handle" = String, Path, description = "person handle")), responses((status = 200, description = "a person", body = PersonRow), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 404, description = "no such person", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn get_person(
    State(st): State<AppState>,
    _p: Principal,
    Path(handle): Path<String>,
) -> Result<Json<PersonRow>, ApiError> {
    Ok(Json(directory::person(&st.store, &handle).await?))
}

/// Admins create and edit anyone; a person edits their own details.
#[utoipa::path(put, path = "/api/v1/people/{handle}", tag = "people", params(("handle" = String, Path, description = "person handle")), request_body = PersonBody, responses((status = 200, description = "updated", body = PersonRow), (status = 201, description = "created", body = PersonRow), (status = 400, description = "malformed", body = super::ErrorBody), (status = 422, description = "invalid", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn put_person(
    State(st): State<AppState>,
    p: Principal,
    Path(handle): Path<String>,
    ApiJson(body): ApiJson<PersonBody>,
) -> Result<Response, ApiError> {
    check_slug("handle", &handle)?;
    let exists = directory::person_exists(&st.store, &handle).await?;
    if !(p.is_admin() || (exists && p.is(&handle))) {
        return Err(ApiError::forbidden(
            "only an admin, or the person themselves, may edit a person",
        ));
    }
    let row = PersonRow {
        handle,
        name: body.name,
        email: body.email,
        phone: body.phone,
        chat: body.chat,
        timezone: body.timezone,
    };
    let existed =
        directory::save_person(&st.store, row.clone(), body.rules, &p.actor(), st.now()).await?;
    Ok(saved(existed, Json(row)))
}

#[utoipa::path(delete, path = "/api/v1/people/{handle}", tag = "people", params(("handle" = String, Path, description = "person handle"), ReplaceWith), responses((status = 204, description = "deleted"), (status = 404, description = "no such person", body = super::ErrorBody), (status = 409, description = "a rota or ladder names them", body = super::ErrorBody), (status = 422, description = "no such replacement", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn delete_person(
    State(st): State<AppState>,
    p: Principal,
    Path(handle): Path<String>,
    Query(q): Query<ReplaceWith>,
) -> Result<StatusCode, ApiError> {
    p.require_admin()?;
    directory::delete_person(
        &st.store,
        &st.cache,
        &handle,
        q.replace_with.as_deref(),
        &p.actor(),
        st.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
