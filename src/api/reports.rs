//! Reports and metrics over HTTP: `GET /api/v1/reports`, `GET
//! /api/v1/coverage` and Prometheus text at `/metrics`.

use super::auth::Principal;
use super::error::ApiError;
use super::state::AppState;
use super::time::{instant, utc};
use crate::engine::reports::{self, PagesPerPerson, PriorityStats};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Range {
    /// RFC 3339 (default 30 days before `to`).
    #[param(format = DateTime)]
    from: Option<String>,
    /// RFC 3339 (default now).
    #[param(format = DateTime)]
    to: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReportOut {
    from: String,
    to: String,
    /// By priority ("P1"…), only those with alerts in the window.
    by_priority: BTreeMap<&'static str, PriorityStats>,
    /// By person: total, business, off and sleep hours pages.
    #[schema(value_type = BTreeMap<String, BTreeMap<String, usize>>)]
    pages_per_person: PagesPerPerson,
}

#[utoipa::path(get, path = "/api/v1/reports", tag = "alerts", params(Range), responses((status = 200, description = "MTTA, MTTR, SLA attainment and breach rate per priority; pages per person", body = ReportOut), (status = 400, description = "a bad time or window", body = super::ErrorBody), (status = 401, description = "no valid token", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn report(
    State(st): State<AppState>,
    _p: Principal,
    Query(q): Query<Range>,
) -> Result<Json<ReportOut>, ApiError> {
    let now = st.now();
    let from = q.from.as_deref().map(|v| instant("from", v)).transpose()?;
    let to =
        q.to.as_deref()
            .map(|v| instant("to", v))
            .transpose()?
            .unwrap_or(now);
    let from = from.unwrap_or(to - chrono::Duration::days(30));
    if to <= from {
        return Err(ApiError::bad_request("to must be after from").field("to"));
    }
    let r = reports::report(&st.store, from, to, None, None).await?;
    Ok(Json(ReportOut {
        from: utc(from),
        to: utc(to),
        by_priority: r.by_priority,
        pages_per_person: r.pages_per_person,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CoverageQuery {
    /// How far ahead to look, 1–90 days (default 14).
    #[param(minimum = 1, maximum = 90)]
    days: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Gap {
    start: String,
    end: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UncoveredOut {
    service: String,
    team: String,
    /// Why, when the ladder itself names something missing.
    problem: Option<String>,
    gaps: Vec<Gap>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CoverageOut {
    from: String,
    to: String,
    services: Vec<UncoveredOut>,
}

/// Services whose ladder resolves to nobody at some instant of the coming
/// days, with the instants (rota gaps and restrictions included).
#[utoipa::path(get, path = "/api/v1/coverage", tag = "alerts", params(CoverageQuery), responses((status = 200, description = "services that would page nobody, with when", body = CoverageOut), (status = 400, description = "days out of range", body = super::ErrorBody), (status = 401, description = "no valid token", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn coverage(
    State(st): State<AppState>,
    _p: Principal,
    Query(q): Query<CoverageQuery>,
) -> Result<Json<CoverageOut>, ApiError> {
    let days = q.days.unwrap_or(14);
    if !(1..=90).contains(&days) {
        return Err(ApiError::bad_request("days is 1 to 90").field("days"));
    }
    let now = st.now();
    let window = crate::rota::Interval::new(now, now + chrono::Duration::days(days));
    let found = crate::engine::ladders::coverage(&st.store, &st.cache, window).await?;
    let gap = |g: &crate::rota::Interval| Gap {
        start: utc(g.start),
        end: utc(g.end),
    };
    Ok(Json(CoverageOut {
        from: utc(window.start),
        to: utc(window.end),
        services: found
            .into_iter()
            .map(|u| UncoveredOut {
                gaps: u.gaps.iter().map(gap).collect(),
                service: u.service,
                team: u.team,
                problem: u.problem,
            })
            .collect(),
    }))
}

/// `GET /metrics`: Prometheus text exposition; this instance's counters,
/// then the database's totals, the same on every instance.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus text exposition format 0.0.4", body = String, content_type = "text/plain"), (status = 503, description = "the database does not answer", body = super::ErrorBody)))]
pub async fn metrics(State(st): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let mut out = st.metrics.render();
    out.push_str(&reports::metrics_text(&st.store, st.now().timestamp_millis()).await?);
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out))
}
