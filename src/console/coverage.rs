//! Coverage: every service whose pages would reach nobody at some time in
//! the coming days (1–90, 14 by default), with the gaps or the ladder
//! problem, so a lead fixes it before it is a missed page.

use super::now::{chrome, viewer_zone};
use super::session::Viewer;
use super::view::{Chrome, When};
use super::{PageError, render};
use crate::api::state::AppState;
use crate::engine::ladders;
use crate::rota::Interval;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;

pub struct Line {
    pub service: String,
    pub team: String,
    pub problem: String,
    pub gaps: Vec<(When, When)>,
}

#[derive(Template)]
#[template(path = "coverage.html")]
pub struct CoveragePage {
    pub c: Chrome,
    pub days: i64,
    pub lines: Vec<Line>,
}

#[derive(serde::Deserialize, Default)]
pub struct Days {
    days: Option<i64>,
}

pub async fn page(
    State(st): State<AppState>,
    v: Viewer,
    Query(q): Query<Days>,
) -> Result<Response, PageError> {
    let days = q.days.unwrap_or(14);
    if !(1..=90).contains(&days) {
        return Err(PageError::new(StatusCode::BAD_REQUEST, "days: 1 to 90"));
    }
    let now = st.now();
    let window = Interval::new(now, now + chrono::Duration::days(days));
    let zone = viewer_zone(&st, &v).await;
    let z = zone.as_ref();
    let lines = ladders::coverage(&st.store, &st.cache, window)
        .await
        .map_err(crate::engine::error::Error::from)?
        .into_iter()
        .map(|u| Line {
            service: u.service,
            team: u.team,
            problem: u.problem.unwrap_or_default(),
            gaps: u
                .gaps
                .iter()
                .map(|g| {
                    (
                        When::at(g.start.timestamp_millis(), z),
                        When::at(g.end.timestamp_millis(), z),
                    )
                })
                .collect(),
        })
        .collect();
    render(&CoveragePage {
        c: chrome(&st, &v, "Coverage", "now", z),
        days,
        lines,
    })
}
