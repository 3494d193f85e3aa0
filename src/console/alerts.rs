//! The alert list (live over SSE, filtered, with SLA countdowns and bulk
//! actions), one alert's whole record, and the actions on alerts.

use super::now::{chrome, viewer_zone};
use super::session::{Posted, Viewer, safe_next, urlencode};
use super::view::{
    AlertItem, AlertPage, AlertRows, AlertsPage, Filters, LinkItem, NotificationItem, SlaClock,
    TimelineItem, When, span,
};
use super::{PageError, render};
use crate::api::state::AppState;
use crate::engine::alerts::views::{self, Filter, Listed};
use crate::engine::alerts::{self, Action};
use crate::escalation::{Priority, Sla};
use crate::tz::Zone;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize, Default)]
pub struct FilterQuery {
    status: Option<String>,
    priority: Option<String>,
    service: Option<String>,
    team: Option<String>,
    mine: Option<String>,
}

impl FilterQuery {
    fn filter(&self, v: &Viewer) -> Result<Filter, PageError> {
        let some = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
        let priority = match some(&self.priority) {
            Some(p) => Some(Priority::parse(&p).ok_or_else(|| {
                PageError::new(
                    StatusCode::BAD_REQUEST,
                    format!("priority: \"{p}\" is not P1–P4"),
                )
            })?),
            None => None,
        };
        Ok(Filter {
            status: some(&self.status).unwrap_or_else(|| "open".into()),
            priority,
            service: some(&self.service),
            team: some(&self.team),
            mine: if self.mine.is_some() {
                v.person().map(str::to_string)
            } else {
                None
            },
        })
    }

    fn query(&self) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("status", &self.status),
            ("priority", &self.priority),
            ("service", &self.service),
            ("team", &self.team),
            ("mine", &self.mine),
        ] {
            if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
                q.append_pair(k, v);
            }
        }
        q.finish()
    }
}

fn clock_label(s: Sla) -> &'static str {
    match s {
        Sla::Ack => "ack",
        Sla::Respond => "respond",
        Sla::Resolve => "resolve",
    }
}

/// An alert as lists and its page show it, at `now_ms`.
fn item(l: &Listed, now_ms: i64, zone: Option<&Zone>) -> AlertItem {
    let a = &l.row;
    let clocks = l
        .clocks
        .iter()
        .map(|c| {
            let start_ms = a.created_ms;
            let deadline_ms = c.due.timestamp_millis();
            let met = c.met_at.is_some();
            let elapsed = (now_ms - start_ms) as f64;
            let whole = (deadline_ms - start_ms).max(1) as f64;
            let state = if met {
                if c.met_at.is_some_and(|m| m.timestamp_millis() > deadline_ms) {
                    "breach"
                } else {
                    "met"
                }
            } else if now_ms >= deadline_ms {
                "breach"
            } else if elapsed >= 0.8 * whole {
                "warn"
            } else {
                "ok"
            };
            let left = match (met, state) {
                (true, "breach") => "missed".to_string(),
                (true, _) => "met".to_string(),
                (false, "breach") => format!("{} over", span(now_ms - deadline_ms)),
                _ => format!("{} left", span(deadline_ms - now_ms)),
            };
            SlaClock {
                label: clock_label(c.sla),
                start_ms,
                deadline_ms,
                met,
                state,
                left,
            }
        })
        .collect();
    AlertItem {
        id: a.id.clone(),
        priority: a.priority.as_str().to_string(),
        service: a.service.clone(),
        summary: a.summary.clone(),
        status: a.status.as_str().to_string(),
        created: When::at(a.created_ms, zone),
        age: span(now_ms - a.created_ms),
        paging: l.paging.join(", "),
        clocks,
        acked_by: l.acked_by.clone(),
    }
}

async fn rows_html(
    st: &AppState,
    v: &Viewer,
    q: &FilterQuery,
    zone: Option<&Zone>,
) -> Result<String, PageError> {
    let (list, total) = views::board(&st.store, &q.filter(v)?).await?;
    let now_ms = st.now().timestamp_millis();
    let rows = AlertRows {
        items: list.iter().map(|l| item(l, now_ms, zone)).collect(),
        shown: list.len(),
        total,
    };
    Ok(askama::Template::render(&rows)?)
}

pub async fn page(
    State(st): State<AppState>,
    v: Viewer,
    Query(q): Query<FilterQuery>,
) -> Result<Response, PageError> {
    let zone = viewer_zone(&st, &v).await;
    let rows = rows_html(&st, &v, &q, zone.as_ref()).await?;
    let services = crate::engine::directory::services(&st.store).await?;
    let mut teams: Vec<String> = services.iter().map(|s| s.team.clone()).collect();
    teams.sort();
    teams.dedup();
    let f = Filters {
        status: q
            .status
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "open".into()),
        priority: q.priority.clone().unwrap_or_default(),
        service: q.service.clone().unwrap_or_default(),
        team: q.team.clone().unwrap_or_default(),
        mine: q.mine.is_some(),
        query: q.query(),
        services: services.into_iter().map(|s| s.id).collect(),
        teams,
    };
    render(&AlertsPage {
        c: chrome(&st, &v, "Alerts", "alerts", zone.as_ref()),
        f,
        rows,
        flash: None,
    })
}

/// The list alone, for live refreshes.
pub async fn rows(
    State(st): State<AppState>,
    v: Viewer,
    Query(q): Query<FilterQuery>,
) -> Result<Response, PageError> {
    let zone = viewer_zone(&st, &v).await;
    Ok(axum::response::Html(rows_html(&st, &v, &q, zone.as_ref()).await?).into_response())
}

