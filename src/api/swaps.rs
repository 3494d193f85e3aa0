//! Swaps as a workflow. A person offers one of their shifts, or part of it
//! (`offered`); another participant of the layer accepts, optionally giving
//! one of their own shifts in return (`accepted`); where the team requires
//! it a lead approves. The swap is then applied: replace overrides with
//! source `swap`, visible in shifts, feeds and the audit log. Offers can be
//! declined (lead) or cancelled (offerer or lead) until applied.

use super::auth::{Principal, new_id};
use super::calendar::loaded;
use super::error::{ApiError, ApiJson};
use super::rotas::{enforce_checks, violations_json};
use super::state::AppState;
use super::time::instant;
use crate::engine::documents::rfc3339;
use crate::rota::interval::Interval;
use crate::rota::{Instant, Rota, shifts};
use crate::store::Reads as _;
use crate::store::{OverrideRow, SwapRow};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferBody {
    layer: String,
    start: String,
    end: String,
    /// Offer on someone's behalf (leads and admins).
    person: Option<String>,
    note: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Span {
    start: String,
    end: String,
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptBody {
    in_return: Option<Span>,
}

fn json_of(w: &SwapRow) -> Value {
    json!({ "id": w.id, "layer": w.layer, "offered_by": w.offered_by, "start": rfc3339(w.start), "end": rfc3339(w.end),
            "taker": w.taker, "in_return": w.in_return.map(|(a, b)| json!({ "start": rfc3339(a), "end": rfc3339(b) })),
            "state": w.state, "note": w.note })
}

fn span(field: &str, start: &str, end: &str) -> Result<Interval, ApiError> {
    let (a, b): (Instant, Instant) = (
        instant(&format!("{field}start"), start)?,
        instant(&format!("{field}end"), end)?,
    );
    if b <= a {
        return Err(ApiError::invalid(
            format!("{field}end"),
            "end must be after start",
        ));
    }
    Ok(Interval::new(a, b))
}

/// Whether the person `who` holds layer `layer` (overrides included) for
/// the whole of `iv`.
fn holds(rota: &Rota, layer: usize, who: &str, iv: Interval) -> bool {
    rota.person(who)
        .is_some_and(|p| shifts::holds(rota, layer, p, iv, true))
}

#[utoipa::path(get, path = "/api/v1/teams/{team}/rotas/{rota}/swaps", tag = "swaps", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name")), responses((status = 200, description = "swaps", body = serde_json::Value), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn list(
    State(st): State<AppState>,
    _p: Principal,
    Path((team, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    loaded(&st, &team, &name).await?;
    let rows = st.store.load_swaps(&team, &name).await?;
    Ok(Json(
        json!({ "swaps": rows.iter().map(json_of).collect::<Vec<_>>() }),
    ))
}

#[utoipa::path(post, path = "/api/v1/teams/{team}/rotas/{rota}/swaps", tag = "swaps", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name")), request_body = OfferBody, responses((status = 201, description = "offered", body = serde_json::Value), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn offer(
    State(st): State<AppState>,
    p: Principal,
    Path((team, name)): Path<(String, String)>,
    ApiJson(b): ApiJson<OfferBody>,
) -> Result<Response, ApiError> {
    let offerer = match (&b.person, &p.person) {
        (Some(who), _) if p.leads(&team) || p.is(who) => who.clone(),
        (Some(_), _) => {
            return Err(ApiError::forbidden(
                "only a lead may offer someone else's shift",
            ));
        }
        (None, Some(me)) => me.clone(),
        (None, None) => {
            return Err(ApiError::invalid(
                "person",
                "this token acts for no person; name the person whose shift is offered",
            ));
        }
    };
    let iv = span("", &b.start, &b.end)?;
    let l = loaded(&st, &team, &name).await?;
    let layer = l.rota.layer(&b.layer).ok_or_else(|| {
        ApiError::invalid(
            "layer",
            format!("rota {team}/{name} has no layer {}", b.layer),
        )
    })?;
    if !holds(&l.rota, layer, &offerer, iv) {
        return Err(ApiError::invalid(
            "start",
            format!(
                "{offerer} is not on call in layer {} for all of the offered time",
                b.layer
            ),
        ));
    }
    let row = SwapRow {
        id: new_id("swp_"),
        team: team.clone(),
        rota: name.clone(),
        layer: b.layer,
        offered_by: offerer,
        start: iv.start.timestamp(),
        end: iv.end.timestamp(),
        taker: None,
        in_return: None,
        state: "offered".into(),
        note: b.note,
    };
    let now = st.now_secs();
    let tx = st.store.tx().await?;
    tx.insert_swap(&row, now).await?;
    tx.audit(
        now,
        &p.actor(),
        "swap.offer",
        &format!("{team}/{name}/{}", row.id),
        json_of(&row),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(json_of(&row))).into_response())
}

async fn swap_of(st: &AppState, team: &str, name: &str, id: &str) -> Result<SwapRow, ApiError> {
    st.store
        .load_swap(id)
        .await?
        .filter(|w| w.team == team && w.rota == name)
        .ok_or_else(|| ApiError::not_found(format!("swap {id}")))
}

#[utoipa::path(post, path = "/api/v1/teams/{team}/rotas/{rota}/swaps/{id}/accept", tag = "swaps", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name"), ("id" = String, Path)), request_body = AcceptBody, responses((status = 200, description = "accepted or applied", body = serde_json::Value), (status = 409, description = "no longer offered", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn accept(
    State(st): State<AppState>,
    p: Principal,
    Path((team, name, id)): Path<(String, String, String)>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    // The body is optional: `{}` or nothing accepts as offered.
    let b: AcceptBody = if body.iter().all(u8::is_ascii_whitespace) {
        AcceptBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("accept body: {e}"),
            )
        })?
    };
    let w = swap_of(&st, &team, &name, &id).await?;
    let taker = p.person.clone().ok_or_else(|| {
        ApiError::forbidden("a swap is accepted by a person: use that person's token")
    })?;
    if w.state != "offered" {
        return Err(ApiError::conflict(format!(
            "swap {id} is {}, not offered",
            w.state
        )));
    }
    if taker == w.offered_by {
        return Err(ApiError::invalid(
            "taker",
            "you cannot accept your own offer",
        ));
    }
    let l = loaded(&st, &team, &name).await?;
    let layer = l
        .rota
        .layer(&w.layer)
        .ok_or_else(|| ApiError::conflict(format!("layer {} no longer exists", w.layer)))?;
    let member = l.rota.person(&taker).is_some_and(|t| {
        l.rota.layers[layer]
            .rotations
            .iter()
            .any(|r| r.cadence.participants().contains(&t))
    });
    if !member {
        return Err(ApiError::forbidden(format!(
            "{taker} is not a participant of layer {}",
            w.layer
        )));
    }
    let in_return = match &b.in_return {
        Some(s) => {
            let iv = span("in_return.", &s.start, &s.end)?;
            if !holds(&l.rota, layer, &taker, iv) {
                return Err(ApiError::invalid(
                    "in_return.start",
                    format!(
                        "{taker} is not on call in layer {} for all of that time",
                        w.layer
                    ),
                ));
            }
            Some((iv.start.timestamp(), iv.end.timestamp()))
        }
        None => None,
    };
    let needs_approval = st
        .store
        .load_team(&team)
        .await?
        .is_some_and(|t| t.swap_approval);
    let next = SwapRow {
        taker: Some(taker),
        in_return,
        state: if needs_approval {
            "accepted"
        } else {
            "applied"
        }
        .into(),
        ..w
    };
    transition(&st, &p, next, "offered", "swap.accept").await
}

