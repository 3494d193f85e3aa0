//! Reports (reads only): MTTA, MTTR, SLA attainment and breach rate per
//! priority, pages per person (business, off and sleep hours in the
//! person's zone); and the database's part of `/metrics`, so every
//! instance reports the same totals.

use super::error::Result;
use crate::escalation::{Priority, Sla};
use crate::rota::Instant;
use crate::store::{AlertReads, Reads};
use chrono::{Datelike, Timelike};
use serde::Serialize;
use std::collections::BTreeMap;

/// One priority's figures over the window.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PriorityStats {
    pub alerts: usize,
    pub acknowledged: usize,
    pub resolved: usize,
    pub mtta_secs: Option<f64>,
    pub median_tta_secs: Option<f64>,
    pub mttr_secs: Option<f64>,
    pub median_ttr_secs: Option<f64>,
    /// Acknowledged within the acknowledge target, of the alerts whose
    /// acknowledge target is decided (acknowledged, or past the target);
    /// an open alert still inside its target counts neither way.
    pub ack_sla_attainment: Option<f64>,
    /// How many alerts `ack_sla_attainment` counts.
    pub ack_sla_counted: usize,
    /// Alerts that breached any target, of the alerts that are decided
    /// (breached one, or resolved within all of them).
    pub breach_rate: Option<f64>,
    /// How many alerts `breach_rate` counts.
    pub breach_counted: usize,
}

/// Pages per person: `total`, `business`, `off` and `sleep`.
pub type PagesPerPerson = BTreeMap<String, BTreeMap<&'static str, usize>>;

#[derive(Debug)]
pub struct Report {
    pub by_priority: BTreeMap<&'static str, PriorityStats>,
    pub pages_per_person: PagesPerPerson,
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    Some(v[v.len() / 2])
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// business (Mon–Fri 09–18), sleep (22–07) or off, at `ms` in zone `tz`.
pub fn hours_kind(ms: i64, tz: crate::tz::Zone) -> &'static str {
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

/// An alert as the report reads it: its service, priority, creation and
/// outcome (parsed once, however many figures use it).
struct Fact {
    service: String,
    priority: Priority,
    created_ms: i64,
    state: Outcome,
}

/// The part of a stored state (`escalation::Alert`, JSON) a report uses:
/// reading only these fields (serde skips the rest without building them)
/// takes about half the time of reading the whole state, and a report
/// reads one per alert in its window.
#[derive(serde::Deserialize)]
struct Outcome {
    acked_at: Option<Instant>,
    resolved_at: Option<Instant>,
    breached: Vec<Sla>,
}

/// One priority's figures from its alerts.
fn stats(list: &[&Fact]) -> PriorityStats {
    let (mut tta, mut ttr) = (Vec::new(), Vec::new());
    let (mut met, mut breached) = (0usize, 0usize);
    let (mut ack_decided, mut breach_decided) = (0usize, 0usize);
    for f in list {
        let (s, created) = (&f.state, f.created_ms);
        let ack = s.acked_at.or(s.resolved_at).map(|x| x.timestamp_millis());
        // The state machine records a breach of the service's own ack
        // target when it passes (a late acknowledgement catches up
        // first), so "met" is acknowledged without an ack breach, and an
        // alert neither acknowledged nor breached is still undecided.
        if let Some(x) = ack {
            tta.push((x - created) as f64 / 1000.0);
            if !s.breached.contains(&Sla::Ack) {
                met += 1;
            }
        }
        if ack.is_some() || s.breached.contains(&Sla::Ack) {
            ack_decided += 1;
        }
        if let Some(r) = s.resolved_at {
            ttr.push((r.timestamp_millis() - created) as f64 / 1000.0);
        }
        if !s.breached.is_empty() {
            breached += 1;
        }
        if !s.breached.is_empty() || s.resolved_at.is_some() {
            breach_decided += 1;
        }
    }
    let share = |k: usize, of: usize| (of > 0).then(|| k as f64 / of as f64);
    PriorityStats {
        alerts: list.len(),
        acknowledged: tta.len(),
        resolved: ttr.len(),
        mtta_secs: mean(&tta),
        median_tta_secs: median(&mut tta),
        mttr_secs: mean(&ttr),
        median_ttr_secs: median(&mut ttr),
        ack_sla_attainment: share(met, ack_decided),
        ack_sla_counted: ack_decided,
        breach_rate: share(breached, breach_decided),
        breach_counted: breach_decided,
    }
}

/// The alerts created in `[from, to)`, of `team`'s services when given;
/// one whose stored state does not read is left out, with a log line.
async fn facts_of(
    db: &(impl Reads + AlertReads),
    from: Instant,
    to: Instant,
    team: Option<&str>,
) -> Result<Vec<Fact>> {
    let (f, t) = (from.timestamp_millis(), to.timestamp_millis());
    let mut rows = db.alert_facts_between(f, t).await?;
    if let Some(team) = team {
        let mine: std::collections::HashSet<String> = db
            .load_services()
            .await?
            .into_iter()
            .filter(|s| s.team == team)
            .map(|s| s.id)
            .collect();
        rows.retain(|a| mine.contains(&a.service));
    }
    Ok(rows
        .into_iter()
        .filter_map(|r| match serde_json::from_str(&r.state) {
            Ok(state) => Some(Fact {
                service: r.service,
                priority: r.priority,
                created_ms: r.created_ms,
                state,
            }),
            Err(e) => {
                tracing::warn!(alert = %r.id, error = %e, "an alert's stored state does not read: left out of the report");
                None
            }
        })
        .collect())
}

fn by_priority(alerts: &[&Fact]) -> BTreeMap<&'static str, PriorityStats> {
    let mut per: BTreeMap<Priority, Vec<&Fact>> = BTreeMap::new();
    for a in alerts {
        per.entry(a.priority).or_default().push(a);
    }
    per.into_iter()
        .map(|(p, list)| (p.as_str(), stats(&list)))
        .collect()
}

