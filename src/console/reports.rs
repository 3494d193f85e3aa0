//! Reports: MTTA, MTTR, acknowledge-SLA attainment and breach rate per
//! priority (the same figures as `GET /api/v1/reports` for the window), the
//! same week by week as charts against the targets (breach rate at most 2%
//! a week), alert volume per service, and pages per person by business,
//! off and sleep hours; each chart with its numbers beside it and a CSV.

use super::chart::{self, Series};
use super::now::chrome;
use super::session::Viewer;
use super::view::Chrome;
use super::{PageError, render};
use crate::api::state::AppState;
use crate::engine::{directory, reports};
use crate::rota::Instant;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDate};

/// The weekly breach-rate target.
const BREACH_TARGET: f64 = 2.0;
/// The longest window a report covers.
const MAX_DAYS: i64 = 366;
const PRIORITIES: [&str; 4] = ["P1", "P2", "P3", "P4"];

#[derive(serde::Deserialize, Default)]
pub struct Window {
    from: Option<String>,
    to: Option<String>,
    team: Option<String>,
}

/// One priority's row: shown text and the raw value (for tests and CSV).
pub struct Cell {
    pub text: String,
    pub raw: String,
}

pub struct PriorityRow {
    pub priority: String,
    pub cells: Vec<Cell>,
}

pub struct Chart {
    pub id: String,
    pub title: String,
    pub svg: String,
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub csv: String,
}

#[derive(Template)]
#[template(path = "reports.html")]
pub struct ReportsPage {
    pub c: Chrome,
    pub from: String,
    pub to: String,
    pub team: String,
    pub teams: Vec<String>,
    pub priorities: Vec<PriorityRow>,
    pub charts: Vec<Chart>,
}

fn dur(secs: Option<f64>) -> Cell {
    let text = match secs {
        None => "—".to_string(),
        Some(s) if s < 3600.0 => format!("{}m {:02}s", (s / 60.0) as i64, (s % 60.0) as i64),
        Some(s) => format!(
            "{}h {:02}m",
            (s / 3600.0) as i64,
            ((s % 3600.0) / 60.0) as i64
        ),
    };
    Cell {
        text,
        raw: secs.map(|s| s.to_string()).unwrap_or_default(),
    }
}

fn share(v: Option<f64>, of: usize) -> Cell {
    Cell {
        text: v
            .map(|v| format!("{:.1}% of {of}", v * 100.0))
            .unwrap_or_else(|| "—".into()),
        raw: v.map(|v| v.to_string()).unwrap_or_default(),
    }
}

fn count(n: usize) -> Cell {
    Cell {
        text: n.to_string(),
        raw: n.to_string(),
    }
}

/// The window asked for: dates (UTC days, `to` inclusive), 8 weeks to today by default.
fn window(q: &Window, now: Instant) -> Result<(Instant, Instant, NaiveDate, NaiveDate), PageError> {
    let bad = |f: &str| PageError::new(StatusCode::BAD_REQUEST, format!("{f}: a date, YYYY-MM-DD"));
    let date = |v: &Option<String>, f: &str| -> Result<Option<NaiveDate>, PageError> {
        match v.as_deref() {
            None | Some("") => Ok(None),
            Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| bad(f)),
        }
    };
    let to = date(&q.to, "to")?.unwrap_or(now.date_naive());
    let from = date(&q.from, "from")?.unwrap_or(to - Duration::weeks(8) + Duration::days(1));
    if from > to || (to - from).num_days() >= MAX_DAYS {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            format!("from: on or before to, and at most {MAX_DAYS} days before it"),
        ));
    }
    let start = from.and_time(chrono::NaiveTime::MIN).and_utc();
    let end = (to + Duration::days(1))
        .and_time(chrono::NaiveTime::MIN)
        .and_utc();
    Ok((start, end, from, to))
}

