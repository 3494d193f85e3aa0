//! A rota's fairness over a window: per person the shifts and the on-call,
//! night, weekend and holiday hours (nights in each person's zone), the
//! spread between the most and the least loaded, as a table and a chart.

use super::chart::{self, Series};
use super::now::{chrome, viewer_zone};
use super::session::Viewer;
use super::view::Chrome;
use super::{PageError, render};
use crate::api::state::AppState;
use crate::engine::calendar;
use crate::rota::{civil, fairness};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Duration, NaiveDate};

/// The longest window, in days.
const MAX_DAYS: i64 = 400;

#[derive(serde::Deserialize)]
pub struct Window {
    from: Option<String>,
    to: Option<String>,
}

pub struct Line {
    pub person: String,
    pub shifts: usize,
    /// Hours, one decimal: total, night, weekend, holiday.
    pub hours: [String; 4],
}

#[derive(Template)]
#[template(path = "fairness.html")]
pub struct FairnessPage {
    pub c: Chrome,
    pub team: String,
    pub rota: String,
    pub from: String,
    pub to: String,
    pub lines: Vec<Line>,
    /// Most minus least, per column.
    pub spread: [String; 4],
    pub svg: String,
}

pub async fn page(
    State(st): State<AppState>,
    v: Viewer,
    Path((team, rota)): Path<(String, String)>,
    Query(q): Query<Window>,
) -> Result<Response, PageError> {
    let l = calendar::rota_at(&st.store, &st.cache, v.principal.generation, &team, &rota).await?;
    let zone = l.rota.zone.clone();
    let today = civil::local(&zone, st.now()).date();
    let date = |v: &Option<String>, field: &str, default: NaiveDate| match v.as_deref() {
        None | Some("") => Ok(default),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
            PageError::new(
                StatusCode::BAD_REQUEST,
                format!("{field}: a date, YYYY-MM-DD"),
            )
        }),
    };
    let to = date(&q.to, "to", today + Duration::days(90))?;
    let from = date(&q.from, "from", today)?;
    if from >= to || (to - from).num_days() > MAX_DAYS {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            format!("from: before to, and at most {MAX_DAYS} days before it"),
        ));
    }
    let rows = fairness::fairness_between(
        &l.rota,
        civil::start_of_day(&zone, from),
        civil::start_of_day(&zone, to),
    );
    let cols = |r: &fairness::FairnessRow| {
        [
            r.total_hours,
            r.night_hours,
            r.weekend_hours,
            r.holiday_hours,
        ]
    };
    let spread = std::array::from_fn(|i| {
        let vals: Vec<f64> = rows.iter().map(|r| cols(r)[i]).collect();
        let (max, min) = (
            vals.iter().cloned().fold(f64::MIN, f64::max),
            vals.iter().cloned().fold(f64::MAX, f64::min),
        );
        if vals.is_empty() {
            "—".to_string()
        } else {
            format!("{:.1}", max - min)
        }
    });
    let names: Vec<String> = rows.iter().map(|r| r.person.clone()).collect();
    let series = [Series {
        name: "on-call hours".into(),
        class: "s-volume".into(),
        values: rows.iter().map(|r| Some(r.total_hours)).collect(),
    }];
    let mine = viewer_zone(&st, &v).await;
    render(&FairnessPage {
        c: chrome(
            &st,
            &v,
            &format!("{team}/{rota} fairness"),
            "now",
            mine.as_ref(),
        ),
        team,
        rota,
        from: from.to_string(),
        to: to.to_string(),
        lines: rows
            .iter()
            .map(|r| Line {
                person: r.person.clone(),
                shifts: r.shifts,
                hours: cols(r).map(|h| format!("{h:.1}")),
            })
            .collect(),
        spread,
        svg: chart::bars("On-call hours per person", &names, &series, " h"),
    })
}
