//! One layer of a rota: read, create or replace (optionally effective-dated),
//! delete. Each is an edit of the rota's document, versioned by the rota's
//! ETag like any other (`If-Match` required).

use super::auth::Principal;
use super::error::{ApiError, ApiJson};
use super::removal::ReplaceWith;
use super::rotas::save;
use super::state::AppState;
use crate::engine::ladders::Removal;
use crate::engine::rotas;
use crate::rota::file::defs::LayerDef;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LayerBody {
    /// The layer as in a rota file's `[[layers]]` (its name comes from the path).
    #[schema(value_type = Object)]
    layer: Value,
    #[schema(format = DateTime)]
    effective_from: Option<String>,
    #[serde(default)]
    accept_violations: bool,
}

#[utoipa::path(get, path = "/api/v1/teams/{team}/rotas/{rota}/layers/{layer}", tag = "rotas", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name"), ("layer" = String, Path)), responses((status = 200, description = "the layer", body = Object), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 404, description = "no such rota or layer", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn get(
    State(st): State<AppState>,
    _p: Principal,
    Path((team, name, layer)): Path<(String, String, String)>,
) -> Result<Json<LayerDef>, ApiError> {
    let (_, doc) = rotas::document(&st.store, &team, &name).await?;
    doc.layers
        .into_iter()
        .find(|l| l.name == layer)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("layer {layer}")))
}

#[utoipa::path(put, path = "/api/v1/teams/{team}/rotas/{rota}/layers/{layer}", tag = "rotas", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name"), ("layer" = String, Path), ("If-Match" = Option<String>, Header, description = "the rota ETag; required")), request_body = LayerBody, responses((status = 200, description = "the rota, stored", body = super::rotas::RotaView), (status = 404, description = "no such rota", body = super::ErrorBody), (status = 409, description = "stale If-Match", body = super::ErrorBody), (status = 422, description = "invalid", body = super::ErrorBody), (status = 428, description = "If-Match missing", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn put(
    State(st): State<AppState>,
    p: Principal,
    Path((team, name, layer)): Path<(String, String, String)>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<LayerBody>,
) -> Result<Response, ApiError> {
    p.require_lead(&team)?;
    let mut v = b.layer;
    if let Some(o) = v.as_object_mut() {
        o.insert("name".into(), Value::String(layer.clone()));
    }
    let new: LayerDef = serde_path_to_error::deserialize(v).map_err(|e| {
        ApiError::invalid(format!("layer.{}", e.path()), e.into_inner().to_string())
    })?;
    let (_, doc) = rotas::document(&st.store, &team, &name).await?;
    let doc = rotas::put_layer(doc, &layer, new);
    save(
        &st,
        &p,
        team,
        name,
        &headers,
        doc,
        b.effective_from,
        b.accept_violations,
        None,
    )
    .await
}

#[utoipa::path(delete, path = "/api/v1/teams/{team}/rotas/{rota}/layers/{layer}", tag = "rotas", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name"), ("layer" = String, Path), ("If-Match" = Option<String>, Header, description = "the rota ETag; required"), ReplaceWith), responses((status = 200, description = "the rota without the layer", body = super::rotas::RotaView), (status = 404, description = "no such rota or layer", body = super::ErrorBody), (status = 409, description = "stale, or ladders page through it", body = super::ErrorBody), (status = 422, description = "invalid", body = super::ErrorBody), (status = 428, description = "If-Match missing", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn delete(
    State(st): State<AppState>,
    p: Principal,
    Path((team, name, layer)): Path<(String, String, String)>,
    Query(q): Query<ReplaceWith>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    p.require_lead(&team)?;
    let removal = Removal::Layer {
        team: &team,
        rota: &name,
        layer: &layer,
    };
    let rewrites = rotas::plan(&st.store, &st.cache, removal, q.replace_with.as_deref()).await?;
    let (_, doc) = rotas::document(&st.store, &team, &name).await?;
    let doc = rotas::without_layer(doc, &layer)
        .ok_or_else(|| ApiError::not_found(format!("layer {layer}")))?;
    save(
        &st,
        &p,
        team,
        name,
        &headers,
        doc,
        None,
        false,
        Some(rewrites),
    )
    .await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// What the next person on the layer should know (1–2000 characters).
    #[schema(pattern = "\\S", max_length = 2000)]
    text: String,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct NoteOut {
    /// The handoff the note goes with (the next person's "on call now" message).
    #[schema(format = DateTime)]
    for_handoff_at: String,
}

