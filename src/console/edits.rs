//! Editing a rota's participants from its calendar (leads): per layer the
//! people in order from a date on; Preview shows the calendar with the
//! change, the shifts that go and come over its first four weeks and the
//! problems it brings in; Save stores it with the version the page showed,
//! and a rota changed meanwhile is refused, naming who changed it and when.

use super::PageError;
use super::rotas::{CalendarQuery, Extras, show};
use super::session::Posted;
use super::view::When;
use crate::api::state::AppState;
use crate::engine::error::Error;
use crate::engine::{alerts, calendar, edits, overrides, rotas};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

/// One layer's edit form.
pub struct LayerEdit {
    pub layer: String,
    /// Handles, comma-separated.
    pub participants: String,
    /// Local time in the rota's zone.
    pub from: String,
}

/// What a preview of the edit says.
pub struct EditView {
    pub removed: Vec<String>,
    pub added: Vec<String>,
    pub new: Vec<String>,
    pub hard: bool,
}

/// Each layer's current participants, or the posted form for its layer.
pub async fn layers(
    st: &AppState,
    l: &crate::engine::Loaded,
    posted: Option<&(String, String, String)>,
) -> Result<Vec<LayerEdit>, PageError> {
    let doc = edits::document(l)?;
    let now = st.now();
    let from = crate::rota::civil::local(&l.rota.zone, now + chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:00")
        .to_string();
    Ok(doc
        .layers
        .iter()
        .filter_map(|d| {
            let built = &l.rota.layers[l.rota.layer(&d.name)?];
            if let Some((layer, people, at)) = posted.filter(|p| p.0 == d.name) {
                return Some(LayerEdit {
                    layer: layer.clone(),
                    participants: people.clone(),
                    from: at.clone(),
                });
            }
            let r = edits::current_rotation(d, built, now)?;
            (r.groups.is_empty()).then(|| LayerEdit {
                layer: d.name.clone(),
                participants: r.participants.join(", "),
                from: from.clone(),
            })
        })
        .collect())
}

#[derive(serde::Deserialize)]
pub struct EditForm {
    layer: String,
    participants: String,
    from: String,
    version: i64,
    #[serde(default)]
    action: String,
    accept: Option<String>,
}

/// The rota's document with the form's participants from its date on, and
/// that date; or what is wrong, naming the field.
fn edited(
    l: &crate::engine::Loaded,
    f: &EditForm,
    now: crate::rota::Instant,
) -> Result<(crate::rota::file::defs::RotaDoc, crate::rota::Instant), String> {
    let why = |e: Error| PageError::from(e).message().to_string();
    let at = overrides::instant_in("from", &f.from, &l.rota.zone).map_err(why)?;
    if at < now {
        return Err("from: an edit applies from now on; past shifts never change".into());
    }
    let people: Vec<String> = f
        .participants
        .split(',')
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    let doc = edits::document(l).map_err(why)?;
    let doc = edits::with_participants(&doc, &l.rota, &f.layer, people, at).map_err(why)?;
    Ok((doc, at))
}

pub async fn participants(
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
    let posted = (f.layer.clone(), f.participants.clone(), f.from.clone());
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
    let (doc, at) = match edited(&l, &f, now) {
        Ok(x) => x,
        Err(message) => return show(&st, &v, &team, &rota, q(), failed(message)).await,
    };
    let w = rotas::Write {
        team: team.clone(),
        name: rota.clone(),
        doc,
        effective_from: None,
        expected: Some(f.version),
        accept_violations: f.accept.as_deref() == Some("on"),
        actor: v.actor(),
        now,
        rewrites: None,
    };
    let result = if f.action == "save" {
        rotas::save(&st.store, &st.cache, w).await.map(|_| None)
    } else {
        edits::preview(&st.store, &st.cache, &w, at).await.map(Some)
    };
    let zone = super::now::viewer_zone(&st, &v).await;
    match result {
        Ok(None) => {
            let day = f.from.get(..10).unwrap_or("");
            let to = format!("/rotas/{team}/{rota}?view=2week&start={day}&done=edited");
            Ok(Redirect::to(&to).into_response())
        }
        Ok(Some(p)) => {
            let line = |s: &crate::rota::Shift, r: &crate::rota::Rota| {
                format!(
                    "{} · {}: {} → {}",
                    r.layers[s.layer].name,
                    r.people[s.person].name,
                    When::at(s.start.timestamp_millis(), zone.as_ref()).text,
                    When::at(s.end.timestamp_millis(), zone.as_ref()).text
                )
            };
            let edit = EditView {
                removed: p.removed.iter().map(|s| line(s, &l.rota)).collect(),
                added: p.added.iter().map(|s| line(s, &p.after)).collect(),
                new: p
                    .new
                    .iter()
                    .map(|x| format!("{}: {}", x.rule.as_str(), x.message))
                    .collect(),
                hard: p.hard,
            };
            let extras = Extras {
                after: Some(p.after),
                edit: Some(edit),
                edit_form: Some(posted),
                ..Extras::default()
            };
            show(&st, &v, &team, &rota, q(), extras).await
        }
        Err(Error::Conflict(_)) => {
            let who = match edits::last_change(&st.store, &team, &rota).await? {
                Some((at, actor)) => format!(
                    "Changed by {} at {}: reload the page and make your edit again.",
                    alerts::actor_name(&st.store, &actor).await?,
                    When::at(at * 1000, zone.as_ref()).text
                ),
                None => "The rota changed since this page was made: reload it.".into(),
            };
            show(&st, &v, &team, &rota, q(), failed(who)).await
        }
        Err(e) => {
            show(
                &st,
                &v,
                &team,
                &rota,
                q(),
                failed(PageError::from(e).message().into()),
            )
            .await
        }
    }
}
