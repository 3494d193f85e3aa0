//! Reports and metrics: MTTA, MTTR, SLA attainment and breach rate per
//! priority, pages per person (business, off and sleep hours in the
//! person's zone), over the API; and Prometheus text at `/metrics`.

use super::auth::Principal;
use super::error::ApiError;
use super::state::AppState;
use super::time::instant;
use crate::escalation::{Priority, Sla};
use crate::store::{AlertReads as _, Reads as _};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use chrono::{Datelike, Timelike};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

#[derive(Deserialize)]
pub struct Range {
    from: Option<String>,
    to: Option<String>,
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    Some(v[v.len() / 2])
}

/// business (Mon–Fri 09–18), sleep (22–07) or off, at `ms` in zone `tz`.
fn hours_kind(ms: i64, tz: crate::tz::Zone) -> &'static str {
    let Some(t) = chrono::DateTime::from_timestamp_millis(ms) else {
        return "off";
    };
    let l = t.with_timezone(&tz);
    let h = l.hour();
    let (wake, sleep) = crate::escalation::rules::WAKING_HOURS;
    if !(wake..sleep).contains(&h) {
        "sleep"
    } else if l.weekday().number_from_monday() <= 5 && (9..18).contains(&h) {
        "business"
    } else {
        "off"
    }
}

