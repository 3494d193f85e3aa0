//! Calendar feeds: `GET /ics/{token}` for a person (all their shifts across
//! teams) or a rota (every layer, or one), 30 days back to a year ahead.
//! Tokens are 256-bit secrets, shown once, stored hashed, revocable and
//! rotatable; a revoked or unknown token gets 404. Responses carry an ETag
//! (a hash of the body) and Last-Modified, so polling clients get 304.

use super::auth::{Principal, Role};
use super::error::{ApiError, ApiJson};
use super::state::AppState;
use crate::engine::feeds::{self, Target};
use crate::store::FeedRow;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::DateTime;
use serde::{Deserialize, Serialize};

/// What a feed shows: one person's shifts, or a rota's (one layer's).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum FeedTarget {
    Person(PersonFeed),
    Rota(RotaFeed),
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonFeed {
    #[schema(pattern = "^[a-z0-9_.-]{1,64}$")]
    person: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotaFeed {
    #[schema(pattern = "^[a-z0-9_.-]{1,64}$")]
    team: String,
    #[schema(pattern = "^[a-z0-9_.-]{1,64}$")]
    rota: String,
    /// Only this layer's shifts.
    #[schema(pattern = "^[a-z0-9_.-]{1,64}$")]
    layer: Option<String>,
}

fn feed_url(st: &AppState, secret: &str) -> String {
    format!("{}/ics/{secret}", st.public_url.trim_end_matches('/'))
}

/// A feed's URL, shown once.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NewFeed {
    id: String,
    url: String,
}

#[utoipa::path(post, path = "/api/v1/feeds", tag = "feeds", request_body = FeedTarget, responses((status = 201, description = "the feed URL shown once", body = NewFeed), (status = 400, description = "malformed", body = super::ErrorBody), (status = 404, description = "no such person or rota", body = super::ErrorBody), (status = 422, description = "invalid", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn create(
    State(st): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<serde_json::Value>,
) -> Result<Response, ApiError> {
    let b: FeedTarget = serde_json::from_value(b).map_err(|_| {
        ApiError::invalid(
            "person",
            "give either person, or team and rota (and optionally layer)",
        )
    })?;
    let target = match b {
        FeedTarget::Person(PersonFeed { person }) => {
            let leads_any = matches!(&p.role, Role::Lead(t) if !t.is_empty());
            if !(p.is_admin() || p.is(&person) || leads_any) {
                return Err(ApiError::forbidden(
                    "a person's feed may be made by the person, a lead or an admin",
                ));
            }
            Target::Person(person)
        }
        FeedTarget::Rota(RotaFeed { team, rota, layer }) => Target::Rota { team, rota, layer },
    };
    let (row, secret) = feeds::create(&st.store, &st.cache, target, &p.actor(), st.now()).await?;
    let body = NewFeed {
        url: feed_url(&st, &secret),
        id: row.id,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// The feed `id`, if `p` may manage it: whoever made it, its person, a lead
/// of its team, or an admin.
async fn managed(st: &AppState, p: &Principal, id: &str, verb: &str) -> Result<FeedRow, ApiError> {
    let f = feeds::find(&st.store, id).await?;
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

#[utoipa::path(delete, path = "/api/v1/feeds/{id}", tag = "feeds", params(("id" = String, Path)), responses((status = 204, description = "revoked"), (status = 404, description = "no such feed", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn revoke(
    State(st): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    managed(&st, &p, &id, "revoke").await?;
    feeds::revoke(&st.store, &id, &p.actor(), st.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new secret for the same feed; the old URL stops working at once.
#[utoipa::path(post, path = "/api/v1/feeds/{id}/rotate", tag = "feeds", params(("id" = String, Path)), responses((status = 201, description = "the new feed URL; the old one stops working", body = NewFeed), (status = 404, description = "no such feed", body = super::ErrorBody), (status = 401, description = "no or bad token", body = super::ErrorBody), (status = 403, description = "not allowed", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn rotate(
    State(st): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let f = managed(&st, &p, &id, "rotate").await?;
    let (row, secret) = feeds::rotate(&st.store, f, &p.actor(), st.now()).await?;
    let body = NewFeed {
        url: feed_url(&st, &secret),
        id: row.id,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
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
    let entry = st
        .feeds
        .render(&st.store, &st.cache, &token, busy, st.now())
        .await?
        .ok_or_else(|| ApiError::not_found("feed"))?;
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
