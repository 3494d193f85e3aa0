//! Who is on call and the shifts in a window, per rota and per person.

use super::auth::Principal;
use super::error::ApiError;
use super::state::AppState;
use super::time::{instant, utc, window};
use crate::engine::Loaded;
use crate::rota::{self, Instant, Shift, shifts};
use crate::store::Reads as _;
use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

#[derive(Deserialize)]
pub struct At {
    at: Option<String>,
}

#[derive(Deserialize)]
pub struct Window {
    from: Option<String>,
    to: Option<String>,
    layer: Option<String>,
}

pub async fn loaded(st: &AppState, team: &str, name: &str) -> Result<Arc<Loaded>, ApiError> {
    st.cache
        .load(&st.store, team, name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("rota {team}/{name}")))
}

/// As `loaded`, at a change counter the caller has already read (for a
/// request, the one read when it was authenticated): one query fewer.
pub async fn loaded_at(
    st: &AppState,
    generation: i64,
    team: &str,
    name: &str,
) -> Result<Arc<Loaded>, ApiError> {
    st.cache
        .load_at(&st.store, generation, team, name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("rota {team}/{name}")))
}

pub fn shift_json(r: &rota::Rota, s: &Shift) -> Value {
    json!({ "layer": r.layers[s.layer].name, "person": r.people[s.person].id, "start": utc(s.start), "end": utc(s.end), "source": s.source.as_str() })
}

#[utoipa::path(get, path = "/api/v1/teams/{team}/rotas/{rota}/oncall", tag = "calendar", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name"), ("at" = Option<String>, Query, description = "RFC 3339 instant (default now)")), responses((status = 200, description = "who is on call per layer and role", body = serde_json::Value), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn oncall(
    State(st): State<AppState>,
    p: Principal,
    Path((team, name)): Path<(String, String)>,
    Query(q): Query<At>,
) -> Result<Json<Value>, ApiError> {
    let at =
        q.at.as_deref()
            .map(|a| instant("at", a))
            .transpose()?
            .unwrap_or_else(|| st.now());
    let l = loaded_at(&st, p.generation, &team, &name).await?;
    Ok(Json(
        serde_json::to_value(shifts::who_at(&l.rota, at)).map_err(ApiError::internal)?,
    ))
}

#[utoipa::path(get, path = "/api/v1/teams/{team}/rotas/{rota}/shifts", tag = "calendar", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name"), ("from" = Option<String>, Query, description = "RFC 3339 (default now)"), ("to" = Option<String>, Query, description = "RFC 3339 (default from + 14 days)"), ("layer" = Option<String>, Query)), responses((status = 200, description = "shifts in the window", body = serde_json::Value), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn shifts(
    State(st): State<AppState>,
    p: Principal,
    Path((team, name)): Path<(String, String)>,
    Query(q): Query<Window>,
) -> Result<Json<Value>, ApiError> {
    let (from, to) = window(q.from.as_deref(), q.to.as_deref(), st.now(), 14)?;
    let l = loaded_at(&st, p.generation, &team, &name).await?;
    let r = &l.rota;
    let layer = match &q.layer {
        Some(n) => Some(
            r.layer(n)
                .ok_or_else(|| ApiError::not_found(format!("layer {n}")).field("layer"))?,
        ),
        None => None,
    };
    let list: Vec<Value> = shifts::shifts_between(r, from, to)
        .iter()
        .filter(|s| layer.is_none_or(|i| s.layer == i))
        .map(|s| shift_json(r, s))
        .collect();
    Ok(Json(json!({ "shifts": list })))
}

/// Every rota's shifts of one person, across teams, at change counter
/// `generation` (read once by the caller, not once per rota).
pub async fn person_shifts_between(
    st: &AppState,
    generation: i64,
    handle: &str,
    from: Instant,
    to: Instant,
) -> Result<Vec<(Arc<Loaded>, Shift)>, ApiError> {
    let mut out = Vec::new();
    for row in st.store.load_rotas(None).await? {
        let Some(l) = st
            .cache
            .load_at(&st.store, generation, &row.team, &row.name)
            .await?
        else {
            continue;
        };
        let Some(me) = l.rota.person(handle) else {
            continue;
        };
        for s in shifts::shifts_between(&l.rota, from, to)
            .into_iter()
            .filter(|s| s.person == me)
        {
            out.push((l.clone(), s));
        }
    }
    out.sort_by_key(|(_, s)| s.start);
    Ok(out)
}

#[utoipa::path(get, path = "/api/v1/people/{handle}/shifts", tag = "calendar", params(("handle" = String, Path, description = "person handle"), ("from" = Option<String>, Query, description = "RFC 3339 (default now)"), ("to" = Option<String>, Query, description = "RFC 3339 (default from + 14 days)")), responses((status = 200, description = "the shifts of a person across teams", body = serde_json::Value), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn person_shifts(
    State(st): State<AppState>,
    p: Principal,
    Path(handle): Path<String>,
    Query(q): Query<Window>,
) -> Result<Json<Value>, ApiError> {
    st.store
        .load_person(&handle)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("person {handle}")))?;
    let (from, to) = window(q.from.as_deref(), q.to.as_deref(), st.now(), 14)?;
    let list: Vec<Value> = person_shifts_between(&st, p.generation, &handle, from, to)
        .await?
        .iter()
        .map(|(l, s)| {
            let mut v = shift_json(&l.rota, s);
            v["team"] = json!(l.row.team);
            v["rota"] = json!(l.row.name);
            v
        })
        .collect();
    Ok(Json(json!({ "shifts": list })))
}

/// Where a person is on call at an instant, across every team's rotas.
#[utoipa::path(get, path = "/api/v1/people/{handle}/oncall", tag = "calendar", params(("handle" = String, Path, description = "person handle"), ("at" = Option<String>, Query, description = "RFC 3339 instant (default now)")), responses((status = 200, description = "where the person is on call", body = serde_json::Value), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn person_oncall(
    State(st): State<AppState>,
    p: Principal,
    Path(handle): Path<String>,
    Query(q): Query<At>,
) -> Result<Json<Value>, ApiError> {
    st.store
        .load_person(&handle)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("person {handle}")))?;
    let at =
        q.at.as_deref()
            .map(|a| instant("at", a))
            .transpose()?
            .unwrap_or_else(|| st.now());
    let mut on = Vec::new();
    for (l, s) in person_shifts_between(
        &st,
        p.generation,
        &handle,
        at,
        at + chrono::Duration::seconds(1),
    )
    .await?
    {
        on.push(
            json!({ "team": l.row.team, "rota": l.row.name, "layer": l.rota.layers[s.layer].name,
                        "since": utc(s.start), "until": utc(s.end), "source": s.source.as_str() }),
        );
    }
    Ok(Json(
        json!({ "at": utc(at), "person": handle, "on_call": on }),
    ))
}