#[utoipa::path(get, path = "/api/v1/reports", tag = "alerts", params(("from" = Option<String>, Query, description = "RFC 3339 (default 30 days ago)"), ("to" = Option<String>, Query, description = "RFC 3339 (default now)")), responses((status = 200, description = "MTTA, MTTR, SLA attainment and breach rate per priority; pages per person", body = Value)), security(("bearer" = [])))]
pub async fn report(
    State(st): State<AppState>,
    _p: Principal,
    Query(q): Query<Range>,
) -> Result<Json<Value>, ApiError> {
    let now = st.now();
    let from = q.from.as_deref().map(|v| instant("from", v)).transpose()?;
    let to =
        q.to.as_deref()
            .map(|v| instant("to", v))
            .transpose()?
            .unwrap_or(now);
    let from = from.unwrap_or(to - chrono::Duration::days(30));
    if to <= from {
        return Err(ApiError::bad_request("to must be after from").field("to"));
    }
    let (f, t) = (from.timestamp_millis(), to.timestamp_millis());
    let alerts = st.store.alerts_created_between(f, t).await?;
    let mut per: BTreeMap<i64, Vec<&crate::store::AlertRow>> = BTreeMap::new();
    for a in &alerts {
        per.entry(a.priority).or_default().push(a);
    }
    let mut by_priority = serde_json::Map::new();
    for (p, list) in per {
        let prio = Priority::from_level(p);
        let (mut tta, mut ttr) = (Vec::new(), Vec::new());
        let (mut met, mut breached) = (0usize, 0usize);
        for a in &list {
            let Ok(s) = crate::engine::alerts::parse_state(a) else {
                continue;
            };
            let created = a.created_ms;
            let ack = s.acked_at.or(s.resolved_at).map(|x| x.timestamp_millis());
            // The state machine records a breach of the service's own ack
            // target (a late acknowledgement catches up first), so "met" is
            // acknowledged without an ack breach.
            if let Some(x) = ack {
                tta.push((x - created) as f64 / 1000.0);
                if !s.breached.contains(&Sla::Ack) {
                    met += 1;
                }
            }
            if let Some(r) = s.resolved_at {
                ttr.push((r.timestamp_millis() - created) as f64 / 1000.0);
            }
            if !s.breached.is_empty() {
                breached += 1;
            }
        }
        let n = list.len();
        let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
        by_priority.insert(
            prio.as_str().into(),
            json!({
                "alerts": n,
                "acknowledged": tta.len(),
                "resolved": ttr.len(),
                "mtta_secs": mean(&tta), "median_tta_secs": median(&mut tta.clone()),
                "mttr_secs": mean(&ttr), "median_ttr_secs": median(&mut ttr.clone()),
                "ack_sla_attainment": if n > 0 { Some(met as f64 / n as f64) } else { None },
                "breach_rate": if n > 0 { Some(breached as f64 / n as f64) } else { None },
            }),
        );
    }
    let people: BTreeMap<String, Option<String>> = st
        .store
        .load_people()
        .await?
        .into_iter()
        .map(|p| (p.handle, p.timezone))
        .collect();
    let mut pages: BTreeMap<String, BTreeMap<&str, usize>> = BTreeMap::new();
    for o in st.store.outbox_sent_between(f, t).await? {
        let Some(person) = o.person else { continue };
        let tz = people
            .get(&person)
            .cloned()
            .flatten()
            .and_then(|z| z.parse::<crate::tz::Zone>().ok())
            .unwrap_or(crate::tz::Zone::utc());
        let e = pages.entry(person).or_default();
        *e.entry("total").or_default() += 1;
        *e.entry(hours_kind(o.sent_ms.unwrap_or(o.due_ms), tz))
            .or_default() += 1;
    }
    Ok(Json(json!({
        "from": super::time::utc(from), "to": super::time::utc(to),
        "by_priority": by_priority,
        "pages_per_person": pages,
    })))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct CoverageQuery {
    /// How far ahead to look, 1–90 days (default 14).
    days: Option<i64>,
}

/// Services whose ladder resolves to nobody at some instant of the coming
/// days, with the instants (rota gaps and restrictions included).
#[utoipa::path(get, path = "/api/v1/coverage", tag = "alerts", params(CoverageQuery), responses((status = 200, description = "services that would page nobody, with when", body = Value), (status = 400, description = "days out of range", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn coverage(
    State(st): State<AppState>,
    _p: Principal,
    Query(q): Query<CoverageQuery>,
) -> Result<Json<Value>, ApiError> {
    let days = q.days.unwrap_or(14);
    if !(1..=90).contains(&days) {
        return Err(ApiError::bad_request("days is 1 to 90").field("days"));
    }
    let now = st.now();
    let window = crate::rota::Interval::new(now, now + chrono::Duration::days(days));
    let found = crate::engine::ladders::coverage(&st.store, &st.cache, window).await?;
    Ok(Json(json!({
        "from": super::time::utc(window.start), "to": super::time::utc(window.end),
        "services": found.iter().map(|u| json!({
            "service": u.service, "team": u.team, "problem": u.problem,
            "gaps": u.gaps.iter().map(|g| json!({ "start": super::time::utc(g.start), "end": super::time::utc(g.end) })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })))
}

/// `GET /metrics`: Prometheus text exposition, rendered from the database
/// so every instance reports the same totals.
pub async fn metrics(State(st): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let mut out = st.metrics.render();
    out.push_str("# HELP vigil_alerts Alerts by status.\n# TYPE vigil_alerts gauge\n");
    let counts = st.store.counts().await?;
    for (_, s, n) in counts.iter().filter(|(t, _, _)| t == "alerts") {
        out.push_str(&format!("vigil_alerts{{status=\"{s}\"}} {n}\n"));
    }
    out.push_str(
        "# HELP vigil_notifications Notifications by status.\n# TYPE vigil_notifications gauge\n",
    );
    for (_, s, n) in counts.iter().filter(|(t, _, _)| t == "outbox") {
        out.push_str(&format!("vigil_notifications{{status=\"{s}\"}} {n}\n"));
    }
    out.push_str("# HELP vigil_notifications_sent_total Notifications sent, by channel.\n# TYPE vigil_notifications_sent_total counter\n");
    for (c, n) in st.store.sent_by_channel().await? {
        out.push_str(&format!(
            "vigil_notifications_sent_total{{channel=\"{c}\"}} {n}\n"
        ));
    }
    out.push_str("# HELP vigil_pages_to_nobody_total Ladder stages that resolved to nobody (stage_empty) and alerts whose whole ladder did, so the fallback was paged (ladder_empty).\n# TYPE vigil_pages_to_nobody_total counter\n");
    let empty = st.store.empty_page_counts().await?;
    for kind in ["stage_empty", "ladder_empty"] {
        let n = empty.iter().find(|(k, _)| k == kind).map_or(0, |(_, n)| *n);
        out.push_str(&format!(
            "vigil_pages_to_nobody_total{{kind=\"{kind}\"}} {n}\n"
        ));
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out))
}
