//! Services and their ladders: the list (team, stages, heartbeat,
//! maintenance windows), and a service's ladder stage by stage with who
//! each stage would page now and at a chosen time; leads edit the stages
//! (targets and timeout per line) and see the same before saving.

use super::now::{chrome, viewer_zone};
use super::session::{Posted, Viewer};
use super::view::{Chrome, When};
use super::{PageError, render};
use crate::api::state::AppState;
use crate::engine::{ladders, overrides, services};
use crate::escalation::ladder::{LadderSpec, StageSpec};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

pub struct ServiceLine {
    pub id: String,
    pub team: String,
    pub name: String,
    pub stages: usize,
    pub heartbeat: String,
    pub maintenance: usize,
}

#[derive(Template)]
#[template(path = "services.html")]
pub struct ServicesPage {
    pub c: Chrome,
    pub services: Vec<ServiceLine>,
}

pub async fn list(State(st): State<AppState>, v: Viewer) -> Result<Response, PageError> {
    let services = services::list(&st.store)
        .await?
        .into_iter()
        .map(|r| {
            let spec = services::spec_of(&r);
            ServiceLine {
                stages: spec.ladder.map(|l| l.stages.len()).unwrap_or(0),
                heartbeat: spec.heartbeat.unwrap_or_default(),
                maintenance: spec.maintenance.len(),
                id: r.id,
                team: r.team,
                name: r.name,
            }
        })
        .collect();
    render(&ServicesPage {
        c: chrome(
            &st,
            &v,
            "Services",
            "services",
            viewer_zone(&st, &v).await.as_ref(),
        ),
        services,
    })
}

pub struct StageLine {
    pub n: usize,
    pub targets: String,
    pub timeout: String,
    pub now: Vec<String>,
    pub then: Vec<String>,
}

#[derive(Template)]
#[template(path = "service.html")]
pub struct ServicePage {
    pub c: Chrome,
    pub id: String,
    pub team: String,
    pub at: String,
    pub at_text: String,
    pub stages: Vec<StageLine>,
    /// The stages as the edit form shows them ("targets | timeout" lines).
    pub text: String,
    pub can_edit: bool,
    pub previewing: bool,
    pub error: Option<String>,
    pub saved: bool,
    /// Live integration keys: (id, kind, created).
    pub keys: Vec<(String, String, When)>,
    /// A key just made: its secret and the URL it goes with (shown once).
    pub new_key: Option<(String, String)>,
}

