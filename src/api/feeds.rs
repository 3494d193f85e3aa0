//! Calendar feeds: `GET /ics/{token}` for a person (all their shifts across
//! teams) or a rota (every layer, or one), 30 days back to a year ahead.
//! Tokens are 256-bit secrets, shown once, stored hashed, revocable and
//! rotatable; a revoked or unknown token gets 404. Responses carry an ETag
//! (a hash of the body) and Last-Modified, so polling clients get 304.

use super::auth::{Principal, hash, new_id, new_secret};
use super::calendar::{loaded, loaded_at, person_shifts_between};
use super::error::{ApiError, ApiJson};
use super::state::{AppState, FeedEntry};
use crate::rota::{Shift, shifts};
use crate::store::FeedRow;
use crate::store::Reads as _;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::Arc;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedBody {
    person: Option<String>,
    team: Option<String>,
    rota: Option<String>,
    layer: Option<String>,
}

fn feed_url(st: &AppState, secret: &str) -> String {
    format!("{}/ics/{secret}", st.public_url.trim_end_matches('/'))
}

#[utoipa::path(post, path = "/api/v1/feeds", tag = "feeds", request_body = FeedBody, responses((status = 201, description = "the feed URL shown once", body = serde_json::Value), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn create(
    State(st): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<FeedBody>,
) -> Result<Response, ApiError> {
    match (&b.person, &b.team, &b.rota) {
        (Some(person), None, None) => {
            st.store
                .load_person(person)
                .await?
                .ok_or_else(|| ApiError::not_found(format!("person {person}")))?;
            let leads_any = st
                .store
                .load_teams()
                .await?
                .iter()
                .any(|t| p.leads(&t.slug));
            if !(p.is_admin() || p.is(person) || leads_any) {
                return Err(ApiError::forbidden(
                    "a person's feed may be made by the person, a lead or an admin",
                ));
            }
        }
        (None, Some(team), Some(rota)) => {
            let l = loaded(&st, team, rota).await?;
            if let Some(layer) = &b.layer
                && l.rota.layer(layer).is_none()
            {
                return Err(ApiError::invalid(
                    "layer",
                    format!("rota {team}/{rota} has no layer {layer}"),
                ));
            }
        }
        _ => {
            return Err(ApiError::invalid(
                "person",
                "give either person, or team and rota (and optionally layer)",
            ));
        }
    }
    let (secret, h) = new_secret("vf_");
    let row = FeedRow {
        id: new_id("feed_"),
        hash: h,
        person: b.person,
        team: b.team,
        rota: b.rota,
        layer: b.layer,
        created_by: p.actor(),
    };
    let now = st.now_secs();
    let tx = st.store.tx().await?;
    tx.insert_feed_token(&row, now).await?;
    tx.audit(
        now,
        &p.actor(),
        "feed.create",
        &row.id,
        json!({ "person": row.person, "team": row.team, "rota": row.rota, "layer": row.layer }),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": row.id, "url": feed_url(&st, &secret) })),
    )
        .into_response())
}

/// The feed `id`, if `p` may manage it: whoever made it, its person, a lead
/// of its team, or an admin.
async fn managed(st: &AppState, p: &Principal, id: &str, verb: &str) -> Result<FeedRow, ApiError> {
    let f = st
        .store
        .load_feed_token(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("feed {id}")))?;
    let may = p.is_admin()
        || f.created_by == p.actor()
        || f.person.as_deref().is_some_and(|who| p.is(who))
        || f.team.as_deref().is_some_and(|t| p.leads(t));
    if !may {
        return Err(ApiError::forbidden(format!(
            "only whoever made the feed, its person, a lead of its team or an admin may {verb} it"
        )));
    }
    Ok(f)
}

#[utoipa::path(delete, path = "/api/v1/feeds/{id}", tag = "feeds", params(("id" = String, Path)), responses((status = 204, description = "revoked"), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn revoke(
    State(st): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    managed(&st, &p, &id, "revoke").await?;
    let now = st.now_secs();
    let tx = st.store.tx().await?;
    tx.revoke_feed_token(&id, now).await?;
    tx.audit(now, &p.actor(), "feed.revoke", &id, json!({}))
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new secret for the same feed; the old URL stops working at once.
#[utoipa::path(post, path = "/api/v1/feeds/{id}/rotate", tag = "feeds", params(("id" = String, Path)), responses((status = 201, description = "the new feed URL; the old one stops working", body = serde_json::Value), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn rotate(
    State(st): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let f = managed(&st, &p, &id, "rotate").await?;
    let (secret, h) = new_secret("vf_");
    let row = FeedRow {
        id: new_id("feed_"),
        hash: h,
        created_by: p.actor(),
        ..f
    };
    let now = st.now_secs();
    let tx = st.store.tx().await?;
    tx.revoke_feed_token(&id, now).await?;
    tx.insert_feed_token(&row, now).await?;
    tx.audit(
        now,
        &p.actor(),
        "feed.rotate",
        &id,
        json!({ "new_id": row.id }),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": row.id, "url": feed_url(&st, &secret) })),
    )
        .into_response())
}

