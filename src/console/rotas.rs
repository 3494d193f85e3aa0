//! A rota's calendar: week, two-week and month views, one row per layer
//! and the "paged" row per role, in the viewer's zone (the rota's when the
//! viewer has none) with the rota's zone named; overrides, swaps,
//! restricted-off time, gaps and fatigue flags marked; "now" drawn; back
//! and forward up to a year from today.

use super::now::{chrome, viewer_zone};
use super::session::{Posted, Viewer};
use super::view::Chrome;
use super::{PageError, render};
use crate::api::state::AppState;
use crate::engine::{calendar, grid, overrides};
use crate::rota::civil;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, Duration, Months, NaiveDate};

/// How far from today the calendar goes, either way.
const REACH_DAYS: i64 = 366;

#[derive(serde::Deserialize, Default)]
pub struct CalendarQuery {
    pub(super) view: Option<String>,
    pub(super) start: Option<String>,
    pub(super) done: Option<String>,
}

/// The override form, as posted and as shown again.
#[derive(serde::Deserialize, Default, Clone)]
pub struct OverrideForm {
    #[serde(default)]
    pub layer: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub person: String,
    #[serde(default)]
    pub replaces: String,
    #[serde(default)]
    pub start: String,
    #[serde(default)]
    pub end: String,
    #[serde(default)]
    pub note: String,
    /// "preview" or "publish".
    #[serde(default)]
    pub action: String,
    /// "on" when the lead accepts hard-rule violations.
    pub accept: Option<String>,
}

/// What the preview says.
pub struct PreviewView {
    /// The check results the override brings in.
    pub new: Vec<String>,
    /// How on-call hours move between people over the next 90 days.
    pub fairness: Vec<String>,
    pub hard: bool,
}

/// What the page shows besides the calendar.
#[derive(Default)]
pub(super) struct Extras {
    pub form: OverrideForm,
    pub preview: Option<PreviewView>,
    pub error: Option<String>,
    pub after: Option<crate::rota::Rota>,
    pub edit: Option<super::edits::EditView>,
    /// A layer form as posted.
    pub edit_form: Option<super::edits::LayerEdit>,
    /// The limits form as posted.
    pub limits_form: Option<super::limits::LimitsView>,
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
    /// The viewer may add overrides (a lead of the team, or an admin).
    pub can_override: bool,
    pub layers: Vec<String>,
    /// (id, name) of the rota's people.
    pub people: Vec<(String, String)>,
    pub form: OverrideForm,
    pub preview: Option<PreviewView>,
    pub error: Option<String>,
    pub flash: Option<String>,
    pub swaps: Vec<super::swaps::SwapLine>,
    /// The viewer is on the rota (and may offer a shift they hold).
    pub on_rota: bool,
    /// Each layer's settings now, and a new layer's, for the edit forms
    /// (leads only).
    pub editing: Vec<super::edits::LayerEdit>,
    /// The rota version the page was made from.
    pub version: i64,
    pub edit: Option<super::edits::EditView>,
    /// Which layer form to show open ("new" for the add form).
    pub edit_form_open: String,
    /// The check limits, for their form (leads only).
    pub limits: Option<super::limits::LimitsView>,
}

/// The view asked for (week, 2week or month; two weeks by default) and the
/// date it shows (today by default, within a year of it).
pub(super) fn view_and_anchor(
    view: Option<&str>,
    start: Option<&str>,
    today: NaiveDate,
) -> Result<(&'static str, NaiveDate), PageError> {
    let view = match view.unwrap_or("2week") {
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
    let anchor = match start {
        None | Some("") => today,
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| PageError::new(StatusCode::BAD_REQUEST, "start: a date, YYYY-MM-DD"))?,
    };
    if (anchor - today).num_days().abs() > REACH_DAYS {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            "start: within a year of today",
        ));
    }
    Ok((view, anchor))
}

/// The days a view shows around `anchor`: the first, how many weeks, the
/// heading, and the anchors of the views before and after.
pub(super) fn window(
    view: &str,
    anchor: NaiveDate,
) -> (NaiveDate, usize, String, NaiveDate, NaiveDate) {
    match view {
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
    }
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
    show(&st, &v, &team, &rota, q, Extras::default()).await
}

