//! The handoff log: each rota's latest handoffs (who took over from whom,
//! whether the notice went out, when it was acknowledged, the notes), and
//! a form to leave a note for the next handoff of a layer.

use super::now::{chrome, viewer_zone};
use super::session::{Posted, Viewer};
use super::view::{Chrome, When};
use super::{PageError, render};
use crate::api::state::AppState;
use crate::engine::{alerts, calendar, handoffs};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

/// How many handoffs each rota shows.
const SHOWN: u64 = 12;

pub struct Entry {
    pub at: When,
    pub layer: String,
    pub person: String,
    pub from: String,
    pub notice: String,
    pub acked: Option<When>,
    pub notes: Vec<(String, String)>,
}

pub struct RotaLog {
    pub team: String,
    pub rota: String,
    pub zone: String,
    /// Layers the viewer may leave a note on.
    pub writable: Vec<String>,
    /// Notes left for handoffs still to come: (layer, when, by, text).
    pub coming: Vec<(String, When, String, String)>,
    pub entries: Vec<Entry>,
}

#[derive(Template)]
#[template(path = "handoffs.html")]
pub struct HandoffsPage {
    pub c: Chrome,
    pub rotas: Vec<RotaLog>,
    pub noted: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct Query {
    noted: Option<String>,
}

pub async fn page(
    State(st): State<AppState>,
    v: Viewer,
    q: axum::extract::Query<Query>,
) -> Result<Response, PageError> {
    let zone = viewer_zone(&st, &v).await;
    let z = zone.as_ref();
    let names = alerts::names(&st.store).await?;
    let g = v.principal.generation;
    let mut rotas = Vec::new();
    for (l, _) in calendar::board(&st.store, &st.cache, g, st.now()).await? {
        let (team, rota) = (l.row.team.clone(), l.row.name.clone());
        let me = v.person().and_then(|p| l.rota.person(p));
        let lead = v.principal.leads(&team);
        let writable = l
            .rota
            .layers
            .iter()
            .filter(|layer| {
                lead || me.is_some_and(|i| {
                    layer
                        .rotations
                        .iter()
                        .any(|r| r.cadence.participants().contains(&i))
                })
            })
            .map(|layer| layer.name.clone())
            .collect();
        let entries = handoffs::log(&st.store, &team, &rota, SHOWN)
            .await?
            .into_iter()
            .map(|e| Entry {
                at: When::at(e.row.start_ms, z),
                layer: e.row.layer,
                person: alerts::shown(&e.row.person, &names),
                from: e.row.from.unwrap_or_default(),
                notice: e.row.status,
                acked: e.row.acked_ms.map(|t| When::at(t, z)),
                notes: e.notes,
            })
            .collect();
        let coming = handoffs::coming_notes(&st.store, &team, &rota, st.now())
            .await?
            .into_iter()
            .map(|n| (n.layer, When::at(n.start_ms, z), n.by, n.text))
            .collect();
        rotas.push(RotaLog {
            team,
            rota,
            zone: l.rota.zone.name().to_string(),
            writable,
            coming,
            entries,
        });
    }
    render(&HandoffsPage {
        c: chrome(&st, &v, "Handoffs", "handoffs", z),
        rotas,
        noted: q.0.noted,
    })
}

#[derive(serde::Deserialize)]
pub struct NoteForm {
    team: String,
    rota: String,
    layer: String,
    text: String,
}

/// Leaves a note for the next handoff of the layer.
pub async fn note(
    State(st): State<AppState>,
    Posted { v, form: f }: Posted<NoteForm>,
) -> Result<Response, PageError> {
    let by = handoffs::NoteBy {
        actor: &v.actor(),
        person: v.person(),
        lead: v.principal.leads(&f.team),
    };
    let at = handoffs::add_note(
        &st.store,
        &st.cache,
        (&f.team, &f.rota, &f.layer),
        by,
        &f.text,
        st.now(),
    )
    .await?;
    let what = format!(
        "{}/{} ({}) at {}",
        f.team,
        f.rota,
        f.layer,
        super::view::iso(at.timestamp_millis())
    );
    let to = format!("/handoffs?noted={}", super::session::urlencode(&what));
    Ok(Redirect::to(&to).into_response())
}
