//! Overrides over HTTP. A lead (or admin) may add any override to their
//! team's rotas; a responder may put themselves on call (`person` = self).
//! The rota with the new override must still validate (no contradicting
//! overlaps) and pass its hard rules.

use super::auth::{Principal, new_id};
use super::calendar::loaded;
use super::error::{ApiError, ApiJson};
use super::rotas::{enforce_checks, violations_json};
use super::state::AppState;
use super::time::instant_in;
use crate::store::OverrideRow;
use crate::store::Reads as _;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideBody {
    layer: String,
    #[serde(default = "replace")]
    kind: String,
    start: String,
    end: String,
    person: Option<String>,
    replaces: Option<String>,
    note: Option<String>,
    #[serde(default)]
    accept_violations: bool,
}

fn replace() -> String {
    "replace".into()
}

fn json_of(o: &OverrideRow) -> Value {
    use crate::engine::documents::rfc3339;
    json!({ "id": o.id, "layer": o.layer, "kind": o.kind, "start": rfc3339(o.start), "end": rfc3339(o.end),
            "person": o.person, "replaces": o.replaces, "note": o.note, "created_by": o.created_by })
}

#[utoipa::path(get, path = "/api/v1/teams/{team}/rotas/{rota}/overrides", tag = "overrides", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name")), responses((status = 200, description = "overrides", body = serde_json::Value), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn list(
    State(st): State<AppState>,
    _p: Principal,
    Path((team, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    st.store
        .load_rota(&team, &name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("rota {team}/{name}")))?;
    let rows = st.store.load_overrides(&team, &name).await?;
    Ok(Json(
        json!({ "overrides": rows.iter().map(json_of).collect::<Vec<_>>() }),
    ))
}

/// Whether `person` takes part in a rota of `team` (any layer, any version).
async fn member_of(st: &AppState, team: &str, person: &str) -> Result<bool, ApiError> {
    for r in st.store.load_rotas(Some(team)).await? {
        let l = loaded(st, team, &r.name).await?;
        if let Some(i) = l.rota.person(person)
            && l.rota.layers.iter().any(|y| {
                y.rotations
                    .iter()
                    .any(|v| v.cadence.participants().contains(&i))
            })
        {
            return Ok(true);
        }
    }
    Ok(false)
}

#[utoipa::path(post, path = "/api/v1/teams/{team}/rotas/{rota}/overrides", tag = "overrides", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name")), request_body = OverrideBody, responses((status = 201, description = "created", body = serde_json::Value), (status = 422, description = "invalid or a hard rule broken", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn create(
    State(st): State<AppState>,
    p: Principal,
    Path((team, name)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
    ApiJson(b): ApiJson<OverrideBody>,
) -> Result<Response, ApiError> {
    if !["replace", "add", "remove"].contains(&b.kind.as_str()) {
        return Err(ApiError::invalid(
            "kind",
            format!("\"{}\" is not one of replace, add, remove", b.kind),
        ));
    }
    // With If-Match the client asked for that version: any other is its 409.
    let expected = super::rotas::if_match(&headers)?;
    let team_row = st
        .store
        .load_team(&team)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("team {team}")))?;
    // A responder may put themselves on call, in a rota of a team they take
    // part in (not another team's).
    let self_service = b.kind != "remove"
        && match b.person.as_deref() {
            Some(who) if p.is(who) => member_of(&st, &team, who).await?,
            _ => false,
        };
    if !(p.leads(&team) || self_service) {
        return Err(ApiError::forbidden(format!(
            "only a lead of team {team}, or a member of it taking the shift, may add an override"
        )));
    }
    // Check and write in one transaction that holds the rota's row, so two
    // overrides are never both checked against the same old version.
    let tx = st.store.tx().await?;
    let version = tx
        .lock_rota_version(&team, &name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("rota {team}/{name}")))?;
    if let Some(v) = expected
        && v != version
    {
        return Err(ApiError::conflict(format!(
            "the rota changed since version {v}; it is now at version {version}: reload it"
        )));
    }
    let before = st
        .cache
        .load(&tx, &team, &name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("rota {team}/{name}")))?;
    let zone = &before.rota.zone;
    let (start, end) = (
        instant_in("start", &b.start, zone)?,
        instant_in("end", &b.end, zone)?,
    );
    if end <= start {
        return Err(ApiError::invalid("end", "end must be after start"));
    }
    let max = crate::rota::file::limits::MAX_OVERRIDES;
    if tx.load_overrides(&team, &name).await?.len() >= max {
        return Err(ApiError::invalid(
            "overrides",
            format!("a rota holds at most {max} overrides; delete old ones first"),
        ));
    }
    let row = OverrideRow {
        id: new_id("ovr_"),
        team: team.clone(),
        rota: name.clone(),
        layer: b.layer,
        kind: b.kind,
        start: start.timestamp(),
        end: end.timestamp(),
        person: b.person,
        replaces: b.replaces,
        note: b.note,
        created_by: p.actor(),
        source: "override".into(),
    };
    // Validate the rota as it would be with this override.
    let rota = crate::engine::build_stored(&tx, &team_row, &before.row, std::slice::from_ref(&row))
        .await?
        .map_err(|errs| {
            let e = errs
                .0
                .last()
                .map(|e| (e.field.clone(), e.message.clone()))
                .unwrap_or_default();
            let field = if e.0.starts_with("overrides") {
                e.0.split('.').nth(1).unwrap_or("override").to_string()
            } else {
                e.0
            };
            ApiError::invalid(field, e.1)
        })?;
    let warnings = enforce_checks(
        &rota,
        Some(&before.rota),
        st.now(),
        b.accept_violations && p.leads(&team),
    )?;
    let now = st.now_secs();
    tx.insert_override(&row, now).await?;
    let version = tx.touch_rota(&team, &name, version, now).await?;
    tx.audit(
        now,
        &p.actor(),
        "override.create",
        &format!("{team}/{name}/{}", row.id),
        json_of(&row),
    )
    .await?;
    tx.commit().await?;
    let mut out = json_of(&row);
    out["warnings"] = violations_json(&warnings);
    Ok((
        StatusCode::CREATED,
        [(axum::http::header::ETAG, format!("\"{version}\""))],
        Json(out),
    )
        .into_response())
}

#[utoipa::path(delete, path = "/api/v1/teams/{team}/rotas/{rota}/overrides/{id}", tag = "overrides", params(("team" = String, Path, description = "team slug"), ("rota" = String, Path, description = "rota name"), ("id" = String, Path)), responses((status = 204, description = "deleted"), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn delete(
    State(st): State<AppState>,
    p: Principal,
    Path((team, name, id)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let o = st
        .store
        .load_override(&id)
        .await?
        .filter(|o| o.team == team && o.rota == name)
        .ok_or_else(|| ApiError::not_found(format!("override {id}")))?;
    if !(p.leads(&team) || o.created_by == p.actor()) {
        return Err(ApiError::forbidden(
            "only a lead of the team, or whoever made the override, may delete it",
        ));
    }
    let version = loaded(&st, &team, &name).await?.row.version;
    let now = st.now_secs();
    let tx = st.store.tx().await?;
    tx.delete_override(&id).await?;
    tx.touch_rota(&team, &name, version, now).await?;
    tx.audit(
        now,
        &p.actor(),
        "override.delete",
        &format!("{team}/{name}/{id}"),
        json_of(&o),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
