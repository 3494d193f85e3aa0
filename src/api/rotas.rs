//! Rotas over HTTP: read, create, update (versioned with ETag/If-Match,
//! effective-dated), delete. Every write is validated by the rota loader and
//! checked by the rota checks before it is stored.

use super::auth::Principal;
use super::error::{ApiError, ApiJson};
use super::state::AppState;
use super::teams::check_slug;
use super::time::{instant, utc};
use crate::engine::{self, documents};
use crate::rota::checks::{self, Violation};
use crate::rota::{Instant, Rota};
use crate::store::Reads as _;
use crate::store::{RotaRow, TeamRow};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use serde::Deserialize;
use serde_json::{Value, json};

/// How far ahead writes are checked.
pub const CHECK_DAYS: i64 = 90;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotaBody {
    pub document: Value,
    /// Apply the edit from this instant on; rotation versions before it stay.
    pub effective_from: Option<String>,
    /// A lead may store a rota that breaks hard rules.
    #[serde(default)]
    pub accept_violations: bool,
}

fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

fn rota_json(row: &RotaRow) -> Value {
    json!({ "team": row.team, "name": row.name, "version": row.version, "origin": row.origin,
            "updated_at": documents::rfc3339(row.updated_at), "document": documents::to_json(&row.document) })
}

#[utoipa::path(get, path = "/api/v1/teams/{team}/rotas", tag = "rotas", params(("team" = String, Path, description = "team slug")), responses((status = 200, description = "rotas of the team", body = serde_json::Value), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn list(
    State(st): State<AppState>,
    _p: Principal,
    Path(team): Path<String>,
) -> Result<Json<Value>, ApiError> {
    st.store
        .load_team(&team)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("team {team}")))?;
    let rows = st.store.load_rotas(Some(&team)).await?;
    let list: Vec<Value> = rows
        .iter()
        .map(|r| json!({ "name": r.name, "version": r.version, "origin": r.origin, "updated_at": documents::rfc3339(r.updated_at) }))
        .collect();
    Ok(Json(json!({ "rotas": list })))
}

#[utoipa::path(get, path = "/api/v1/teams/{team}/rotas/{rota}", tag = "rotas", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name")), responses((status = 200, description = "the rota document with its ETag", body = serde_json::Value), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn get(
    State(st): State<AppState>,
    _p: Principal,
    Path((team, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let row = st
        .store
        .load_rota(&team, &name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("rota {team}/{name}")))?;
    Ok(([(header::ETAG, etag(row.version))], Json(rota_json(&row))).into_response())
}

/// Parses an `If-Match: "N"` header.
pub fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let s = v
        .to_str()
        .unwrap_or("")
        .trim()
        .trim_start_matches("W/")
        .trim_matches('"');
    s.parse::<i64>().map(Some).map_err(|_| {
        ApiError::bad_request("If-Match must be an ETag from a GET, e.g. \"3\"").field("If-Match")
    })
}

#[utoipa::path(put, path = "/api/v1/teams/{team}/rotas/{rota}", tag = "rotas", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name"), ("If-Match" = Option<String>, Header, description = "the rota ETag; required to update")), request_body = RotaBody, responses((status = 200, description = "updated", body = serde_json::Value), (status = 201, description = "created", body = serde_json::Value), (status = 409, description = "stale If-Match", body = super::ErrorBody), (status = 422, description = "invalid or a hard rule broken", body = super::ErrorBody), (status = 428, description = "If-Match missing", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn put(
    State(st): State<AppState>,
    p: Principal,
    Path((team, name)): Path<(String, String)>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RotaBody>,
) -> Result<Response, ApiError> {
    save(&st, &p, team, name, &headers, body, None).await
}

