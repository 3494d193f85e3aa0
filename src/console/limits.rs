//! A rota's check limits from its calendar (leads): gaps, consecutive
//! shifts, rest, hours per 7 days, weekend spread, two layers at once, and
//! which rules are hard. Preview shows the problems the new limits find
//! over the checked window that the old ones did not; Save stores them
//! with the version the page showed. Limits judge shifts and never move
//! them, so no shift changes. Critical windows stay in the rota's code.

use super::PageError;
use super::rotas::{CalendarQuery, Extras, show};
use super::session::Posted;
use crate::api::state::AppState;
use crate::engine::{calendar, edits, rotas};
use crate::rota::checks::{CheckConfig, Rule};
use crate::rota::file::defs::ChecksDef;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

/// The limits as the form shows them (empty = no limit).
#[derive(Clone, Default)]
pub struct LimitsView {
    pub coverage_gaps: bool,
    pub min_gap_minutes: String,
    pub max_consecutive_shifts: String,
    pub consecutive_gap_hours: String,
    pub min_rest_hours: String,
    pub max_hours_per_7_days: String,
    pub weekend_spread: String,
    pub two_layers_at_once: bool,
    /// Every rule, and whether it is hard.
    pub hard: Vec<(&'static str, bool)>,
    /// Critical windows (kept as they are).
    pub critical: usize,
}

fn hours(d: chrono::Duration) -> String {
    let h = d.num_seconds() as f64 / 3600.0;
    format!("{}", (h * 100.0).round() / 100.0)
}

/// What the rota's limits are now (defaults filled in).
pub fn view(c: &CheckConfig) -> LimitsView {
    LimitsView {
        coverage_gaps: c.coverage_gaps,
        min_gap_minutes: c.min_gap.num_minutes().to_string(),
        max_consecutive_shifts: c
            .max_consecutive_shifts
            .map(|n| n.to_string())
            .unwrap_or_default(),
        consecutive_gap_hours: hours(c.consecutive_gap),
        min_rest_hours: c.min_rest.map(hours).unwrap_or_default(),
        max_hours_per_7_days: c.max_hours_per_7_days.map(hours).unwrap_or_default(),
        weekend_spread: c.weekend_spread.map(|n| n.to_string()).unwrap_or_default(),
        two_layers_at_once: !c.forbid_double_duty,
        hard: Rule::ALL
            .into_iter()
            .map(|r| {
                let on = c.hard.contains(&r);
                (r.as_str(), on)
            })
            .collect(),
        critical: c.critical.len(),
    }
}

/// The posted form (repeated `hard` fields) as the view it shows again.
fn posted(fields: &[(String, String)]) -> (LimitsView, i64, String, bool) {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let hard: Vec<&str> = fields
        .iter()
        .filter(|(n, _)| n == "hard")
        .map(|(_, v)| v.as_str())
        .collect();
    let v = LimitsView {
        coverage_gaps: get("coverage_gaps") == "on",
        min_gap_minutes: get("min_gap_minutes"),
        max_consecutive_shifts: get("max_consecutive_shifts"),
        consecutive_gap_hours: get("consecutive_gap_hours"),
        min_rest_hours: get("min_rest_hours"),
        max_hours_per_7_days: get("max_hours_per_7_days"),
        weekend_spread: get("weekend_spread"),
        two_layers_at_once: get("two_layers_at_once") == "on",
        hard: Rule::ALL
            .into_iter()
            .map(|r| (r.as_str(), hard.contains(&r.as_str())))
            .collect(),
        critical: 0,
    };
    (
        v,
        get("version").parse().unwrap_or(-1),
        get("action"),
        get("accept") == "on",
    )
}

/// The form's limits as a `[checks]` table (PURE), keeping the critical
/// windows; or what is wrong, naming the field.
fn checks_of(v: &LimitsView, old: &ChecksDef) -> Result<ChecksDef, String> {
    fn whole(field: &str, s: &str, max: u32) -> Result<Option<u32>, String> {
        if s.is_empty() {
            return Ok(None);
        }
        s.parse::<u32>()
            .ok()
            .filter(|n| *n <= max)
            .map(Some)
            .ok_or_else(|| format!("{field}: \"{s}\" is not a whole number from 0 to {max}"))
    }
    fn hours(field: &str, s: &str) -> Result<Option<f64>, String> {
        if s.is_empty() {
            return Ok(None);
        }
        s.parse::<f64>()
            .ok()
            .filter(|h| *h > 0.0 && *h <= 17_568.0)
            .map(Some)
            .ok_or_else(|| {
                format!("{field}: \"{s}\" is not a number of hours above 0, at most 17568")
            })
    }
    Ok(ChecksDef {
        coverage_gaps: Some(v.coverage_gaps),
        min_gap_minutes: Some(whole("min_gap_minutes", &v.min_gap_minutes, 10_080)?.unwrap_or(1)),
        max_consecutive_shifts: whole("max_consecutive_shifts", &v.max_consecutive_shifts, 1000)?,
        consecutive_gap_hours: hours("consecutive_gap_hours", &v.consecutive_gap_hours)?,
        min_rest_hours: hours("min_rest_hours", &v.min_rest_hours)?,
        max_hours_per_7_days: hours("max_hours_per_7_days", &v.max_hours_per_7_days)?,
        weekend_spread: Some(whole("weekend_spread", &v.weekend_spread, 52)?.map_or(-1, i64::from)),
        two_layers_at_once: Some(v.two_layers_at_once),
        hard: Some(
            v.hard
                .iter()
                .filter(|(_, on)| *on)
                .map(|(r, _)| r.to_string())
                .collect(),
        ),
        critical: old.critical.clone(),
    })
}

pub async fn save(
    State(st): State<AppState>,
    Path((team, rota)): Path<(String, String)>,
    Posted { v, form }: Posted<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    if !v.principal.leads(&team) {
        return Err(PageError::forbidden());
    }
    let now = st.now();
    let g = calendar::generation(&st.store).await?;
    let l = calendar::rota_at(&st.store, &st.cache, g, &team, &rota).await?;
    let (shown, version, action, accept) = posted(&form);
    let q = || CalendarQuery {
        view: Some("2week".into()),
        start: None,
        done: None,
    };
    let failed = |message: String| Extras {
        error: Some(message),
        limits_form: Some(shown.clone()),
        ..Extras::default()
    };
    if version != l.row.version {
        let m = super::edits::conflict(&st, &v, &team, &rota).await?;
        return show(&st, &v, &team, &rota, q(), failed(m)).await;
    }
    let mut doc = edits::document(&l)?;
    doc.checks = match checks_of(&shown, &doc.checks) {
        Ok(c) => c,
        Err(m) => return show(&st, &v, &team, &rota, q(), failed(m)).await,
    };
    let w = rotas::Write::edit(&team, &rota, doc, version, accept, v.actor(), now);
    if action == "save" {
        return match rotas::save(&st.store, &st.cache, w).await {
            Ok(_) => Ok(Redirect::to(&format!("/rotas/{team}/{rota}?done=limits")).into_response()),
            Err(e) => {
                let m = super::edits::refused(&st, &v, &team, &rota, e).await?;
                show(&st, &v, &team, &rota, q(), failed(m)).await
            }
        };
    }
    match edits::preview(&st.store, &st.cache, &w, now).await {
        Ok(p) => {
            let extras = Extras {
                edit: Some(super::edits::EditView::of(&st, &v, &l.rota, &p, Vec::new()).await),
                after: Some(p.after),
                limits_form: Some(shown),
                ..Extras::default()
            };
            show(&st, &v, &team, &rota, q(), extras).await
        }
        Err(e) => {
            let m = super::edits::refused(&st, &v, &team, &rota, e).await?;
            show(&st, &v, &team, &rota, q(), failed(m)).await
        }
    }
}