/// One week's figures (weeks start on Monday 00:00 UTC).
pub struct WeekStats {
    pub start: Instant,
    pub by_priority: BTreeMap<&'static str, PriorityStats>,
}

/// The figures week by week, and the alert volume per service.
pub struct Trends {
    pub weeks: Vec<WeekStats>,
    pub by_service: BTreeMap<String, usize>,
}

/// Weekly figures over `[from, to)` (the first week starts on the Monday
/// on or before `from`) from `facts` (created from that Monday on).
fn trends_of(facts: &[Fact], from: Instant, to: Instant, first: Instant) -> Trends {
    let mut by_service: BTreeMap<String, usize> = BTreeMap::new();
    for a in facts
        .iter()
        .filter(|a| a.created_ms >= from.timestamp_millis())
    {
        *by_service.entry(a.service.clone()).or_default() += 1;
    }
    let mut weeks = Vec::new();
    let mut start = first;
    while start < to && weeks.len() < 60 {
        let end = start + chrono::Duration::weeks(1);
        let (a, b) = (start.timestamp_millis(), end.timestamp_millis());
        let list: Vec<&Fact> = facts
            .iter()
            .filter(|x| x.created_ms >= a && x.created_ms < b)
            .collect();
        weeks.push(WeekStats {
            start,
            by_priority: by_priority(&list),
        });
        start = end;
    }
    Trends { weeks, by_service }
}

/// The report and the weekly trends for alerts created in `[from, to)`,
/// of `team`'s services when given (pages per person then count only
/// `people`), reading the alerts once.
pub async fn overview(
    db: &(impl Reads + AlertReads),
    from: Instant,
    to: Instant,
    team: Option<&str>,
    people: Option<&[String]>,
) -> Result<(Report, Trends)> {
    let day = from.date_naive();
    let monday = day - chrono::Duration::days(day.weekday().num_days_from_monday() as i64);
    let first = monday.and_time(chrono::NaiveTime::MIN).and_utc();
    let facts = facts_of(db, first, to, team).await?;
    let trends = trends_of(&facts, from, to, first);
    let inside: Vec<&Fact> = facts
        .iter()
        .filter(|a| a.created_ms >= from.timestamp_millis())
        .collect();
    let report = finish(db, from, to, by_priority(&inside), people).await?;
    Ok((report, trends))
}

/// The report for alerts created in `[from, to)`, of `team`'s services
/// when given (pages per person then count only `people`).
pub async fn report(
    db: &(impl Reads + AlertReads),
    from: Instant,
    to: Instant,
    team: Option<&str>,
    people: Option<&[String]>,
) -> Result<Report> {
    let facts = facts_of(db, from, to, team).await?;
    let by_priority = by_priority(&facts.iter().collect::<Vec<_>>());
    finish(db, from, to, by_priority, people).await
}

