//! Teams and people: adapters over the store, with validation that names the
//! field.

use super::auth::Principal;
use super::error::{ApiError, ApiJson};
use super::removal::ReplaceWith;
use super::state::AppState;
use crate::engine::ladders::Removal;
use crate::store::Reads as _;
use crate::store::{PersonRow, TeamRow};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

/// Slugs and handles: 1–64 of `a-z 0-9 _ . -`.
pub fn check_slug(field: &str, v: &str) -> Result<(), ApiError> {
    let ok = !v.is_empty()
        && v.len() <= 64
        && v.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            field,
            format!("\"{v}\" must be 1–64 characters of a-z, 0-9, _ . -"),
        ))
    }
}

pub fn check_zone(field: &str, v: &str) -> Result<(), ApiError> {
    v.parse::<crate::tz::Zone>().map(|_| ()).map_err(|_| {
        ApiError::invalid(
            field,
            format!("unknown time zone \"{v}\" (use an IANA name such as Europe/Berlin)"),
        )
    })
}

/// "team.create" or "team.update", for the audit log.
fn upsert_action(what: &str, existed: bool) -> String {
    format!("{what}.{}", if existed { "update" } else { "create" })
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
    timezone: String,
    lead: Option<String>,
    #[serde(default)]
    swap_approval: bool,
}

#[utoipa::path(get, path = "/api/v1/teams", tag = "teams", responses((status = 200, description = "teams", body = serde_json::Value), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn list_teams(
    State(st): State<AppState>,
    _p: Principal,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(json!({ "teams": st.store.load_teams().await? })))
}

#[utoipa::path(get, path = "/api/v1/teams/{team}", tag = "teams", params(("team" = String, Path, description = "team slug")), responses((status = 200, description = "a team", body = serde_json::Value), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn get_team(
    State(st): State<AppState>,
    _p: Principal,
    Path(team): Path<String>,
) -> Result<Json<TeamRow>, ApiError> {
    st.store
        .load_team(&team)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("team {team}")))
}

#[utoipa::path(put, path = "/api/v1/teams/{team}", tag = "teams", params(("team" = String, Path, description = "team slug")), request_body = TeamBody, responses((status = 200, description = "updated", body = serde_json::Value), (status = 201, description = "created", body = serde_json::Value), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn put_team(
    State(st): State<AppState>,
    p: Principal,
    Path(team): Path<String>,
    ApiJson(body): ApiJson<TeamBody>,
) -> Result<Response, ApiError> {
    check_slug("team", &team)?;
    check_zone("timezone", &body.timezone)?;
    let existing = st.store.load_team(&team).await?;
    if existing.is_some() {
        p.require_lead(&team)?
    } else {
        p.require_admin()?
    }
    if let Some(l) = &body.lead
        && st.store.load_person(l).await?.is_none()
    {
        return Err(ApiError::invalid("lead", format!("unknown person \"{l}\"")));
    }
    if existing.as_ref().is_some_and(|t| t.lead.is_some()) && body.lead.is_none() {
        super::removal::plan(&st, Removal::Lead(&team), None).await?;
    }
    let row = TeamRow {
        slug: team.clone(),
        timezone: body.timezone,
        lead: body.lead,
        swap_approval: body.swap_approval,
    };
    let tx = st.store.tx().await?;
    tx.upsert_team(&row, st.now_secs()).await?;
    tx.audit(
        st.now_secs(),
        &p.actor(),
        &upsert_action("team", existing.is_some()),
        &team,
        json!(row),
    )
    .await?;
    tx.commit().await?;
    Ok(saved(existing.is_some(), Json(row)))
}

#[utoipa::path(delete, path = "/api/v1/teams/{team}", tag = "teams", params(("team" = String, Path, description = "team slug")), responses((status = 204, description = "deleted"), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn delete_team(
    State(st): State<AppState>,
    p: Principal,
    Path(team): Path<String>,
    Query(q): Query<ReplaceWith>,
) -> Result<StatusCode, ApiError> {
    p.require_admin()?;
    if st.store.load_team(&team).await?.is_none() {
        return Err(ApiError::not_found(format!("team {team}")));
    }
    let rewrites =
        super::removal::plan(&st, Removal::Team(&team), q.replace_with.as_deref()).await?;
    let tx = st.store.tx().await?;
    super::removal::write(&tx, &rewrites, &p.actor(), st.now_secs()).await?;
    if tx.delete_team(&team).await? == 0 {
        return Err(ApiError::not_found(format!("team {team}")));
    }
    tx.audit(st.now_secs(), &p.actor(), "team.delete", &team, json!({}))
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonBody {
    name: String,
    email: Option<String>,
    phone: Option<String>,
    chat: Option<String>,
    timezone: Option<String>,
    /// Notification rules per priority, e.g. {"P1": ["chat", "sms", "voice@2m"]};
    /// omitted = the defaults.
    #[schema(value_type = Option<Object>)]
    rules: Option<crate::escalation::rules::RulesSpec>,
}

fn validate_person(b: &PersonBody) -> Result<(), ApiError> {
    if b.name.trim().is_empty() || b.name.len() > 200 {
        return Err(ApiError::invalid("name", "name must be 1–200 characters"));
    }
    if let Some(e) = &b.email {
        crate::escalation::rules::check_email(e).map_err(|m| ApiError::invalid("email", m))?;
    }
    if let Some(ph) = &b.phone {
        crate::escalation::rules::check_phone(ph).map_err(|m| ApiError::invalid("phone", m))?;
    }
    if let Some(z) = &b.timezone {
        check_zone("timezone", z)?;
    }
    Ok(())
}

#[utoipa::path(get, path = "/api/v1/people", tag = "people", responses((status = 200, description = "people", body = serde_json::Value), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn list_people(
    State(st): State<AppState>,
    _p: Principal,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(json!({ "people": st.store.load_people().await? })))
}