/// A timeline entry's detail as one line of text.
fn detail_text(d: &Value) -> String {
    match d {
        Value::Object(m) if m.is_empty() => String::new(),
        Value::Object(m) => match m.get("note").and_then(Value::as_str) {
            Some(t) => t.to_string(),
            None => m
                .iter()
                .take(6)
                .map(|(k, v)| match v {
                    Value::String(s) => format!("{k}: {s}"),
                    other => format!("{k}: {other}"),
                })
                .collect::<Vec<_>>()
                .join(" · "),
        },
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Only web links are shown as links.
fn web_link(href: &str) -> bool {
    url::Url::parse(href).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

pub async fn detail(
    State(st): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let zone = viewer_zone(&st, &v).await;
    let z = zone.as_ref();
    let d = views::detail(&st.store, &id).await?;
    let listed = views::listed(&st.store, d.alert.clone()).await?;
    let names = alerts::names(&st.store).await?;
    let now_ms = st.now().timestamp_millis();
    let a = item(&listed, now_ms, z);
    let details: Value = serde_json::from_str(&d.alert.details).unwrap_or(Value::Null);
    let fields = match details {
        Value::Object(m) => m
            .into_iter()
            .take(200)
            .map(|(k, v)| match v {
                Value::String(s) => (k, s),
                other => (k, serde_json::to_string_pretty(&other).unwrap_or_default()),
            })
            .collect(),
        Value::Null => Vec::new(),
        other => vec![("details".into(), other.to_string())],
    };
    let links: Value = serde_json::from_str(&d.alert.links).unwrap_or(Value::Null);
    let links = links
        .as_array()
        .map(|v| {
            v.iter()
                .filter_map(|l| {
                    let href = l.get("href")?.as_str()?.to_string();
                    web_link(&href).then(|| LinkItem {
                        text: l
                            .get("text")
                            .and_then(Value::as_str)
                            .unwrap_or(&href)
                            .to_string(),
                        href,
                    })
                })
                .take(50)
                .collect()
        })
        .unwrap_or_default();
    let page = AlertPage {
        c: chrome(
            &st,
            &v,
            &format!("{} {}", a.priority, a.summary),
            "alerts",
            z,
        ),
        open: d.alert.status.is_open(),
        source: d.alert.source.clone(),
        dedup_key: d.alert.dedup_key.clone(),
        count: d.alert.count,
        fields,
        links,
        timeline: d
            .log
            .iter()
            .map(|l| TimelineItem {
                at: When::at(l.at_ms, z),
                kind: l.kind.clone(),
                actor: alerts::shown(&l.actor, &names),
                text: detail_text(&l.detail),
            })
            .collect(),
        notifications: d
            .outbox
            .iter()
            .map(|o| NotificationItem {
                stage: o.stage + 1,
                person: o.person.clone().unwrap_or_default(),
                channel: o.channel.as_str().to_string(),
                address: o.address.clone(),
                status: o.status.as_str().to_string(),
                attempts: o.attempts,
                sent: o.sent_ms.map(|t| When::at(t, z)),
                error: o.last_error.clone().unwrap_or_default(),
            })
            .collect(),
        a,
        flash: None,
    };
    render(&page)
}

fn field<'a>(f: &'a [(String, String)], name: &str) -> Option<&'a str> {
    f.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn action_of(name: &str, text: Option<&str>) -> Result<Action, PageError> {
    Ok(match name {
        "ack" => Action::Ack,
        "resolve" => Action::Resolve,
        "escalate" => Action::Escalate,
        "note" => Action::Note(text.unwrap_or_default().to_string()),
        other => {
            return Err(PageError::new(
                StatusCode::NOT_FOUND,
                format!("There is no action \"{other}\"."),
            ));
        }
    })
}

fn back(f: &[(String, String)], default: &str) -> Response {
    let to = match field(f, "back") {
        Some(b) => safe_next(Some(b)),
        None => default.to_string(),
    };
    Redirect::to(&to).into_response()
}

pub async fn act(
    State(st): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    Posted { v, form: f }: Posted<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let action = action_of(&action, field(&f, "text"))?;
    alerts::act(
        &st.store,
        &st.cache,
        &id,
        action,
        &v.actor(),
        "console",
        st.now(),
    )
    .await?;
    st.dispatch.wake();
    st.console.alerts_changed();
    Ok(back(&f, &format!("/alerts/{}", urlencode(&id))))
}

/// Acknowledges or resolves every selected alert; those that moved on
/// already (resolved elsewhere) are skipped, and the page says how many.
pub async fn bulk(
    State(st): State<AppState>,
    Posted { v, form: f }: Posted<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f: Vec<(String, String)> = f.into_iter().take(2000).collect();
    let name = field(&f, "action").unwrap_or("");
    if !matches!(name, "ack" | "resolve") {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            "action: choose acknowledge or resolve",
        ));
    }
    let ids: Vec<&str> = f
        .iter()
        .filter(|(k, _)| k == "ids")
        .map(|(_, v)| v.as_str())
        .take(views::BOARD_MAX)
        .collect();
    for id in ids {
        let r = alerts::act(
            &st.store,
            &st.cache,
            id,
            action_of(name, None)?,
            &v.actor(),
            "console",
            st.now(),
        )
        .await;
        if let Err(e) = r {
            tracing::info!(alert = %id, error = %e, "bulk action skipped an alert");
        }
    }
    st.dispatch.wake();
    st.console.alerts_changed();
    Ok(back(&f, "/alerts"))
}