#[utoipa::path(post, path = "/api/v1/teams/{team}/rotas/{rota}/swaps/{id}/approve", tag = "swaps", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name"), ("id" = String, Path)), responses((status = 200, description = "applied", body = serde_json::Value), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn approve(
    State(st): State<AppState>,
    p: Principal,
    Path((team, name, id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    p.require_lead(&team)?;
    let w = swap_of(&st, &team, &name, &id).await?;
    if w.state != "accepted" {
        return Err(ApiError::conflict(format!(
            "swap {id} is {}, not accepted",
            w.state
        )));
    }
    transition(
        &st,
        &p,
        SwapRow {
            state: "applied".into(),
            ..w
        },
        "accepted",
        "swap.approve",
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/teams/{team}/rotas/{rota}/swaps/{id}/decline", tag = "swaps", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name"), ("id" = String, Path)), responses((status = 200, description = "declined", body = serde_json::Value), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn decline(
    State(st): State<AppState>,
    p: Principal,
    Path((team, name, id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    close(st, p, team, name, id, "declined").await
}

#[utoipa::path(post, path = "/api/v1/teams/{team}/rotas/{rota}/swaps/{id}/cancel", tag = "swaps", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name"), ("id" = String, Path)), responses((status = 200, description = "cancelled", body = serde_json::Value), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn cancel(
    State(st): State<AppState>,
    p: Principal,
    Path((team, name, id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    close(st, p, team, name, id, "cancelled").await
}

async fn close(
    st: AppState,
    p: Principal,
    team: String,
    name: String,
    id: String,
    state: &str,
) -> Result<Response, ApiError> {
    let w = swap_of(&st, &team, &name, &id).await?;
    let allowed = p.leads(&team) || (state == "cancelled" && p.is(&w.offered_by));
    if !allowed {
        return Err(ApiError::forbidden(format!(
            "only a lead of team {team}{} may do this",
            if state == "cancelled" {
                " or the offerer"
            } else {
                ""
            }
        )));
    }
    if !["offered", "accepted"].contains(&w.state.as_str()) {
        return Err(ApiError::conflict(format!(
            "swap {id} is already {}",
            w.state
        )));
    }
    let from = w.state.clone();
    transition(
        &st,
        &p,
        SwapRow {
            state: state.into(),
            ..w
        },
        &from,
        &format!("swap.{}", &state[..state.len() - 1]),
    )
    .await
}

/// Stores a state change; entering `applied` also writes the overrides, in
/// the same transaction, after checking the rota still validates and keeps
/// its hard rules.
async fn transition(
    st: &AppState,
    p: &Principal,
    w: SwapRow,
    from: &str,
    action: &str,
) -> Result<Response, ApiError> {
    let mut overrides = Vec::new();
    let mut warnings = Vec::new();
    // The rota version the swap was checked against, when it writes overrides.
    let mut checked_version = None;
    if w.state == "applied" {
        let taker = w.taker.clone().unwrap_or_default();
        let half = |suffix: &str, start: i64, end: i64, from: &str, to: &str| OverrideRow {
            id: format!("{}{suffix}", w.id.replacen("swp_", "ovr_", 1)),
            team: w.team.clone(),
            rota: w.rota.clone(),
            layer: w.layer.clone(),
            kind: "replace".into(),
            start,
            end,
            person: Some(to.to_string()),
            replaces: Some(from.to_string()),
            note: Some(format!("swap {}", w.id)),
            created_by: p.actor(),
            source: "swap".into(),
        };
        overrides.push(half("a", w.start, w.end, &w.offered_by, &taker));
        if let Some((a, b)) = w.in_return {
            overrides.push(half("b", a, b, &taker, &w.offered_by));
        }
        let team = st
            .store
            .load_team(&w.team)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("team {}", w.team)))?;
        let before = loaded(st, &w.team, &w.rota).await?;
        let rota = crate::engine::build_stored(&st.store, &team, &before.row, &overrides)
            .await?
            .map_err(|e| {
                ApiError::conflict(format!(
                    "the swap no longer fits the rota: {}",
                    e.0.last().map(|e| e.message.clone()).unwrap_or_default()
                ))
            })?;
        warnings = enforce_checks(&rota, Some(&before.rota), st.now(), false)?;
        checked_version = Some(before.row.version);
    }
    let now = st.now_secs();
    let tx = st.store.tx().await?;
    tx.advance_swap(&w, from, now).await?;
    for o in &overrides {
        tx.insert_override(o, now).await?;
    }
    if let Some(v) = checked_version {
        tx.touch_rota(&w.team, &w.rota, v, now).await?;
    }
    tx.audit(
        now,
        &p.actor(),
        action,
        &format!("{}/{}/{}", w.team, w.rota, w.id),
        json_of(&w),
    )
    .await?;
    tx.commit().await?;
    let mut out = json_of(&w);
    out["warnings"] = violations_json(&warnings);
    Ok(Json(out).into_response())
}
