//! "My shifts": the viewer's shifts across every rota they are on, a row
//! per rota and layer, in week, two-week and month views.

use super::now::{chrome, viewer_zone};
use super::rotas::{view_and_anchor, window};
use super::session::Viewer;
use super::view::Chrome;
use super::{PageError, render};
use crate::api::state::AppState;
use crate::engine::{calendar, grid};
use crate::rota::civil;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;

#[derive(serde::Deserialize, Default)]
pub struct MineQuery {
    view: Option<String>,
    start: Option<String>,
}

#[derive(Template)]
#[template(path = "mine.html")]
pub struct MinePage {
    pub c: Chrome,
    pub heading: String,
    pub view: String,
    pub zone: String,
    pub rota_zone: String,
    pub weeks: Vec<grid::Week>,
    pub lines: Vec<f64>,
    pub prev: String,
    pub next: String,
    pub rotas: usize,
}

pub async fn page(
    State(st): State<AppState>,
    v: Viewer,
    Query(q): Query<MineQuery>,
) -> Result<Response, PageError> {
    let me = v
        .person()
        .ok_or_else(|| PageError::new(StatusCode::FORBIDDEN, "This session acts for no person."))?
        .to_string();
    let g = calendar::generation(&st.store).await?;
    let loaded = calendar::person_rotas(&st.store, &st.cache, g, &me).await?;
    let mine = viewer_zone(&st, &v).await;
    let zone = mine
        .clone()
        .or_else(|| loaded.first().map(|l| l.rota.zone.clone()))
        .unwrap_or_else(crate::tz::Zone::utc);
    let today = civil::local(&zone, st.now()).date();
    let (view, anchor) = view_and_anchor(q.view.as_deref(), q.start.as_deref(), today)?;
    let (first, weeks, heading, back, forward) = window(view, anchor);
    let rotas: Vec<(String, &crate::rota::Rota)> = loaded
        .iter()
        .map(|l| (format!("{}/{}", l.row.team, l.row.name), &l.rota))
        .collect();
    render(&MinePage {
        c: chrome(&st, &v, "My shifts", "me", mine.as_ref()),
        heading,
        zone: zone.name().to_string(),
        rota_zone: zone.name().to_string(),
        weeks: grid::person_layout(&rotas, &me, &zone, first, weeks, st.now()),
        lines: (1..7).map(|i| i as f64 * 100.0 / 7.0).collect(),
        prev: format!("/me/shifts?view={view}&start={back}"),
        next: format!("/me/shifts?view={view}&start={forward}"),
        view: view.to_string(),
        rotas: rotas.len(),
    })
}
