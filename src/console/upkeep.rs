//! A service's maintenance windows and heartbeat from its page (leads):
//! add a window (local times in the team's zone), end one now, remove
//! one, and set or clear the heartbeat period. Each save goes through the
//! service layer's checks and audit, as `PUT /services/{id}` does.

use super::PageError;
use super::session::Posted;
use crate::api::state::AppState;
use crate::engine::{overrides, services};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

/// The most maintenance windows a service keeps.
const MAX_WINDOWS: usize = 50;

#[derive(serde::Deserialize)]
pub struct UpkeepForm {
    /// `add`, `end`, `remove` or `heartbeat`.
    action: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    /// The window `end` or `remove` acts on.
    #[serde(default)]
    window: Option<usize>,
    #[serde(default)]
    heartbeat: String,
}

/// The form's change applied to `spec` (PURE), or what is wrong, naming
/// the field.
fn change(
    spec: &mut services::ServiceSpec,
    f: &UpkeepForm,
    zone: &crate::tz::Zone,
    now: crate::rota::Instant,
) -> Result<(), String> {
    let why = |e: crate::engine::error::Error| PageError::from(e).message().to_string();
    let utc = crate::rota::civil::utc_text;
    let which = |w: Option<usize>, n: usize| {
        w.filter(|i| *i < n)
            .ok_or_else(|| "window: no such maintenance window".to_string())
    };
    match f.action.as_str() {
        "add" => {
            let start = overrides::instant_in("start", &f.start, zone).map_err(why)?;
            let end = overrides::instant_in("end", &f.end, zone).map_err(why)?;
            if end <= start {
                return Err("end: must be after start".into());
            }
            if end <= now {
                return Err("end: the window is already over".into());
            }
            // Finished windows go, so the list stays bounded by what is to come.
            spec.maintenance
                .retain(|w| chrono::DateTime::parse_from_rfc3339(&w.end).is_ok_and(|e| e > now));
            if spec.maintenance.len() >= MAX_WINDOWS {
                return Err(format!(
                    "maintenance: at most {MAX_WINDOWS} windows to come"
                ));
            }
            spec.maintenance.push(services::Window {
                start: utc(start),
                end: utc(end),
            });
        }
        "end" => {
            let i = which(f.window, spec.maintenance.len())?;
            let w = &mut spec.maintenance[i];
            if chrono::DateTime::parse_from_rfc3339(&w.start).is_ok_and(|s| s <= now) {
                w.end = utc(now);
            } else {
                spec.maintenance.remove(i);
            }
        }
        "remove" => {
            let i = which(f.window, spec.maintenance.len())?;
            spec.maintenance.remove(i);
        }
        "heartbeat" => {
            let h = f.heartbeat.trim();
            if h.len() > 32 {
                return Err("heartbeat: at most 32 characters, e.g. 5m".into());
            }
            spec.heartbeat = (!h.is_empty()).then(|| h.to_string());
        }
        _ => return Err("action: add, end, remove or heartbeat".into()),
    }
    Ok(())
}

pub async fn save(
    State(st): State<AppState>,
    Path(id): Path<String>,
    Posted { v, form: f }: Posted<UpkeepForm>,
) -> Result<Response, PageError> {
    let row = services::find(&st.store, &id).await?;
    if !v.principal.leads(&row.team) {
        return Err(PageError::forbidden());
    }
    let zone = crate::engine::directory::team(&st.store, &row.team)
        .await
        .ok()
        .and_then(|t| crate::tz::Zone::named(&t.timezone))
        .unwrap_or_else(crate::tz::Zone::utc);
    let now = st.now();
    let mut spec = services::spec_of(&row);
    spec.team = Some(row.team.clone());
    let saved = match change(&mut spec, &f, &zone, now) {
        Ok(()) => {
            let allow = st.notify.allow_private_webhooks;
            services::save(&st.store, &st.cache, &id, &spec, allow, &v.actor(), now)
                .await
                .map_err(|e| PageError::from(e).message().to_string())
        }
        Err(m) => Err(m),
    };
    if let Err(m) = saved {
        let mut p = super::services::build(&st, &v, &id, None, None, false).await?;
        p.error = Some(m);
        return super::render(&p);
    }
    Ok(Redirect::to(&format!("/services/{id}?saved=1#upkeep")).into_response())
}