/// Creates or updates a rota from a whole document (rota and layer
/// endpoints alike).
pub async fn save(
    st: &AppState,
    p: &Principal,
    team: String,
    name: String,
    headers: &HeaderMap,
    body: RotaBody,
    rewrites: Option<Vec<crate::store::ServiceRow>>,
) -> Result<Response, ApiError> {
    check_slug("rota", &name)?;
    p.require_lead(&team)?;
    let team_row = st
        .store
        .load_team(&team)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("team {team}")))?;
    // The rota as it is now: its row for the version check, its built form for
    // an effective-dated merge and for telling new violations from old ones.
    let before = st.cache.load(&st.store, &team, &name).await?;
    let existing = before.as_ref().map(|l| &l.row);
    let expected = if_match(headers)?;
    let mut document =
        documents::from_json(&body.document).map_err(|m| ApiError::invalid("document", m))?;
    if let (Some(old), Some(b)) = (existing, &before) {
        let Some(v) = expected else {
            return Err(ApiError::new(
                StatusCode::PRECONDITION_REQUIRED,
                "precondition_required",
                "updating a rota needs If-Match with its current ETag",
            )
            .field("If-Match"));
        };
        if v != old.version {
            return Err(ApiError::conflict(format!(
                "the rota changed since version {v}; it is now at version {}: GET it again and reapply your edit",
                old.version
            )));
        }
        if let Some(at) = &body.effective_from {
            let at = instant("effective_from", at)?;
            document = effective_from(&b.rota, old, &document, at)?;
        }
    } else if body.effective_from.is_some() {
        return Err(ApiError::invalid(
            "effective_from",
            "a new rota has no history to keep; leave effective_from out",
        ));
    }
    let now = st.now_secs();
    let row = RotaRow {
        team: team.clone(),
        name: name.clone(),
        document,
        version: 1,
        origin: "api".into(),
        updated_at: now,
    };
    let rota = validate(st, &team_row, &row).await?;
    let warnings = enforce_checks(
        &rota,
        before.as_ref().map(|l| &l.rota),
        st.now(),
        body.accept_violations && p.leads(&team),
    )?;
    // A layer that ladders page through cannot disappear with the edit
    // (the layer endpoint names a replacement and brings its rewrites).
    let rewrites = match rewrites {
        Some(r) => r,
        None if existing.is_some() => {
            let removal = crate::engine::ladders::Removal::RotaBecomes {
                team: &team,
                rota: &name,
                new: &rota,
            };
            super::removal::plan(st, removal, None).await?
        }
        None => Vec::new(),
    };
    let tx = st.store.tx().await?;
    super::removal::write(&tx, &rewrites, &p.actor(), now).await?;
    let version = match existing {
        Some(old) => {
            tx.update_rota(&team, &name, old.version, &row.document, "api", now)
                .await?
        }
        None => {
            tx.insert_rota(&row).await?;
            1
        }
    };
    let action = if existing.is_some() {
        "rota.update"
    } else {
        "rota.create"
    };
    tx.audit(now, &p.actor(), action, &format!("{team}/{name}"), json!({ "version": version, "effective_from": body.effective_from, "accepted_violations": body.accept_violations && !warnings.is_empty() })).await?;
    tx.commit().await?;
    let saved = RotaRow { version, ..row };
    let mut out = rota_json(&saved);
    out["warnings"] = violations_json(&warnings);
    let status = if existing.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, [(header::ETAG, etag(version))], Json(out)).into_response())
}

