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
use crate::escalation::ladder::LadderSpec;
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
    /// The stage form: each stage, then a blank one.
    pub edits: Vec<super::ladder::StageEdit>,
    /// What a stage may pick, in groups: (group, [(target, label)]).
    pub choices: Vec<(&'static str, Vec<(String, String)>)>,
    pub repeat: String,
    /// Maintenance windows: (index, start, end, in effect now).
    pub windows: Vec<(usize, When, When, bool)>,
    pub heartbeat: String,
    /// The team's zone, which the window form's times are in.
    pub zone_name: String,
    /// When the next check-in is due.
    pub heartbeat_due: Option<When>,
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

pub(super) async fn build(
    st: &AppState,
    v: &Viewer,
    id: &str,
    at: Option<&str>,
    edited: Option<Result<LadderSpec, String>>,
    saved: bool,
) -> Result<ServicePage, PageError> {
    let previewing = edited.is_some();
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
    let (ladder, mut error) = match edited {
        Some(Ok(l)) => (l, None),
        Some(Err(e)) => (current.clone(), Some(e)),
        None => (current.clone(), None),
    };
    let choices = ladders::target_choices(&st.store, &st.cache, &row.team).await?;
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
            timeout: {
                let base = s.timeout.clone().unwrap_or_else(|| "default".into());
                let per: Vec<String> = s.timeouts.iter().map(|(p, t)| format!("{p} {t}")).collect();
                if per.is_empty() {
                    base
                } else {
                    format!("{base} ({})", per.join(", "))
                }
            },
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
        text: super::ladder::lines_of(&ladder),
        edits: super::ladder::edits_of(&ladder, &choices),
        choices: super::ladder::grouped(&choices),
        repeat: ladder.repeat.map(|r| r.to_string()).unwrap_or_default(),
        windows: spec
            .maintenance
            .iter()
            .enumerate()
            .filter_map(|(i, w)| {
                let ms = |t: &str| {
                    chrono::DateTime::parse_from_rfc3339(t)
                        .ok()
                        .map(|t| t.timestamp_millis())
                };
                let (a, b) = (ms(&w.start)?, ms(&w.end)?);
                let live = (a..b).contains(&now.timestamp_millis());
                Some((
                    i,
                    When::at(a, mine.as_ref()),
                    When::at(b, mine.as_ref()),
                    live,
                ))
            })
            .collect(),
        heartbeat: spec.heartbeat.clone().unwrap_or_default(),
        zone_name: zone.name().to_string(),
        heartbeat_due: row.heartbeat_due_ms.map(|ms| When::at(ms, mine.as_ref())),
        can_edit: v.principal.leads(&row.team),
        previewing,
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
    Posted { v, form: f }: Posted<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let row = services::find(&st.store, &id).await?;
    if !v.principal.leads(&row.team) {
        return Err(PageError::forbidden());
    }
    let get = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, x)| x.as_str());
    let mut spec = services::spec_of(&row);
    let current = spec.ladder.clone().unwrap_or_default();
    // The text form sends `stages`; the stage form sends a field per stage.
    let read = match get("stages") {
        Some(text) => super::ladder::from_text(text, &current),
        None => super::ladder::from_fields(&f),
    };
    if get("action") == Some("save") {
        spec.team = Some(row.team.clone());
        match read {
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
    let at = get("at").map(str::to_string);
    render(&build(&st, &v, &id, at.as_deref(), Some(read), false).await?)
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
