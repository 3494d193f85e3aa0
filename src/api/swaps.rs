//! Swaps over HTTP (the workflow is `engine::swaps`): offer, accept (with a
//! shift in return, optionally), approve or decline (a lead), cancel (the
//! offerer or a lead). Handlers authorise and render.

use super::auth::Principal;
use super::error::{ApiError, ApiJson};
use super::rotas::{ViolationView, violations};
use super::state::AppState;
use super::time::instant;
use crate::engine::documents::rfc3339;
use crate::engine::swaps::{self, Step};
use crate::rota::interval::Interval;
use crate::store::SwapRow;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferBody {
    #[schema(pattern = "^[a-z0-9_.-]{1,64}$")]
    layer: String,
    #[schema(format = DateTime)]
    start: String,
    #[schema(format = DateTime)]
    end: String,
    /// Offer on someone's behalf (leads and admins).
    #[schema(pattern = "^[a-z0-9_.-]{1,64}$")]
    person: Option<String>,
    note: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Span {
    #[schema(format = DateTime)]
    start: String,
    #[schema(format = DateTime)]
    end: String,
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptBody {
    /// One of the taker's own shifts, given back in return.
    in_return: Option<Span>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SpanView {
    start: String,
    end: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SwapView {
    id: String,
    layer: String,
    offered_by: String,
    start: String,
    end: String,
    taker: Option<String>,
    in_return: Option<SpanView>,
    /// offered, accepted, applied, declined or cancelled.
    state: String,
    note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warnings: Option<Vec<ViolationView>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SwapList {
    swaps: Vec<SwapView>,
}

fn view(w: SwapRow, warnings: Option<Vec<ViolationView>>) -> SwapView {
    SwapView {
        start: rfc3339(w.start),
        end: rfc3339(w.end),
        in_return: w.in_return.map(|(a, b)| SpanView {
            start: rfc3339(a),
            end: rfc3339(b),
        }),
        id: w.id,
        layer: w.layer,
        offered_by: w.offered_by,
        taker: w.taker,
        state: w.state,
        note: w.note,
        warnings,
    }
}

fn span(field: &str, start: &str, end: &str) -> Result<Interval, ApiError> {
    let (a, b) = (
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

#[utoipa::path(get, path = "/api/v1/teams/{team}/rotas/{rota}/swaps", tag = "swaps", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name")), responses((status = 200, description = "swaps", body = SwapList), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 404, description = "no such rota", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn list(
    State(st): State<AppState>,
    _p: Principal,
    Path((team, name)): Path<(String, String)>,
) -> Result<Json<SwapList>, ApiError> {
    let rows = swaps::list(&st.store, &st.cache, &team, &name).await?;
    Ok(Json(SwapList {
        swaps: rows.into_iter().map(|w| view(w, None)).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/teams/{team}/rotas/{rota}/swaps", tag = "swaps", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name")), request_body = OfferBody, responses((status = 201, description = "offered", body = SwapView), (status = 400, description = "malformed", body = super::ErrorBody), (status = 404, description = "no such rota", body = super::ErrorBody), (status = 422, description = "not the offerer's shift", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
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
    let row = swaps::offer(
        &st.store,
        &st.cache,
        &team,
        &name,
        &b.layer,
        &offerer,
        iv,
        b.note,
        &p.actor(),
        st.now(),
    )
    .await?;
    // The people to tell are written with the offer; the dispatcher sends.
    st.dispatch.wake();
    Ok((StatusCode::CREATED, Json(view(row, None))).into_response())
}

#[utoipa::path(post, path = "/api/v1/teams/{team}/rotas/{rota}/swaps/{id}/accept", tag = "swaps", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name"), ("id" = String, Path)), request_body(content = Option<AcceptBody>), responses((status = 200, description = "accepted or applied", body = SwapView), (status = 404, description = "no such swap", body = super::ErrorBody), (status = 409, description = "no longer offered", body = super::ErrorBody), (status = 422, description = "invalid", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
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
        serde_json::from_slice::<Option<AcceptBody>>(&body)
            .map_err(|e| ApiError::invalid("body", format!("accept body: {e}")))?
            .unwrap_or_default()
    };
    let taker = p.person.clone().ok_or_else(|| {
        ApiError::forbidden("a swap is accepted by a person: use that person's token")
    })?;
    let in_return = b
        .in_return
        .as_ref()
        .map(|s| span("in_return.", &s.start, &s.end))
        .transpose()?;
    let w = swaps::find(&st.store, &team, &name, &id).await?;
    let (w, warnings) = swaps::accept(
        &st.store,
        &st.cache,
        w,
        &taker,
        in_return,
        &p.actor(),
        st.now(),
    )
    .await?;
    st.dispatch.wake();
    Ok(Json(view(w, Some(violations(&warnings)))).into_response())
}

#[utoipa::path(post, path = "/api/v1/teams/{team}/rotas/{rota}/swaps/{id}/approve", tag = "swaps", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name"), ("id" = String, Path)), responses((status = 200, description = "applied", body = SwapView), (status = 404, description = "no such swap", body = super::ErrorBody), (status = 409, description = "not accepted", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn approve(
    State(st): State<AppState>,
    p: Principal,
    Path((team, name, id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    p.require_lead(&team)?;
    move_on(st, p, team, name, id, Step::Approve).await
}

#[utoipa::path(post, path = "/api/v1/teams/{team}/rotas/{rota}/swaps/{id}/decline", tag = "swaps", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name"), ("id" = String, Path)), responses((status = 200, description = "declined", body = SwapView), (status = 404, description = "no such swap", body = super::ErrorBody), (status = 409, description = "already closed", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn decline(
    State(st): State<AppState>,
    p: Principal,
    Path((team, name, id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    p.require_lead(&team)?;
    move_on(st, p, team, name, id, Step::Decline).await
}

#[utoipa::path(post, path = "/api/v1/teams/{team}/rotas/{rota}/swaps/{id}/cancel", tag = "swaps", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name"), ("id" = String, Path)), responses((status = 200, description = "cancelled", body = SwapView), (status = 404, description = "no such swap", body = super::ErrorBody), (status = 409, description = "already closed", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn cancel(
    State(st): State<AppState>,
    p: Principal,
    Path((team, name, id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let w = swaps::find(&st.store, &team, &name, &id).await?;
    if !(p.leads(&team) || p.is(&w.offered_by)) {
        return Err(ApiError::forbidden(format!(
            "only a lead of team {team} or the offerer may do this"
        )));
    }
    move_on(st, p, team, name, id, Step::Cancel).await
}

async fn move_on(
    st: AppState,
    p: Principal,
    team: String,
    name: String,
    id: String,
    step: Step,
) -> Result<Response, ApiError> {
    let w = swaps::find(&st.store, &team, &name, &id).await?;
    let (w, warnings) = swaps::step(&st.store, &st.cache, w, step, &p.actor(), st.now()).await?;
    st.dispatch.wake();
    Ok(Json(view(w, Some(violations(&warnings)))).into_response())
}
