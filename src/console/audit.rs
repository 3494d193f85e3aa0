//! The audit log (admins, and leads for their teams): filtered by team,
//! actor and kind, each rota edit with what changed in its document.

use super::now::{chrome, viewer_zone};
use super::session::Viewer;
use super::view::{Chrome, When};
use super::{PageError, render};
use crate::api::state::AppState;
use crate::engine::directory;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;

pub struct Entry {
    pub at: When,
    pub actor: String,
    pub action: String,
    pub target: String,
    /// For a rota edit: its document's changed lines ('-', '+' or ' ').
    pub diff: Vec<(char, String)>,
}

#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub c: Chrome,
    pub team: String,
    pub actor: String,
    pub kind: String,
    pub teams: Vec<String>,
    pub entries: Vec<Entry>,
}

#[derive(serde::Deserialize, Default)]
pub struct Filter {
    team: Option<String>,
    actor: Option<String>,
    kind: Option<String>,
}

/// The kinds offered in the filter.
pub const KINDS: [&str; 8] = [
    "rota.",
    "override.",
    "swap.",
    "service.",
    "person.",
    "team.",
    "handoff.",
    "token.",
];

pub async fn page(
    State(st): State<AppState>,
    v: Viewer,
    Query(q): Query<Filter>,
) -> Result<Response, PageError> {
    let some = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let (team, actor, kind) = (some(&q.team), some(&q.actor), some(&q.kind));
    if actor.as_ref().is_some_and(|a| a.chars().count() > 200) {
        return Err(PageError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "actor: at most 200 characters",
        ));
    }
    let teams: Vec<String> = directory::teams(&st.store)
        .await?
        .into_iter()
        .map(|t| t.slug)
        .filter(|t| v.principal.leads(t))
        .collect();
    // Admins see everything; a lead, only a team they lead.
    if !v.is_admin() && !team.as_ref().is_some_and(|t| teams.contains(t)) {
        if teams.is_empty() || team.is_some() {
            return Err(PageError::forbidden());
        }
        let to = format!("/audit?team={}", teams[0]);
        return Ok(axum::response::IntoResponse::into_response(
            axum::response::Redirect::to(&to),
        ));
    }
    let zone = viewer_zone(&st, &v).await;
    let entries = directory::audit_filtered(
        &st.store,
        team.as_deref(),
        actor.as_deref(),
        kind.as_deref(),
        200,
    )
    .await?
    .into_iter()
    .map(|e| {
        let diff = match (e.detail.get("before"), e.detail.get("after")) {
            (Some(b), Some(a)) if e.action.starts_with("rota.") => directory::diff(b, a),
            _ => Vec::new(),
        };
        Entry {
            at: When::at(e.at * 1000, zone.as_ref()),
            actor: e.actor,
            action: e.action,
            target: e.target,
            diff,
        }
    })
    .collect();
    render(&AuditPage {
        c: chrome(&st, &v, "Audit log", "admin", zone.as_ref()),
        team: team.unwrap_or_default(),
        actor: actor.unwrap_or_default(),
        kind: kind.unwrap_or_default(),
        teams,
        entries,
    })
}
