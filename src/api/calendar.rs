//! Who is on call and the shifts in a window, per rota and per person.
//! The rota engine answers; `engine::calendar` finds the rotas.

use super::auth::Principal;
use super::error::ApiError;
use super::state::AppState;
use super::time::{instant, utc, window};
use crate::engine::{calendar, directory};
use crate::rota::{self, Shift, shifts};
use axum::Json;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct At {
    /// RFC 3339 instant (default now).
    #[param(format = DateTime)]
    at: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Window {
    /// RFC 3339 (default now).
    #[param(format = DateTime)]
    from: Option<String>,
    /// RFC 3339 (default from + 14 days; at most 800 days after from).
    #[param(format = DateTime)]
    to: Option<String>,
    /// Only this layer.
    #[param(pattern = "^[a-z0-9_.-]{1,64}$")]
    layer: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PersonWindow {
    /// RFC 3339 (default now).
    #[param(format = DateTime)]
    from: Option<String>,
    /// RFC 3339 (default from + 14 days; at most 800 days after from).
    #[param(format = DateTime)]
    to: Option<String>,
}

/// One shift: the `rota preview --format json` contract.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ShiftView {
    layer: String,
    person: String,
    start: String,
    end: String,
    /// rotation, override or swap.
    source: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    team: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rota: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ShiftList {
    shifts: Vec<ShiftView>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OnCallView {
    team: String,
    rota: String,
    layer: String,
    since: String,
    until: String,
    source: &'static str,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PersonOnCall {
    at: String,
    person: String,
    on_call: Vec<OnCallView>,
}

pub fn shift_view(r: &rota::Rota, s: &Shift) -> ShiftView {
    ShiftView {
        layer: r.layers[s.layer].name.clone(),
        person: r.people[s.person].id.clone(),
        start: utc(s.start),
        end: utc(s.end),
        source: s.source.as_str(),
        team: None,
        rota: None,
    }
}

#[utoipa::path(get, path = "/api/v1/teams/{team}/rotas/{rota}/oncall", tag = "calendar", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name"), At), responses((status = 200, description = "who is on call per layer and role", body = crate::rota::shifts::WhoAt), (status = 400, description = "a bad instant", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 404, description = "no such rota", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn oncall(
    State(st): State<AppState>,
    p: Principal,
    Path((team, name)): Path<(String, String)>,
    Query(q): Query<At>,
) -> Result<Json<shifts::WhoAt>, ApiError> {
    let at =
        q.at.as_deref()
            .map(|a| instant("at", a))
            .transpose()?
            .unwrap_or_else(|| st.now());
    let l = calendar::rota_at(&st.store, &st.cache, p.generation, &team, &name).await?;
    Ok(Json(shifts::who_at(&l.rota, at)))
}

#[utoipa::path(get, path = "/api/v1/teams/{team}/rotas/{rota}/shifts", tag = "calendar", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name"), Window), responses((status = 200, description = "shifts in the window", body = ShiftList), (status = 400, description = "a bad window", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 404, description = "no such rota or layer", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn shifts(
    State(st): State<AppState>,
    p: Principal,
    Path((team, name)): Path<(String, String)>,
    Query(q): Query<Window>,
) -> Result<Json<ShiftList>, ApiError> {
    let (from, to) = window(q.from.as_deref(), q.to.as_deref(), st.now(), 14)?;
    let l = calendar::rota_at(&st.store, &st.cache, p.generation, &team, &name).await?;
    let r = &l.rota;
    let layer = match &q.layer {
        Some(n) => Some(
            r.layer(n)
                .ok_or_else(|| ApiError::not_found(format!("layer {n}")).field("layer"))?,
        ),
        None => None,
    };
    let list = shifts::shifts_between(r, from, to)
        .iter()
        .filter(|s| layer.is_none_or(|i| s.layer == i))
        .map(|s| shift_view(r, s))
        .collect();
    Ok(Json(ShiftList { shifts: list }))
}

#[utoipa::path(get, path = "/api/v1/people/{handle}/shifts", tag = "calendar", params(("handle" = String, Path, description = "person handle"), PersonWindow), responses((status = 200, description = "the shifts of a person across teams", body = ShiftList), (status = 400, description = "a bad window", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 404, description = "no such person", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn person_shifts(
    State(st): State<AppState>,
    p: Principal,
    Path(handle): Path<String>,
    Query(q): Query<PersonWindow>,
) -> Result<Json<ShiftList>, ApiError> {
    directory::person(&st.store, &handle).await?;
    let (from, to) = window(q.from.as_deref(), q.to.as_deref(), st.now(), 14)?;
    let list =
        calendar::person_shifts_between(&st.store, &st.cache, p.generation, &handle, from, to)
            .await?
            .iter()
            .map(|(l, s)| ShiftView {
                team: Some(l.row.team.clone()),
                rota: Some(l.row.name.clone()),
                ..shift_view(&l.rota, s)
            })
            .collect();
    Ok(Json(ShiftList { shifts: list }))
}

/// Where a person is on call at an instant, across every team's rotas.
#[utoipa::path(get, path = "/api/v1/people/{handle}/oncall", tag = "calendar", params(("handle" = String, Path, description = "person handle"), At), responses((status = 200, description = "where the person is on call", body = PersonOnCall), (status = 400, description = "a bad instant", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 404, description = "no such person", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn person_oncall(
    State(st): State<AppState>,
    p: Principal,
    Path(handle): Path<String>,
    Query(q): Query<At>,
) -> Result<Json<PersonOnCall>, ApiError> {
    directory::person(&st.store, &handle).await?;
    let at =
        q.at.as_deref()
            .map(|a| instant("at", a))
            .transpose()?
            .unwrap_or_else(|| st.now());
    let next = at + chrono::Duration::seconds(1);
    let on = calendar::person_shifts_between(&st.store, &st.cache, p.generation, &handle, at, next)
        .await?
        .into_iter()
        .map(|(l, s)| OnCallView {
            team: l.row.team.clone(),
            rota: l.row.name.clone(),
            layer: l.rota.layers[s.layer].name.clone(),
            since: utc(s.start),
            until: utc(s.end),
            source: s.source.as_str(),
        })
        .collect();
    Ok(Json(PersonOnCall {
        at: utc(at),
        person: handle,
        on_call: on,
    }))
}