async fn build(st: &AppState, v: &Viewer, q: &Window) -> Result<ReportsPage, PageError> {
    let now = st.now();
    let (start, end, from, to) = window(q, now)?;
    let team = q.team.as_deref().filter(|t| !t.is_empty());
    let teams: Vec<String> = directory::teams(&st.store)
        .await?
        .into_iter()
        .map(|t| t.slug)
        .collect();
    if let Some(t) = team
        && !teams.iter().any(|x| x == t)
    {
        return Err(PageError::new(
            StatusCode::NOT_FOUND,
            format!("team: no team {t}"),
        ));
    }
    let people = match team {
        Some(t) => Some(reports::team_people(&st.store, &st.cache, t).await?),
        None => None,
    };
    let (r, t) = reports::overview(&st.store, start, end, team, people.as_deref()).await?;
    let priorities = r
        .by_priority
        .iter()
        .map(|(p, s)| PriorityRow {
            priority: p.to_string(),
            cells: vec![
                count(s.alerts),
                count(s.acknowledged),
                dur(s.mtta_secs),
                dur(s.mttr_secs),
                share(s.ack_sla_attainment, s.ack_sla_counted),
                share(s.breach_rate, s.breach_counted),
            ],
        })
        .collect();
    let labels: Vec<String> = t
        .weeks
        .iter()
        .map(|w| w.start.format("%-d %b").to_string())
        .collect();
    let query = format!(
        "from={from}&to={to}{}",
        team.map(|t| format!("&team={t}")).unwrap_or_default()
    );
    let weekly = |title: &str,
                  id: &str,
                  unit: &str,
                  floor: f64,
                  target,
                  f: &dyn Fn(&reports::PriorityStats) -> Option<f64>| {
        let series: Vec<Series> = PRIORITIES
            .iter()
            .filter(|p| t.weeks.iter().any(|w| w.by_priority.contains_key(*p)))
            .map(|p| Series {
                name: p.to_string(),
                class: format!("s-{p}"),
                values: t
                    .weeks
                    .iter()
                    .map(|w| w.by_priority.get(p).and_then(f))
                    .collect(),
            })
            .collect();
        let mut head = vec!["week".to_string()];
        head.extend(series.iter().map(|s| s.name.clone()));
        let rows = t
            .weeks
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let mut row = vec![w.start.format("%Y-%m-%d").to_string()];
                row.extend(
                    series
                        .iter()
                        .map(|s| s.values[i].map(|v| format!("{v:.2}")).unwrap_or_default()),
                );
                row
            })
            .collect();
        Chart {
            id: id.into(),
            title: title.into(),
            svg: chart::lines(title, &labels, &series, floor, unit, target),
            head,
            rows,
            csv: format!("/reports/{id}.csv?{query}"),
        }
    };
    let pct = |v: Option<f64>| v.map(|v| v * 100.0);
    let mut charts = vec![
        weekly(
            "Acknowledged within target, per week",
            "attainment",
            "%",
            100.0,
            None,
            &|s| pct(s.ack_sla_attainment),
        ),
        weekly(
            "Breach rate per week (target: at most 2%)",
            "breaches",
            "%",
            5.0,
            Some((BREACH_TARGET, "2% target")),
            &|s| pct(s.breach_rate),
        ),
        weekly(
            "Mean time to acknowledge per week",
            "mtta",
            " min",
            1.0,
            None,
            &|s| s.mtta_secs.map(|x| x / 60.0),
        ),
        weekly(
            "Mean time to resolve per week",
            "mttr",
            " h",
            1.0,
            None,
            &|s| s.mttr_secs.map(|x| x / 3600.0),
        ),
    ];
    let services: Vec<(String, usize)> = t.by_service.into_iter().collect();
    let names: Vec<String> = services.iter().map(|(s, _)| s.clone()).collect();
    let volume = Series {
        name: "alerts".into(),
        class: "s-volume".into(),
        values: services.iter().map(|(_, n)| Some(*n as f64)).collect(),
    };
    charts.push(Chart {
        id: "services".into(),
        title: "Alerts per service".into(),
        svg: chart::bars("Alerts per service", &names, &[volume], ""),
        head: vec!["service".into(), "alerts".into()],
        rows: services
            .iter()
            .map(|(s, n)| vec![s.clone(), n.to_string()])
            .collect(),
        csv: format!("/reports/services.csv?{query}"),
    });
    let people: Vec<(String, std::collections::BTreeMap<&'static str, usize>)> =
        r.pages_per_person.into_iter().collect();
    let who: Vec<String> = people.iter().map(|(p, _)| p.clone()).collect();
    let kinds = ["business", "off", "sleep"];
    let parts: Vec<Series> = kinds
        .iter()
        .map(|k| Series {
            name: format!("{k} hours"),
            class: format!("s-{k}"),
            values: people
                .iter()
                .map(|(_, m)| Some(*m.get(k).unwrap_or(&0) as f64))
                .collect(),
        })
        .collect();
    charts.push(Chart {
        id: "pages".into(),
        title: "Pages per person by time of day (their zone)".into(),
        svg: chart::bars("Pages per person", &who, &parts, ""),
        head: ["person", "total", "business", "off", "sleep"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        rows: people
            .iter()
            .map(|(p, m)| {
                let mut row = vec![p.clone()];
                row.extend(
                    ["total", "business", "off", "sleep"]
                        .iter()
                        .map(|k| m.get(k).unwrap_or(&0).to_string()),
                );
                row
            })
            .collect(),
        csv: format!("/reports/pages.csv?{query}"),
    });
    let load: Vec<(String, f64)> = reports::oncall_hours(&st.store, &st.cache, team, start, end)
        .await?
        .into_iter()
        .collect();
    let holders: Vec<String> = load.iter().map(|(p, _)| p.clone()).collect();
    let hours = Series {
        name: "hours on call".into(),
        class: "s-volume".into(),
        values: load.iter().map(|(_, h)| Some(*h)).collect(),
    };
    charts.push(Chart {
        id: "load".into(),
        title: "Hours on call per person".into(),
        svg: chart::bars("Hours on call per person", &holders, &[hours], " h"),
        head: vec!["person".into(), "hours".into()],
        rows: load
            .iter()
            .map(|(p, h)| vec![p.clone(), format!("{h:.1}")])
            .collect(),
        csv: format!("/reports/load.csv?{query}"),
    });
    Ok(ReportsPage {
        c: chrome(st, v, "Reports", "reports", None),
        from: from.to_string(),
        to: to.to_string(),
        team: team.unwrap_or("").to_string(),
        teams,
        priorities,
        charts,
    })
}

pub async fn page(
    State(st): State<AppState>,
    v: Viewer,
    Query(q): Query<Window>,
) -> Result<Response, PageError> {
    render(&build(&st, &v, &q).await?)
}

/// A chart's numbers as CSV (`/reports/{id}.csv`).
pub async fn csv(
    State(st): State<AppState>,
    v: Viewer,
    Path(file): Path<String>,
    Query(q): Query<Window>,
) -> Result<Response, PageError> {
    let id = file.strip_suffix(".csv").unwrap_or("");
    let page = build(&st, &v, &q).await?;
    let chart = page
        .charts
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(|| PageError::new(StatusCode::NOT_FOUND, "no such report"))?;
    let field = |s: &str| {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    for row in std::iter::once(&chart.head).chain(chart.rows.iter()) {
        out.push_str(&row.iter().map(|c| field(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"vigil-{id}-{}-{}.csv\"",
                    page.from, page.to
                ),
            ),
        ],
        out,
    )
        .into_response())
}