/// The report from its per-priority figures and the pages sent in the window.
async fn finish(
    db: &(impl Reads + AlertReads),
    from: Instant,
    to: Instant,
    by_priority: BTreeMap<&'static str, PriorityStats>,
    people: Option<&[String]>,
) -> Result<Report> {
    let (f, t) = (from.timestamp_millis(), to.timestamp_millis());
    let zones: BTreeMap<String, Option<String>> = db
        .load_people()
        .await?
        .into_iter()
        .map(|p| (p.handle, p.timezone))
        .collect();
    let mut pages: PagesPerPerson = BTreeMap::new();
    for o in db.outbox_sent_between(f, t).await? {
        let Some(person) = o.person else { continue };
        if people.is_some_and(|p| !p.contains(&person)) {
            continue;
        }
        let tz = zones
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
    Ok(Report {
        by_priority,
        pages_per_person: pages,
    })
}

/// The database's metrics in Prometheus text: alerts and notifications by
/// status, notifications sent by channel, pages that reached nobody.
pub async fn metrics_text(db: &impl AlertReads, now_ms: i64) -> Result<String> {
    let mut out = String::new();
    let (pending, due, oldest) = db.outbox_backlog(now_ms).await?;
    out.push_str(&format!(
        "# HELP vigil_outbox_pending Notifications waiting to be sent (due or later).\n# TYPE vigil_outbox_pending gauge\nvigil_outbox_pending {pending}\n\
         # HELP vigil_outbox_due Notifications due now and not yet sent.\n# TYPE vigil_outbox_due gauge\nvigil_outbox_due {due}\n\
         # HELP vigil_outbox_oldest_due_age_seconds How long the longest-waiting due notification has waited (0 when none).\n# TYPE vigil_outbox_oldest_due_age_seconds gauge\nvigil_outbox_oldest_due_age_seconds {}\n",
        oldest.map_or(0.0, |o| (now_ms - o).max(0) as f64 / 1000.0)
    ));
    out.push_str("# HELP vigil_leases Live leases on notifications and handoff notices, by holding instance.\n# TYPE vigil_leases gauge\n");
    for (kind, owner, n) in db.lease_holders(now_ms).await? {
        let owner = owner
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', " ");
        out.push_str(&format!(
            "vigil_leases{{kind=\"{kind}\",instance=\"{owner}\"}} {n}\n"
        ));
    }
    out.push_str("# HELP vigil_alerts Alerts by status.\n# TYPE vigil_alerts gauge\n");
    let counts = db.counts().await?;
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
    for (c, n) in db.sent_by_channel().await? {
        out.push_str(&format!(
            "vigil_notifications_sent_total{{channel=\"{c}\"}} {n}\n"
        ));
    }
    out.push_str("# HELP vigil_pages_to_nobody_total Ladder stages that resolved to nobody (stage_empty) and alerts whose whole ladder did, so the fallback was paged (ladder_empty).\n# TYPE vigil_pages_to_nobody_total counter\n");
    let empty = db.empty_page_counts().await?;
    for kind in ["stage_empty", "ladder_empty"] {
        let n = empty.iter().find(|(k, _)| k == kind).map_or(0, |(_, n)| *n);
        out.push_str(&format!(
            "vigil_pages_to_nobody_total{{kind=\"{kind}\"}} {n}\n"
        ));
    }
    Ok(out)
}

/// The people on `team`'s rotas (whose pages a team's report counts).
pub async fn team_people(
    store: &crate::store::Store,
    cache: &super::RotaCache,
    team: &str,
) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for r in store.load_rotas(Some(team)).await? {
        if let Some(l) = cache.load(store, &r.team, &r.name).await? {
            for p in &l.rota.people {
                if !out.contains(&p.id) {
                    out.push(p.id.clone());
                }
            }
        }
    }
    Ok(out)
}

/// Hours on call per person over `[from, to)` across `team`'s rotas (every
/// rota when None), each person's layers merged within a rota.
pub async fn oncall_hours(
    store: &crate::store::Store,
    cache: &super::RotaCache,
    team: Option<&str>,
    from: Instant,
    to: Instant,
) -> Result<BTreeMap<String, f64>> {
    let mut out: BTreeMap<String, f64> = BTreeMap::new();
    for r in store.load_rotas(team).await? {
        if let Some(l) = cache.load(store, &r.team, &r.name).await? {
            for row in crate::rota::fairness::fairness_between(&l.rota, from, to) {
                if row.total_hours > 0.0 {
                    *out.entry(row.person).or_default() += row.total_hours;
                }
            }
        }
    }
    Ok(out)
}