#[utoipa::path(get, path = "/ics/{token}", tag = "feeds", params(("token" = String, Path, description = "the feed secret"), ("busy" = Option<String>, Query, description = "1: show on-call time as busy"), ("If-None-Match" = Option<String>, Header)), responses((status = 200, description = "text/calendar"), (status = 304, description = "unchanged"), (status = 404, description = "unknown or revoked", body = super::ErrorBody)))]
pub async fn ics(
    State(st): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<FeedQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    // On-call time is not busy time unless the subscriber asks (`?busy=1`).
    let busy = matches!(q.busy.as_deref(), Some("1" | "true" | "yes"));
    let feed = st
        .store
        .find_feed_token(&hash(&token))
        .await?
        .ok_or_else(|| ApiError::not_found("feed"))?;
    let generation = st.store.generation().await?;
    // The window moves by the hour, so a feed renders at most once an hour,
    // or again as soon as anything changes (the change counter).
    let hour = st.now().timestamp().div_euclid(3600);
    let cached = {
        let feeds = st.feeds.lock().unwrap_or_else(|e| e.into_inner());
        feeds
            .get(&cache_key(&feed.id, busy))
            .filter(|e| e.generation == generation && e.hour == hour)
            .cloned()
    };
    let entry = match cached {
        Some(e) => e,
        None => {
            let e = render(&st, &feed, generation, hour, busy).await?;
            let mut feeds = st.feeds.lock().unwrap_or_else(|e| e.into_inner());
            feeds.retain(|_, old| old.generation == generation && old.hour == hour);
            feeds.insert(cache_key(&feed.id, busy), e.clone());
            e
        }
    };
    let matches = not_modified(&headers, &entry.etag, entry.modified);
    let mut h = HeaderMap::new();
    h.insert(
        header::ETAG,
        HeaderValue::from_str(&entry.etag).map_err(ApiError::internal)?,
    );
    h.insert(
        header::LAST_MODIFIED,
        HeaderValue::from_str(&entry.last_modified).map_err(ApiError::internal)?,
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=300"),
    );
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, h).into_response());
    }
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    Ok((StatusCode::OK, h, entry.body.as_str().to_string()).into_response())
}

/// Renders a feed for the window around `hour`: 30 days back, a year ahead.
async fn render(
    st: &AppState,
    feed: &FeedRow,
    generation: i64,
    hour: i64,
    busy: bool,
) -> Result<FeedEntry, ApiError> {
    let now = DateTime::<Utc>::from_timestamp(hour * 3600, 0).unwrap_or_default();
    let (from, to) = (now - Duration::days(30), now + Duration::days(366));
    type Events = Vec<(std::sync::Arc<crate::engine::Loaded>, Shift)>;
    let (events, modified, name): (Events, i64, String) =
        match (&feed.person, &feed.team, &feed.rota) {
            (Some(person), _, _) => {
                let ev = person_shifts_between(st, generation, person, from, to).await?;
                let m = ev.iter().map(|(l, _)| l.row.updated_at).max().unwrap_or(0);
                (ev, m, format!("{person} on call"))
            }
            (None, Some(team), Some(rota)) => {
                let l = loaded_at(st, generation, team, rota)
                    .await
                    .map_err(|_| ApiError::not_found("feed"))?;
                let layer = feed.layer.as_ref().and_then(|n| l.rota.layer(n));
                let ev = shifts::shifts_between(&l.rota, from, to)
                    .into_iter()
                    .filter(|s| layer.is_none_or(|i| s.layer == i))
                    .map(|s| (l.clone(), s))
                    .collect();
                let label = match &feed.layer {
                    Some(layer) => format!("{team}/{rota} {layer} on call"),
                    None => format!("{team}/{rota} on call"),
                };
                (ev, l.row.updated_at, label)
            }
            _ => return Err(ApiError::not_found("feed")),
        };
    let stamp = DateTime::<Utc>::from_timestamp(modified, 0).unwrap_or_default();
    let body = {
        let mut cache = st.events.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() > 200_000 {
            cache.clear();
        }
        let texts: Vec<Arc<str>> = events
            .iter()
            .map(|(l, s)| {
                let key = (
                    l.build,
                    s.layer,
                    s.person,
                    s.start.timestamp(),
                    s.end.timestamp(),
                    s.source.as_str(),
                    busy,
                );
                cache
                    .entry(key)
                    .or_insert_with(|| {
                        // Each event is stamped with its own rota's last change.
                        let at = DateTime::<Utc>::from_timestamp(l.row.updated_at, 0)
                            .unwrap_or_default();
                        Arc::from(crate::ics::event(&l.rota, s, at, busy))
                    })
                    .clone()
            })
            .collect();
        crate::ics::calendar(&name, texts.iter().map(|t| &**t))
    };
    let digest: String = Sha256::digest(body.as_bytes())
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(FeedEntry {
        generation,
        hour,
        etag: format!("\"{digest}\""),
        last_modified: stamp.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        modified,
        body: std::sync::Arc::new(body),
    })
}

/// RFC 9110 §13.1: If-None-Match, when present, decides by weak
/// comparison (`W/"x"` matches `"x"`; `*` matches any); otherwise
/// If-Modified-Since at or after Last-Modified means unchanged.
fn not_modified(headers: &HeaderMap, etag: &str, modified: i64) -> bool {
    let weak = |t: &str| t.trim().trim_start_matches("W/").to_string();
    if let Some(v) = headers.get(header::IF_NONE_MATCH) {
        let v = v.to_str().unwrap_or("");
        return v
            .split(',')
            .any(|t| t.trim() == "*" || weak(t) == weak(etag));
    }
    headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| DateTime::parse_from_rfc2822(v.trim()).ok())
        .is_some_and(|since| since.timestamp() >= modified)
}

#[derive(Deserialize, Default)]
pub struct FeedQuery {
    /// `1`: show on-call time as busy.
    busy: Option<String>,
}

fn cache_key(id: &str, busy: bool) -> String {
    if busy {
        format!("{id}#busy")
    } else {
        id.to_string()
    }
}