#[utoipa::path(post, path = "/api/v1/teams/{team}/rotas/{rota}/layers/{layer}/handoff-notes", tag = "rotas", request_body = NoteBody, params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name"), ("layer" = String, Path)), responses((status = 201, description = "the note, and the handoff it goes with", body = NoteOut), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not on the layer, not a lead of the team", body = super::ErrorBody), (status = 404, description = "no such rota or layer", body = super::ErrorBody), (status = 422, description = "empty or too long, or no handoff coming", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn handoff_note(
    State(st): State<AppState>,
    p: Principal,
    Path((team, name, layer)): Path<(String, String, String)>,
    ApiJson(b): ApiJson<NoteBody>,
) -> Result<(axum::http::StatusCode, Json<NoteOut>), ApiError> {
    let by = crate::engine::handoffs::NoteBy {
        actor: &p.actor(),
        person: p.person.as_deref(),
        lead: p.leads(&team),
    };
    let at = crate::engine::handoffs::add_note(
        &st.store,
        &st.cache,
        (&team, &name, &layer),
        by,
        &b.text,
        st.now(),
    )
    .await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(NoteOut {
            for_handoff_at: super::time::utc_ms(at.timestamp_millis()),
        }),
    ))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct HandoffAck {
    /// The start of the shift whose handoff was acknowledged.
    #[schema(format = DateTime)]
    shift_start: String,
}

#[utoipa::path(post, path = "/api/v1/teams/{team}/rotas/{rota}/layers/{layer}/handoff-ack", tag = "rotas", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name"), ("layer" = String, Path)), responses((status = 200, description = "acknowledged: the lead is not told", body = HandoffAck), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "the token is not a person's", body = super::ErrorBody), (status = 404, description = "no such rota or layer", body = super::ErrorBody), (status = 409, description = "not on call on the layer now, or nothing to acknowledge", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn handoff_ack(
    State(st): State<AppState>,
    p: Principal,
    Path((team, name, layer)): Path<(String, String, String)>,
) -> Result<Json<HandoffAck>, ApiError> {
    let person = p
        .person
        .clone()
        .ok_or_else(|| ApiError::forbidden("only the person on call acknowledges a handoff"))?;
    let at = crate::engine::handoffs::ack(
        &st.store,
        &st.cache,
        (&team, &name, &layer),
        &person,
        st.now(),
    )
    .await?;
    Ok(Json(HandoffAck {
        shift_start: super::time::utc_ms(at.timestamp_millis()),
    }))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct HandoffNoteOut {
    author: String,
    text: String,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct HandoffOut {
    layer: String,
    /// Who went on call.
    person: String,
    /// Who handed over (their name), if someone did.
    from: Option<String>,
    #[schema(format = DateTime)]
    start: String,
    #[schema(format = DateTime)]
    end: String,
    /// pending, sent or skipped: the "on call now" message.
    notice: String,
    #[schema(format = DateTime)]
    acknowledged_at: Option<String>,
    notes: Vec<HandoffNoteOut>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct HandoffLog {
    handoffs: Vec<HandoffOut>,
}

#[utoipa::path(get, path = "/api/v1/teams/{team}/rotas/{rota}/handoffs", tag = "rotas", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name")), responses((status = 200, description = "the latest 100 handoffs, newest first, with acknowledgements and notes", body = HandoffLog), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 404, description = "no such rota", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn handoff_log(
    State(st): State<AppState>,
    _p: Principal,
    Path((team, name)): Path<(String, String)>,
) -> Result<Json<HandoffLog>, ApiError> {
    use super::time::utc_ms;
    let log = crate::engine::handoffs::log(&st.store, &team, &name, 100).await?;
    Ok(Json(HandoffLog {
        handoffs: log
            .into_iter()
            .map(|e| HandoffOut {
                layer: e.row.layer,
                person: e.row.person,
                from: e.row.from,
                start: utc_ms(e.row.start_ms),
                end: utc_ms(e.row.end_ms),
                notice: e.row.status,
                acknowledged_at: e.row.acked_ms.map(utc_ms),
                notes: e
                    .notes
                    .into_iter()
                    .map(|(author, text)| HandoffNoteOut { author, text })
                    .collect(),
            })
            .collect(),
    }))
}