/// Previews an override on the calendar, or publishes it.
pub async fn override_post(
    State(st): State<AppState>,
    Path((team, rota)): Path<(String, String)>,
    Posted { v, form: f }: Posted<OverrideForm>,
) -> Result<Response, PageError> {
    if !v.principal.leads(&team) {
        return Err(PageError::forbidden());
    }
    let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    let o = overrides::NewOverride {
        team: team.clone(),
        rota: rota.clone(),
        layer: f.layer.clone(),
        kind: f.kind.clone(),
        start: f.start.clone(),
        end: f.end.clone(),
        person: some(&f.person),
        replaces: some(&f.replaces),
        note: some(&f.note),
        accept_violations: f.accept.as_deref() == Some("on"),
        expected: None,
        actor: v.actor(),
    };
    let q = CalendarQuery {
        view: Some("2week".into()),
        start: f.start.get(..10).map(str::to_string),
        done: None,
    };
    if f.action == "publish" {
        match overrides::add(&st.store, &st.cache, o, st.now()).await {
            Ok(_) => {
                let day = f.start.get(..10).unwrap_or("");
                let to = format!("/rotas/{team}/{rota}?view=2week&start={day}&done=override");
                return Ok(Redirect::to(&to).into_response());
            }
            Err(e) => {
                let extras = Extras {
                    form: f,
                    error: Some(PageError::from(e).message().to_string()),
                    ..Extras::default()
                };
                return show(&st, &v, &team, &rota, q, extras).await;
            }
        }
    }
    let extras = match overrides::preview(&st.store, &st.cache, &o, st.now()).await {
        Ok(p) => Extras {
            preview: Some(PreviewView {
                new: {
                    let zone = viewer_zone(&st, &v).await;
                    let zone = zone.as_ref().unwrap_or(&p.before.rota.zone);
                    p.new
                        .iter()
                        .map(|x| format!("{}: {}", x.rule.as_str(), x.message_in(zone)))
                        .collect()
                },
                fairness: super::edits::fairness_lines(&p.before.rota, &p.after, st.now()),
                hard: p.hard,
            }),
            after: Some(p.after),
            form: f,
            ..Extras::default()
        },
        Err(e) => Extras {
            error: Some(PageError::from(e).message().to_string()),
            form: f,
            ..Extras::default()
        },
    };
    show(&st, &v, &team, &rota, q, extras).await
}

pub(super) async fn show(
    st: &AppState,
    v: &Viewer,
    team: &str,
    rota: &str,
    q: CalendarQuery,
    extras: Extras,
) -> Result<Response, PageError> {
    let (team, rota) = (team.to_string(), rota.to_string());
    let now = st.now();
    let l = calendar::rota_at(&st.store, &st.cache, v.principal.generation, &team, &rota).await?;
    let mine = viewer_zone(st, v).await;
    let zone = mine.clone().unwrap_or_else(|| l.rota.zone.clone());
    let today = civil::local(&zone, now).date();
    let (view, anchor) = view_and_anchor(q.view.as_deref(), q.start.as_deref(), today)?;
    let within = |d: NaiveDate| (d - today).num_days().abs() <= REACH_DAYS;
    let (first, weeks, heading, back, forward) = window(view, anchor);
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
        c: chrome(st, v, &format!("{team}/{rota}"), "now", mine.as_ref()),
        team: team.clone(),
        rota: rota.clone(),
        heading,
        view,
        zone: zone.name().to_string(),
        rota_zone: l.rota.zone.name().to_string(),
        weeks: grid::layout(
            extras.after.as_ref().unwrap_or(&l.rota),
            &zone,
            first,
            weeks,
            now,
        ),
        lines: (1..7).map(|i| i as f64 * 100.0 / 7.0).collect(),
        prev: link(back, "← Earlier"),
        next: link(forward, "Later →"),
        today: format!("{base}?view={view}"),
        views,
        can_override: v.principal.leads(&team),
        layers: l.rota.layers.iter().map(|x| x.name.clone()).collect(),
        people: l
            .rota
            .people
            .iter()
            .map(|p| (p.id.clone(), p.name.clone()))
            .collect(),
        form: extras.form,
        preview: extras.preview,
        error: extras.error,
        flash: q
            .done
            .as_deref()
            .and_then(|d| {
                Some(match d {
                    "override" => "Override published.",
                    "swap-offered" => {
                        "Your shift is offered; the others on the layer have been told."
                    }
                    "swap-accepted" => "Taken: a lead approves it next.",
                    "swap-applied" => "The swap is on the calendar.",
                    "swap-declined" => "Swap declined.",
                    "swap-cancelled" => "Swap cancelled.",
                "edited" => "Saved: the rota changes from the date you gave; earlier shifts are as they were.",
                    "limits" => "Check limits saved.",
                    _ => return None,
                })
            })
            .map(str::to_string),
        swaps: super::swaps::lines(st, v, &l, mine.as_ref()).await?,
        on_rota: v.person().is_some_and(|p| l.rota.person(p).is_some()),
        editing: if v.principal.leads(&team) {
            super::edits::layers(st, &l, extras.edit_form.as_ref()).await?
        } else {
            Vec::new()
        },
        version: l.row.version,
        edit: extras.edit,
        edit_form_open: match (&extras.edit_form, &extras.limits_form) {
            (Some(e), _) => e.key().to_string(),
            (None, Some(_)) => "limits".into(),
            _ => String::new(),
        },
        limits: v.principal.leads(&team).then(|| {
            extras
                .limits_form
                .clone()
                .unwrap_or_else(|| super::limits::view(&l.rota.checks))
        }),
    })
}
