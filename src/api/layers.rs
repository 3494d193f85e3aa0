//! One layer of a rota: read, create or replace (optionally effective-dated),
//! delete. Each is an edit of the rota's document, versioned by the rota's
//! ETag like any other (`If-Match` required).

use super::auth::Principal;
use super::error::{ApiError, ApiJson};
use super::rotas::{RotaBody, save};
use super::state::AppState;
use crate::engine::documents;
use crate::store::Reads as _;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LayerBody {
    layer: Value,
    effective_from: Option<String>,
    #[serde(default)]
    accept_violations: bool,
}

async fn document(st: &AppState, team: &str, name: &str) -> Result<Value, ApiError> {
    let row = st
        .store
        .load_rota(team, name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("rota {team}/{name}")))?;
    Ok(documents::to_json(&row.document))
}

fn layers(doc: &mut Value) -> &mut Vec<Value> {
    if !doc["layers"].is_array() {
        doc["layers"] = Value::Array(Vec::new());
    }
    match doc["layers"].as_array_mut() {
        Some(a) => a,
        None => unreachable!("just made an array"),
    }
}

#[utoipa::path(get, path = "/api/v1/teams/{team}/rotas/{rota}/layers/{layer}", tag = "rotas", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name"), ("layer" = String, Path)), responses((status = 200, description = "the layer", body = serde_json::Value), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn get(
    State(st): State<AppState>,
    _p: Principal,
    Path((team, name, layer)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let mut doc = document(&st, &team, &name).await?;
    let found = layers(&mut doc)
        .iter()
        .find(|l| l["name"] == layer.as_str())
        .cloned();
    found
        .map(|l| Json(l).into_response())
        .ok_or_else(|| ApiError::not_found(format!("layer {layer}")))
}

#[utoipa::path(put, path = "/api/v1/teams/{team}/rotas/{rota}/layers/{layer}", tag = "rotas", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name"), ("layer" = String, Path), ("If-Match" = Option<String>, Header, description = "the rota ETag; required to update")), request_body = LayerBody, responses((status = 200, description = "stored", body = serde_json::Value), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn put(
    State(st): State<AppState>,
    p: Principal,
    Path((team, name, layer)): Path<(String, String, String)>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<LayerBody>,
) -> Result<Response, ApiError> {
    p.require_lead(&team)?;
    let mut doc = document(&st, &team, &name).await?;
    let mut new = b.layer;
    if !new.is_object() {
        return Err(ApiError::invalid("layer", "a layer is a JSON object"));
    }
    new["name"] = Value::String(layer.clone());
    let list = layers(&mut doc);
    match list.iter_mut().find(|l| l["name"] == layer.as_str()) {
        Some(slot) => *slot = new,
        None => list.push(new),
    }
    let body = RotaBody {
        document: doc,
        effective_from: b.effective_from,
        accept_violations: b.accept_violations,
    };
    save(&st, &p, team, name, &headers, body, None).await
}

#[utoipa::path(delete, path = "/api/v1/teams/{team}/rotas/{rota}/layers/{layer}", tag = "rotas", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name"), ("layer" = String, Path), ("If-Match" = Option<String>, Header, description = "the rota ETag; required to update")), responses((status = 200, description = "removed", body = serde_json::Value), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn delete(
    State(st): State<AppState>,
    p: Principal,
    Path((team, name, layer)): Path<(String, String, String)>,
    Query(q): Query<super::removal::ReplaceWith>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    p.require_lead(&team)?;
    let removal = crate::engine::ladders::Removal::Layer {
        team: &team,
        rota: &name,
        layer: &layer,
    };
    let rewrites = super::removal::plan(&st, removal, q.replace_with.as_deref()).await?;
    let mut doc = document(&st, &team, &name).await?;
    let list = layers(&mut doc);
    let before = list.len();
    list.retain(|l| l["name"] != layer.as_str());
    if list.len() == before {
        return Err(ApiError::not_found(format!("layer {layer}")));
    }
    let body = RotaBody {
        document: doc,
        effective_from: None,
        accept_violations: false,
    };
    save(&st, &p, team, name, &headers, body, Some(rewrites)).await
}
