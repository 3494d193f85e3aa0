//! A rota's calendar: week, two-week and month views, one row per layer
//! and the "paged" row per role, in the viewer's zone (the rota's when the
//! viewer has none) with the rota's zone named; overrides, swaps,
//! restricted-off time, gaps and fatigue flags marked; "now" drawn; back
//! and forward up to a year from today.

use super::now::{chrome, viewer_zone};
use super::session::Viewer;
use super::view::Chrome;
use super::{PageError, render};
use crate::api::state::AppState;
use crate::engine::{calendar, grid};
use crate::rota::civil;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, Duration, Months, NaiveDate};

/// How far from today the calendar goes, either way.
const REACH_DAYS: i64 = 366;

#[derive(serde::Deserialize)]
pub struct CalendarQuery {
    view: Option<String>,
    start: Option<String>,
}

pub struct Nav {
    pub label: String,
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "calendar.html")]
pub struct CalendarPage {
    pub c: Chrome,
    pub team: String,
    pub rota: String,
    pub heading: String,
    pub view: &'static str,
    pub zone: String,
    pub rota_zone: String,
    pub weeks: Vec<grid::Week>,
    /// Where the day lines go, in percent.
    pub lines: Vec<f64>,
    pub prev: Option<Nav>,
    pub next: Option<Nav>,
    pub today: String,
    pub views: Vec<Nav>,
}

fn monday(d: NaiveDate) -> NaiveDate {
    d - Duration::days(d.weekday().num_days_from_monday() as i64)
}

pub async fn calendar(
    State(st): State<AppState>,
    v: Viewer,
    Path((team, rota)): Path<(String, String)>,
    Query(q): Query<CalendarQuery>,
) -> Result<Response, PageError> {
    let now = st.now();
    let l = calendar::rota_at(&st.store, &st.cache, v.principal.generation, &team, &rota).await?;
    let mine = viewer_zone(&st, &v).await;
    let zone = mine.clone().unwrap_or_else(|| l.rota.zone.clone());
    let today = civil::local(&zone, now).date();
    let view: &'static str = match q.view.as_deref().unwrap_or("2week") {
        "week" => "week",
        "2week" => "2week",
        "month" => "month",
        _ => {
            return Err(PageError::new(
                StatusCode::BAD_REQUEST,
                "view: week, 2week or month",
            ));
        }
    };
    let anchor = match q.start.as_deref() {
        None | Some("") => today,
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| PageError::new(StatusCode::BAD_REQUEST, "start: a date, YYYY-MM-DD"))?,
    };
    let within = |d: NaiveDate| (d - today).num_days().abs() <= REACH_DAYS;
    if !within(anchor) {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            "start: within a year of today",
        ));
    }
    let (first, weeks, heading, back, forward) = match view {
        "month" => {
            let m1 = anchor.with_day(1).unwrap_or(anchor);
            let next = m1 + Months::new(1);
            let first = monday(m1);
            let weeks = ((monday(next - Duration::days(1)) - first).num_days() / 7 + 1) as usize;
            let prev = m1 - Months::new(1);
            (first, weeks, m1.format("%B %Y").to_string(), prev, next)
        }
        _ => {
            let n = if view == "week" { 1 } else { 2 };
            let first = monday(anchor);
            let step = Duration::days(7 * n as i64);
            let heading = format!(
                "{} – {}",
                first.format("%a %-d %b %Y"),
                (first + step - Duration::days(1)).format("%a %-d %b %Y")
            );
            (first, n, heading, first - step, first + step)
        }
    };
    let base = format!("/rotas/{team}/{rota}");
    let link = |d: NaiveDate, label: &str| {
        within(d).then(|| Nav {
            label: label.to_string(),
            href: format!("{base}?view={view}&start={d}"),
            current: false,
        })
    };
    let views = [("week", "Week"), ("2week", "2 weeks"), ("month", "Month")]
        .iter()
        .map(|(k, label)| Nav {
            label: label.to_string(),
            href: format!("{base}?view={k}&start={anchor}"),
            current: *k == view,
        })
        .collect();
    render(&CalendarPage {
        c: chrome(&st, &v, &format!("{team}/{rota}"), "now", mine.as_ref()),
        team: team.clone(),
        rota: rota.clone(),
        heading,
        view,
        zone: zone.name().to_string(),
        rota_zone: l.rota.zone.name().to_string(),
        weeks: grid::layout(&l.rota, &zone, first, weeks, now),
        lines: (1..7).map(|i| i as f64 * 100.0 / 7.0).collect(),
        prev: link(back, "← Earlier"),
        next: link(forward, "Later →"),
        today: format!("{base}?view={view}"),
        views,
    })
}
