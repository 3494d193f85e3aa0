//! Editing a rota's layers from its calendar (leads): per layer the
//! cadence, handoff times, people in order and hours from a date on, or a
//! new layer; Preview shows the calendar with the change, the shifts that
//! go and come over its first four weeks and the problems it brings in;
//! Save stores it with the version the page showed, and a rota changed
//! meanwhile is refused, naming who changed it and when. Earlier shifts
//! never change: the edit is a new rotation version from its date.

use super::PageError;
use super::rotas::{CalendarQuery, Extras, show};
use super::session::Posted;
use super::view::When;
use crate::api::state::AppState;
use crate::engine::error::Error;
use crate::engine::{alerts, calendar, edits, overrides, rotas};
use crate::rota::file::defs::CadenceDef;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

/// One layer's edit form, as shown (current values or the posted form).
#[derive(Clone, Default)]
pub struct LayerEdit {
    /// The layer's name; empty for the "add a layer" form.
    pub layer: String,
    pub name: String,
    pub role: String,
    /// `weekly`, `daily`, `day_night`, `every_hours`, `every_days`, or
    /// `follow_the_sun` (groups edited as code: only the hours here).
    pub cadence: String,
    pub handoff_time: String,
    pub handoff_day: String,
    /// Day/night handoff times, comma-separated.
    pub handoff_times: String,
    pub every: String,
    /// Handles, comma-separated.
    pub participants: String,
    /// One `[DAYS] HH:MM-HH:MM` per line; empty = all hours.
    pub restrictions: String,
    /// Local time in the rota's zone.
    pub from: String,
}

impl LayerEdit {
    /// The form's id suffix: the layer's name, or `new`.
    pub fn key(&self) -> &str {
        if self.layer.is_empty() {
            "new"
        } else {
            &self.layer
        }
    }
    pub fn follow_the_sun(&self) -> bool {
        self.cadence == "follow_the_sun"
    }
    pub fn cadences(&self) -> &'static [(&'static str, &'static str)] {
        &CADENCES
    }
    pub fn days(&self) -> &'static [&'static str] {
        &DAYS
    }
}

const DAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// The cadences the form offers: (value, label).
pub const CADENCES: [(&str, &str); 5] = [
    ("weekly", "weekly"),
    ("daily", "daily"),
    ("day_night", "day/night (12 h)"),
    ("every_hours", "every N hours"),
    ("every_days", "every N days"),
];

/// What a preview of the edit says.
pub struct EditView {
    /// How on-call hours move between people over the next 90 days.
    pub fairness: Vec<String>,
    /// Scheduled changes of the layer that the edit replaces.
    pub replaces: Vec<String>,
    pub removed: Vec<String>,
    pub added: Vec<String>,
    pub new: Vec<String>,
    pub hard: bool,
}