#[derive(serde::Deserialize, Default)]
pub struct AtQuery {
    at: Option<String>,
    saved: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct LadderForm {
    stages: String,
    #[serde(default)]
    at: String,
    #[serde(default)]
    action: String,
}

fn lines_of(l: &LadderSpec) -> String {
    l.stages
        .iter()
        .map(|s| {
            format!(
                "{} | {}",
                s.targets.join(", "),
                s.timeout.clone().unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// "targets, … | timeout" per line, at most 20 stages.
fn parse(text: &str, repeat: Option<u32>) -> Result<LadderSpec, String> {
    let mut stages = Vec::new();
    for (i, line) in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        if i >= 20 {
            return Err("stages: at most 20".into());
        }
        let (targets, timeout) = line.split_once('|').unwrap_or((line, ""));
        let targets: Vec<String> = targets
            .split(',')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect();
        if targets.is_empty() {
            return Err(format!("stages[{i}]: name at least one target"));
        }
        let timeout = timeout.trim();
        stages.push(StageSpec {
            timeout: (!timeout.is_empty()).then(|| timeout.to_string()),
            timeouts: Default::default(),
            targets,
        });
    }
    if stages.is_empty() {
        return Err("stages: at least one".into());
    }
    Ok(LadderSpec { stages, repeat })
}

async fn build(
    st: &AppState,
    v: &Viewer,
    id: &str,
    at: Option<&str>,
    edited: Option<(String, String)>,
    saved: bool,
) -> Result<ServicePage, PageError> {
    let row = services::find(&st.store, id).await?;
    let spec = services::spec_of(&row);
    let current = spec.ladder.clone().unwrap_or_default();
    let zone = crate::engine::directory::teams(&st.store)
        .await?
        .into_iter()
        .find(|t| t.slug == row.team)
        .and_then(|t| crate::tz::Zone::named(&t.timezone))
        .unwrap_or_else(crate::tz::Zone::utc);
    let now = st.now();
    let then = match at.filter(|s| !s.is_empty()) {
        Some(s) => overrides::instant_in("at", s, &zone)?,
        None => now + chrono::Duration::days(1),
    };
    let mine = viewer_zone(st, v).await;
    let (ladder, text, mut error) = match &edited {
        Some((text, _)) => match parse(text, current.repeat) {
            Ok(l) => (l, text.clone(), None),
            Err(e) => (current.clone(), text.clone(), Some(e)),
        },
        None => (current.clone(), lines_of(&current), None),
    };
    let who = match ladders::who_per_stage(&st.store, &st.cache, &row.team, &ladder, &[now, then])
        .await
    {
        Ok(w) => w,
        Err(e) => {
            error.get_or_insert(PageError::from(e).message().to_string());
            Vec::new()
        }
    };
    let stages = ladder
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| StageLine {
            n: i + 1,
            targets: s.targets.join(", "),
            timeout: s.timeout.clone().unwrap_or_else(|| "default".into()),
            now: who
                .get(i)
                .and_then(|w| w.first())
                .cloned()
                .unwrap_or_default(),
            then: who
                .get(i)
                .and_then(|w| w.get(1))
                .cloned()
                .unwrap_or_default(),
        })
        .collect();
    Ok(ServicePage {
        c: chrome(st, v, &format!("Service {id}"), "services", mine.as_ref()),
        id: id.to_string(),
        team: row.team.clone(),
        at: crate::rota::civil::local(&zone, then)
            .format("%Y-%m-%dT%H:%M")
            .to_string(),
        at_text: format!(
            "{} ({})",
            When::at(then.timestamp_millis(), mine.as_ref()).text,
            zone.name()
        ),
        stages,
        text,
        can_edit: v.principal.leads(&row.team),
        previewing: edited.is_some(),
        error,
        saved,
        keys: services::keys(&st.store, id)
            .await?
            .into_iter()
            .map(|(k, kind, at)| (k, kind, When::at(at * 1000, mine.as_ref())))
            .collect(),
        new_key: None,
    })
}

pub async fn show(
    State(st): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Query(q): Query<AtQuery>,
) -> Result<Response, PageError> {
    render(&build(&st, &v, &id, q.at.as_deref(), None, q.saved.is_some()).await?)
}

pub async fn ladder(
    State(st): State<AppState>,
    Path(id): Path<String>,
    Posted { v, form: f }: Posted<LadderForm>,
) -> Result<Response, PageError> {
    let row = services::find(&st.store, &id).await?;
    if !v.principal.leads(&row.team) {
        return Err(PageError::forbidden());
    }
    if f.action == "save" {
        let mut spec = services::spec_of(&row);
        spec.team = Some(row.team.clone());
        let repeat = spec.ladder.as_ref().and_then(|l| l.repeat);
        match parse(&f.stages, repeat) {
            Ok(l) => spec.ladder = Some(l),
            Err(e) => return Err(PageError::new(StatusCode::UNPROCESSABLE_ENTITY, e)),
        }
        let allow = st.notify.allow_private_webhooks;
        services::save(
            &st.store,
            &st.cache,
            &id,
            &spec,
            allow,
            &v.actor(),
            st.now(),
        )
        .await?;
        return Ok(Redirect::to(&format!("/services/{id}?saved=1")).into_response());
    }
    let edited = Some((f.stages, f.at.clone()));
    render(&build(&st, &v, &id, Some(&f.at), edited, false).await?)
}

#[derive(serde::Deserialize)]
pub struct KeyForm {
    kind: String,
}

/// Makes an integration key (shown once on the page that answers).
pub async fn create_key(
    State(st): State<AppState>,
    Path(id): Path<String>,
    Posted { v, form: f }: Posted<KeyForm>,
) -> Result<Response, PageError> {
    let row = services::find(&st.store, &id).await?;
    if !v.principal.leads(&row.team) {
        return Err(PageError::forbidden());
    }
    let (_, secret) = services::create_key(&st.store, &id, &f.kind, &v.actor(), st.now()).await?;
    let base = st.public_url.trim_end_matches('/').to_string();
    let url = if f.kind == "alertmanager" {
        format!("{base}/api/v1/integrations/alertmanager/{secret}")
    } else {
        format!("{base}/v2/enqueue (as routing_key)")
    };
    let mut p = build(&st, &v, &id, None, None, false).await?;
    p.new_key = Some((secret, url));
    render(&p)
}

/// Revokes an integration key.
pub async fn revoke_key(
    State(st): State<AppState>,
    Path((id, key)): Path<(String, String)>,
    Posted { v, form: _ }: Posted<super::session::NoFields>,
) -> Result<Response, PageError> {
    let row = services::find(&st.store, &id).await?;
    if !v.principal.leads(&row.team) {
        return Err(PageError::forbidden());
    }
    services::revoke_key(&st.store, &id, &key, &v.actor(), st.now()).await?;
    Ok(Redirect::to(&format!("/services/{id}#keys")).into_response())
}