#[utoipa::path(delete, path = "/api/v1/teams/{team}/rotas/{rota}", tag = "rotas", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name"), ("If-Match" = Option<String>, Header, description = "the rota ETag; required to update")), responses((status = 204, description = "deleted"), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn delete(
    State(st): State<AppState>,
    p: Principal,
    Path((team, name)): Path<(String, String)>,
    Query(q): Query<super::removal::ReplaceWith>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    p.require_lead(&team)?;
    let old = st
        .store
        .load_rota(&team, &name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("rota {team}/{name}")))?;
    if let Some(v) = if_match(&headers)?
        && v != old.version
    {
        return Err(ApiError::conflict(format!(
            "the rota is at version {}, not {v}",
            old.version
        )));
    }
    let removal = crate::engine::ladders::Removal::Rota {
        team: &team,
        rota: &name,
    };
    let rewrites = super::removal::plan(&st, removal, q.replace_with.as_deref()).await?;
    let tx = st.store.tx().await?;
    super::removal::write(&tx, &rewrites, &p.actor(), st.now_secs()).await?;
    tx.delete_rota(&team, &name).await?;
    tx.audit(
        st.now_secs(),
        &p.actor(),
        "rota.delete",
        &format!("{team}/{name}"),
        json!({ "version": old.version }),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The stored form of an effective-dated edit: for each layer of the new
/// document, the rotation versions of the old one that took effect before
/// `at` are kept, and the new rotations follow, the first taking effect at
/// `at`. Restrictions and checks are not versioned: they take the new values.
fn effective_from(
    old_rota: &Rota,
    old: &RotaRow,
    new_doc: &str,
    at: Instant,
) -> Result<String, ApiError> {
    let old_doc: toml::Table = old.document.parse().map_err(ApiError::internal)?;
    let mut doc: toml::Table = new_doc.parse().map_err(ApiError::internal)?;
    let old_layers = old_doc
        .get("layers")
        .and_then(|l| l.as_array())
        .cloned()
        .unwrap_or_default();
    let new_names: Vec<String> = doc
        .get("layers")
        .and_then(|l| l.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|l| l.get("name").and_then(|n| n.as_str()).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    for (i, l) in old_layers.iter().enumerate() {
        let n = l.get("name").and_then(|n| n.as_str()).unwrap_or("");
        if !new_names.iter().any(|m| m == n) {
            return Err(ApiError::invalid(
                format!("document.layers[{i}]"),
                format!(
                    "layer {n} is missing; an effective-dated edit keeps every layer (leave effective_from out to replace the whole rota)"
                ),
            ));
        }
    }
    let Some(toml::Value::Array(layers)) = doc.get_mut("layers") else {
        return Ok(new_doc.to_string());
    };
    for (li, layer) in layers.iter_mut().enumerate() {
        let name = layer
            .get("name")
            .and_then(|n| n.as_str())
            .unwrap_or("")
            .to_string();
        let Some(old_i) = old_rota.layer(&name) else {
            continue;
        };
        let kept: Vec<toml::Value> = old_layers
            .iter()
            .find(|l| l.get("name").and_then(|n| n.as_str()) == Some(name.as_str()))
            .and_then(|l| l.get("rotations"))
            .and_then(|r| r.as_array())
            .map(|a| {
                a.iter()
                    .zip(&old_rota.layers[old_i].rotations)
                    .filter(|(_, parsed)| parsed.effective_from.is_none_or(|e| e < at))
                    .map(|(raw, _)| raw.clone())
                    .collect()
            })
            .unwrap_or_default();
        let Some(toml::Value::Array(new_rots)) = layer.get_mut("rotations") else {
            return Err(ApiError::invalid(
                format!("document.layers[{li}].rotations"),
                "a layer needs rotations",
            ));
        };
        if let Some(toml::Value::Table(first)) = new_rots.first_mut() {
            first.insert("effective_from".into(), toml::Value::String(utc(at)));
        }
        let mut all = kept;
        all.append(new_rots);
        *new_rots = all;
    }
    toml::to_string(&doc).map_err(ApiError::internal)
}

/// Builds the rota as it would be stored, or says what is wrong with it.
pub async fn validate(st: &AppState, team: &TeamRow, row: &RotaRow) -> Result<Rota, ApiError> {
    engine::build_stored(&st.store, team, row, &[])
        .await?
        .map_err(|errs| {
            let first = errs
                .0
                .first()
                .map(|e| (format!("document.{}", e.field), e.message.clone()))
                .unwrap_or_default();
            let mut e = ApiError::invalid(first.0, first.1);
            e.details = Some(json!(
                errs.0
                    .iter()
                    .map(|e| json!({ "field": e.field, "message": e.message }))
                    .collect::<Vec<_>>()
            ));
            e
        })
}

/// Runs the checks over the coming `CHECK_DAYS`. A hard violation that this
/// write introduces (one the rota `before` it did not have) refuses the write
/// unless `accepted` (a lead of the team asked to store it anyway); an
/// earlier, accepted one does not block others' writes. Returns every
/// violation found, as warnings.
pub fn enforce_checks(
    rota: &Rota,
    before: Option<&Rota>,
    now: Instant,
    accepted: bool,
) -> Result<Vec<Violation>, ApiError> {
    let window = (now, now + Duration::days(CHECK_DAYS));
    let found = checks::check(rota, window.0, window.1);
    let old = before
        .map(|b| checks::check(b, window.0, window.1))
        .unwrap_or_default();
    let new_hard: Vec<&Violation> = found
        .iter()
        .filter(|v| rota.checks.hard.contains(&v.rule) && !old.contains(v))
        .collect();
    if !new_hard.is_empty() && !accepted {
        let mut e = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "rule_violation",
            format!(
                "{} hard rule violation(s): {}",
                new_hard.len(),
                new_hard[0].message
            ),
        );
        e.details = Some(violations_json(&found));
        return Err(e);
    }
    Ok(found)
}

/// The violations as JSON: the first 200 (a response stays small however
/// broken a rota is; the count is in the message).
pub fn violations_json(v: &[Violation]) -> Value {
    json!(v
        .iter()
        .take(200)
        .map(|v| json!({ "rule": v.rule.as_str(), "layer": v.layer, "person": v.person,
                          "start": utc(v.interval.start), "end": utc(v.interval.end), "message": v.message }))
        .collect::<Vec<_>>())
}