fn cadence_name(c: CadenceDef) -> String {
    serde_json::to_value(c)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Each layer's current settings (the posted form for the layer it was
/// posted for), then an empty "add a layer" form.
pub async fn layers(
    st: &AppState,
    l: &crate::engine::Loaded,
    posted: Option<&LayerEdit>,
) -> Result<Vec<LayerEdit>, PageError> {
    let doc = edits::document(l)?;
    let now = st.now();
    let from = crate::rota::civil::local(&l.rota.zone, now + chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:00")
        .to_string();
    let mut out: Vec<LayerEdit> = doc
        .layers
        .iter()
        .filter_map(|d| {
            if let Some(p) = posted.filter(|p| p.layer == d.name) {
                return Some(p.clone());
            }
            let built = &l.rota.layers[l.rota.layer(&d.name)?];
            let r = edits::current_rotation(d, built, now)?;
            let hours = r.restrictions.as_ref().unwrap_or(&d.restrictions);
            Some(LayerEdit {
                layer: d.name.clone(),
                name: d.name.clone(),
                role: d.role.clone().unwrap_or_default(),
                cadence: cadence_name(r.cadence),
                handoff_time: r.handoff_time.clone().unwrap_or_default(),
                handoff_day: r.handoff_day.clone().unwrap_or_default(),
                handoff_times: r.handoff_times.clone().unwrap_or_default().join(", "),
                every: r.every.map(|e| e.to_string()).unwrap_or_default(),
                participants: r.participants.join(", "),
                restrictions: hours
                    .iter()
                    .map(edits::restriction_text)
                    .collect::<Vec<_>>()
                    .join("\n"),
                from: from.clone(),
            })
        })
        .collect();
    out.push(match posted.filter(|p| p.layer.is_empty()) {
        Some(p) => p.clone(),
        None => LayerEdit {
            cadence: "weekly".into(),
            handoff_time: "09:00".into(),
            handoff_day: "monday".into(),
            from,
            ..LayerEdit::default()
        },
    });
    Ok(out)
}

#[derive(serde::Deserialize)]
pub struct EditForm {
    #[serde(default)]
    layer: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    cadence: String,
    #[serde(default)]
    handoff_time: String,
    #[serde(default)]
    handoff_day: String,
    #[serde(default)]
    handoff_times: String,
    #[serde(default)]
    every: String,
    participants: String,
    #[serde(default)]
    restrictions: String,
    #[serde(default)]
    coverage: Option<String>,
    from: String,
    version: i64,
    #[serde(default)]
    action: String,
    accept: Option<String>,
}

impl EditForm {
    fn shown(&self) -> LayerEdit {
        LayerEdit {
            layer: self.layer.clone(),
            name: self.name.clone(),
            role: self.role.clone(),
            cadence: self.cadence.clone(),
            handoff_time: self.handoff_time.clone(),
            handoff_day: self.handoff_day.clone(),
            handoff_times: self.handoff_times.clone(),
            every: self.every.clone(),
            participants: self.participants.clone(),
            restrictions: self.restrictions.clone(),
            from: self.from.clone(),
        }
    }
}

/// The comma-separated items of a field, trimmed, at most `max`.
fn items(field: &str, text: &str, max: usize) -> Result<Vec<String>, String> {
    let v: Vec<String> = text
        .split(',')
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    if v.len() > max {
        return Err(format!("{field}: at most {max}"));
    }
    Ok(v)
}

/// The form as a layer change (PURE), or what is wrong, naming the field.
fn change(f: &EditForm) -> Result<edits::LayerChange, String> {
    let cadence = match f.cadence.as_str() {
        "" => None,
        c => Some(
            serde_json::from_value::<CadenceDef>(serde_json::Value::String(c.into()))
                .map_err(|_| format!("cadence: \"{c}\" is not one Vigil knows"))?,
        ),
    };
    let every = match f.every.trim() {
        "" => None,
        e => Some(
            e.parse::<u32>()
                .ok()
                .filter(|n| (1..=10_000).contains(n))
                .ok_or_else(|| format!("every: \"{e}\" is not a whole number from 1 to 10000"))?,
        ),
    };
    let lines: Vec<&str> = f
        .restrictions
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    if lines.len() > 50 {
        return Err("restrictions: at most 50 lines".into());
    }
    let restrictions = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            edits::restriction_line(l).map_err(|m| format!("restrictions line {}: {m}", i + 1))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    Ok(edits::LayerChange {
        layer: opt(&f.layer),
        name: f.name.trim().to_string(),
        role: opt(&f.role),
        cadence,
        handoff_time: opt(&f.handoff_time),
        // Only a weekly rotation has a handoff day; only day/night has times.
        handoff_day: opt(&f.handoff_day).filter(|_| cadence == Some(CadenceDef::Weekly)),
        handoff_times: if cadence == Some(CadenceDef::DayNight) {
            items("handoff_times", &f.handoff_times, 24)?
        } else {
            Vec::new()
        },
        every: every.filter(|_| {
            matches!(
                cadence,
                Some(CadenceDef::EveryHours | CadenceDef::EveryDays)
            )
        }),
        participants: items("participants", &f.participants, 500)?,
        restrictions,
        coverage_required: f.coverage.as_deref() == Some("on"),
    })
}

/// The rota's document with the form's layer from its date on, and that
/// date; or what is wrong, naming the field.
fn edited(
    l: &crate::engine::Loaded,
    doc: &crate::rota::file::defs::RotaDoc,
    f: &EditForm,
    now: crate::rota::Instant,
) -> Result<(crate::rota::file::defs::RotaDoc, crate::rota::Instant), String> {
    let why = |e: Error| PageError::from(e).message().to_string();
    let at = overrides::instant_in("from", &f.from, &l.rota.zone).map_err(why)?;
    if at < now {
        return Err("from: an edit applies from now on; past shifts never change".into());
    }
    let c = change(f)?;
    let doc = edits::with_layer(doc, &l.rota, c, at).map_err(why)?;
    Ok((doc, at))
}

pub async fn layer(
    State(st): State<AppState>,
    Path((team, rota)): Path<(String, String)>,
    Posted { v, form: f }: Posted<EditForm>,
) -> Result<Response, PageError> {
    if !v.principal.leads(&team) {
        return Err(PageError::forbidden());
    }
    let now = st.now();
    let g = calendar::generation(&st.store).await?;
    let l = calendar::rota_at(&st.store, &st.cache, g, &team, &rota).await?;
    let posted = f.shown();
    let q = || CalendarQuery {
        view: Some("2week".into()),
        start: f.from.get(..10).map(str::to_string),
        done: None,
    };
    let failed = |message: String| Extras {
        error: Some(message),
        edit_form: Some(posted.clone()),
        ..Extras::default()
    };
    if f.version != l.row.version {
        let m = conflict(&st, &v, &team, &rota).await?;
        return show(&st, &v, &team, &rota, q(), failed(m)).await;
    }
    let doc_before = edits::document(&l)?;
    let (doc, at) = match edited(&l, &doc_before, &f, now) {
        Ok(x) => x,
        Err(message) => return show(&st, &v, &team, &rota, q(), failed(message)).await,
    };
    let accept = f.accept.as_deref() == Some("on");
    let w = rotas::Write::edit(&team, &rota, doc, f.version, accept, v.actor(), now);
    let result = if f.action == "save" {
        rotas::save(&st.store, &st.cache, w).await.map(|_| None)
    } else {
        edits::preview(&st.store, &st.cache, &w, at).await.map(Some)
    };
    match result {
        Ok(None) => {
            let day = f.from.get(..10).unwrap_or("");
            let to = format!("/rotas/{team}/{rota}?view=2week&start={day}&done=edited");
            Ok(Redirect::to(&to).into_response())
        }
        Ok(Some(p)) => {
            let replaced = edits::replaced(&doc_before, &l.rota, &f.layer, at);
            let extras = Extras {
                edit: Some(EditView::of(&st, &v, &l.rota, &p, replaced).await),
                after: Some(p.after),
                edit_form: Some(posted),
                ..Extras::default()
            };
            show(&st, &v, &team, &rota, q(), extras).await
        }
        Err(e) => {
            let m = refused(&st, &v, &team, &rota, e).await?;
            show(&st, &v, &team, &rota, q(), failed(m)).await
        }
    }
}

/// Why a rota write or preview was refused, as the page says it: a stale
/// page names who changed the rota and when.
pub(super) async fn refused(
    st: &AppState,
    v: &super::session::Viewer,
    team: &str,
    rota: &str,
    e: Error,
) -> Result<String, PageError> {
    match e {
        Error::Conflict(_) => conflict(st, v, team, rota).await,
        e => Ok(PageError::from(e).message().to_string()),
    }
}

/// "Changed by NAME at TIME: reload", for a write refused as stale.
pub(super) async fn conflict(
    st: &AppState,
    v: &super::session::Viewer,
    team: &str,
    rota: &str,
) -> Result<String, PageError> {
    let zone = super::now::viewer_zone(st, v).await;
    Ok(match edits::last_change(&st.store, team, rota).await? {
        Some((at, actor)) => format!(
            "Changed by {} at {}: reload the page and make your edit again.",
            alerts::actor_name(&st.store, &actor).await?,
            When::at(at * 1000, zone.as_ref()).text
        ),
        None => "The rota changed since this page was made: reload it.".into(),
    })
}

impl EditView {
    /// A preview as the page lists it, in the viewer's zone, with the
    /// scheduled changes (name, from) the edit replaces.
    pub(super) async fn of(
        st: &AppState,
        v: &super::session::Viewer,
        before: &crate::rota::Rota,
        p: &edits::EditPreview,
        replaced: Vec<(String, crate::rota::Instant)>,
    ) -> EditView {
        let zone = super::now::viewer_zone(st, v).await;
        let line = |s: &crate::rota::Shift, r: &crate::rota::Rota| {
            format!(
                "{} · {}: {} → {}",
                r.layers[s.layer].name,
                r.people[s.person].name,
                When::at(s.start.timestamp_millis(), zone.as_ref()).text,
                When::at(s.end.timestamp_millis(), zone.as_ref()).text
            )
        };
        EditView {
            fairness: fairness_lines(before, &p.after, st.now()),
            replaces: replaced
                .into_iter()
                .map(|(name, from)| {
                    format!(
                        "{name}, from {}",
                        When::at(from.timestamp_millis(), zone.as_ref()).text
                    )
                })
                .collect(),
            removed: p.removed.iter().map(|s| line(s, before)).collect(),
            added: p.added.iter().map(|s| line(s, &p.after)).collect(),
            new: p
                .new
                .iter()
                .map(|x| {
                    let z = zone.as_ref().unwrap_or(&before.zone);
                    format!("{}: {}", x.rule.as_str(), x.message_in(z))
                })
                .collect(),
            hard: p.hard,
        }
    }
}

/// How a change moves on-call hours between people over the checked
/// window (the next 90 days), one line per person whose hours move.
pub(super) fn fairness_lines(
    before: &crate::rota::Rota,
    after: &crate::rota::Rota,
    now: crate::rota::Instant,
) -> Vec<String> {
    let to = now + chrono::Duration::days(rotas::CHECK_DAYS);
    let name = |id: &str| {
        after
            .person(id)
            .map(|i| after.people[i].name.clone())
            .unwrap_or_else(|| id.to_string())
    };
    crate::rota::fairness::shift_between(before, after, now, to)
        .into_iter()
        .map(|d| {
            let mut parts = Vec::new();
            for (what, h) in [
                ("night", d.night_hours),
                ("weekend", d.weekend_hours),
                ("holiday", d.holiday_hours),
            ] {
                if h.abs() >= 0.01 {
                    parts.push(format!("{what} {h:+.1} h"));
                }
            }
            let extra = if parts.is_empty() {
                String::new()
            } else {
                format!(" ({})", parts.join(", "))
            };
            format!(
                "{}: {:+.1} h on call{extra}",
                name(&d.person),
                d.total_hours
            )
        })
        .collect()
}