#[utoipa::path(get, path = "/api/v1/people/{handle}", tag = "people", params(("handle" = String, Path, description = "person handle")), responses((status = 200, description = "a person", body = serde_json::Value), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn get_person(
    State(st): State<AppState>,
    _p: Principal,
    Path(handle): Path<String>,
) -> Result<Json<PersonRow>, ApiError> {
    st.store
        .load_person(&handle)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("person {handle}")))
}

/// Admins create and edit anyone; a person edits their own details.
#[utoipa::path(put, path = "/api/v1/people/{handle}", tag = "people", params(("handle" = String, Path, description = "person handle")), request_body = PersonBody, responses((status = 200, description = "updated", body = serde_json::Value), (status = 201, description = "created", body = serde_json::Value), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn put_person(
    State(st): State<AppState>,
    p: Principal,
    Path(handle): Path<String>,
    ApiJson(body): ApiJson<PersonBody>,
) -> Result<Response, ApiError> {
    check_slug("handle", &handle)?;
    let existing = st.store.load_person(&handle).await?;
    if !(p.is_admin() || (existing.is_some() && p.is(&handle))) {
        return Err(ApiError::forbidden(
            "only an admin, or the person themselves, may edit a person",
        ));
    }
    validate_person(&body)?;
    if let Some(r) = &body.rules {
        crate::escalation::rules::validate(r).map_err(|(f, m)| ApiError::invalid(f, m))?;
    }
    let rules = body
        .rules
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(ApiError::internal)?;
    let row = PersonRow {
        handle: handle.clone(),
        name: body.name,
        email: body.email,
        phone: body.phone,
        chat: body.chat,
        timezone: body.timezone,
    };
    let tx = st.store.tx().await?;
    tx.upsert_person(&row, st.now_secs()).await?;
    tx.set_person_rules(&handle, rules).await?;
    tx.audit(
        st.now_secs(),
        &p.actor(),
        &upsert_action("person", existing.is_some()),
        &handle,
        json!(row),
    )
    .await?;
    tx.commit().await?;
    Ok(saved(existing.is_some(), Json(row)))
}

#[utoipa::path(delete, path = "/api/v1/people/{handle}", tag = "people", params(("handle" = String, Path, description = "person handle")), responses((status = 204, description = "deleted"), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn delete_person(
    State(st): State<AppState>,
    p: Principal,
    Path(handle): Path<String>,
    Query(q): Query<ReplaceWith>,
) -> Result<StatusCode, ApiError> {
    p.require_admin()?;
    // A person named by a rota cannot go: every rota must still validate.
    for r in st.store.load_rotas(None).await? {
        if let Some(l) = st.cache.load(&st.store, &r.team, &r.name).await?
            && l.rota.person(&handle).is_some_and(|i| {
                l.rota.layers.iter().any(|layer| {
                    layer
                        .rotations
                        .iter()
                        .any(|rot| rot.cadence.participants().contains(&i))
                })
            })
        {
            return Err(ApiError::conflict(format!(
                "{handle} is a participant of rota {}/{}; take them out of it first",
                r.team, r.name
            )));
        }
    }
    if st.store.load_person(&handle).await?.is_none() {
        return Err(ApiError::not_found(format!("person {handle}")));
    }
    let rewrites =
        super::removal::plan(&st, Removal::Person(&handle), q.replace_with.as_deref()).await?;
    let now = st.now_secs();
    let teams = st.store.load_teams().await?;
    let tx = st.store.tx().await?;
    super::removal::write(&tx, &rewrites, &p.actor(), now).await?;
    // A team this person led is led by the replacement, or by nobody.
    for mut t in teams {
        if t.lead.as_deref() == Some(handle.as_str()) {
            t.lead = q.replace_with.clone();
            tx.upsert_team(&t, now).await?;
        }
    }
    if tx.delete_person(&handle).await? == 0 {
        return Err(ApiError::not_found(format!("person {handle}")));
    }
    tx.audit(
        st.now_secs(),
        &p.actor(),
        "person.delete",
        &handle,
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
