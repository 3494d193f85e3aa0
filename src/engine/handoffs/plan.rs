//! Planning handoff notices (IO around the pure planner in
//! `delivery::handoff`): every rota's coming shifts give reminders, "on
//! call now" and "handed to" notices (unless the rota turns them off), a
//! post in the rota's Slack channel and an update of its Slack user group
//! at each handoff, and a notice to the lead when a handoff is not
//! acknowledged in time; coverage problems give warnings to the lead.

use super::shifts_of;
use crate::delivery::handoff;
use crate::engine::RotaCache;
use crate::engine::error::Result;
use crate::rota::Instant;
use crate::store::{AlertReads, HandoffRow, Reads, Store};
use std::collections::{BTreeSet, HashMap, HashSet};

/// A notice whose moment passed longer ago than this is not sent late.
pub const GRACE_MS: i64 = 10 * 60_000;
/// Shifts starting this long after the longest lead are planned ahead.
const HORIZON_MS: i64 = 2 * 3_600_000;
/// The longest reminder lead time allowed (rota or person).
const LONGEST_LEAD_MS: i64 = 7 * 86_400_000;

fn ms(t: Instant) -> i64 {
    t.timestamp_millis()
}

/// A person's own reminder lead times (their `handoff` rule), if set.
async fn own_leads(store: &Store, person: &str) -> Result<Option<Vec<i64>>> {
    let Some(text) = store.load_person_rules(person).await? else {
        return Ok(None);
    };
    match serde_json::from_str::<crate::escalation::rules::RulesSpec>(&text) {
        Ok(spec) => Ok(crate::escalation::rules::handoff_leads(&spec)
            .map(|l| l.iter().map(|d| d.num_milliseconds()).collect())),
        Err(e) => {
            tracing::warn!(person, error = %e, "stored notification rules do not read: the rota's reminder times apply");
            Ok(None)
        }
    }
}

/// Plans the notices of every rota's shifts starting soon; returns how
/// many were planned (rows already written are left alone).
pub async fn plan_upcoming(store: &Store, cache: &RotaCache, now: Instant) -> Result<usize> {
    let from = now - chrono::Duration::days(8);
    let to = now + chrono::Duration::milliseconds(LONGEST_LEAD_MS + HORIZON_MS + 1);
    let mut own: HashMap<String, Option<Vec<i64>>> = HashMap::new();
    let mut rows = Vec::new();
    for r in store.load_rotas(None).await? {
        let Some(l) = cache.load(store, &r.team, &r.name).await? else {
            continue;
        };
        let set = &l.rota.handoffs;
        let lead = store.load_team(&r.team).await?.and_then(|t| t.lead);
        let key = format!("{}/{}", r.team, r.name);
        let shifts = shifts_of(&l, from, to);
        for s in &shifts {
            if !own.contains_key(&s.person) {
                let leads = own_leads(store, &s.person).await?;
                own.insert(s.person.clone(), leads);
            }
        }
        let default: Vec<i64> = set
            .remind_before
            .iter()
            .map(|d| d.num_milliseconds())
            .collect();
        let leads_of = |p: &str| {
            own.get(p)
                .cloned()
                .flatten()
                .unwrap_or_else(|| default.clone())
        };
        let row = |p: &handoff::Planned, id: String, person: &str, kind: &str, other, due_ms| {
            HandoffRow {
                id,
                team: r.team.clone(),
                rota: r.name.clone(),
                layer: p.layer.clone(),
                person: person.to_string(),
                kind: kind.into(),
                start_ms: p.start_ms,
                end_ms: p.end_ms,
                other,
                due_ms,
            }
        };
        let mut group_at = BTreeSet::new();
        for p in handoff::plan(&key, &shifts, &leads_of, ms(now), GRACE_MS, HORIZON_MS) {
            if p.kind == "start" {
                if set.slack_channel.is_some() {
                    let id = crate::ids::hash(&format!("{}/channel", p.id));
                    rows.push(row(
                        &p,
                        id,
                        &p.person,
                        "channel",
                        p.other.clone(),
                        p.start_ms,
                    ));
                }
                if set.slack_usergroup.is_some() {
                    group_at.insert(p.start_ms);
                }
                // The lead hears of a handoff nobody acknowledged.
                if let (true, Some(lead), Some(within)) = (set.notices, &lead, set.ack_within)
                    && *lead != p.person
                {
                    let id = crate::ids::hash(&format!("{}/unacked", p.id));
                    let due = p.start_ms + within.num_milliseconds();
                    rows.push(row(&p, id, lead, "unacked", Some(p.person.clone()), due));
                }
            }
            if set.notices {
                let id = p.id.clone();
                rows.push(row(&p, id, &p.person, &p.kind, p.other.clone(), p.due_ms));
            }
        }
        // One user group update per handoff instant of the rota.
        for at in group_at {
            rows.push(HandoffRow {
                id: crate::ids::hash(&format!("{key}/usergroup/{at}")),
                team: r.team.clone(),
                rota: r.name.clone(),
                layer: String::new(),
                person: String::new(),
                kind: "usergroup".into(),
                start_ms: at,
                end_ms: at,
                other: None,
                due_ms: at,
            });
        }
    }
    let mut seen = HashSet::new();
    rows.retain(|r| seen.insert(r.id.clone()));
    let n = rows.len();
    store.plan_handoffs(&rows, ms(now)).await?;
    Ok(n)
}

/// How far ahead coverage is checked for warnings to the lead.
pub const COVERAGE_DAYS: i64 = 14;

/// Plans a warning to the team's lead for each service whose ladder would
/// reach nobody in the next 14 days: once per problem (a ladder naming
/// something missing, or a gap, keyed by its start while it is ahead and
/// by its end once it has begun), not once per check.
pub async fn plan_coverage_warnings(
    store: &Store,
    cache: &RotaCache,
    now: Instant,
) -> Result<usize> {
    let window = crate::rota::Interval::new(now, now + chrono::Duration::days(COVERAGE_DAYS));
    let found = crate::engine::ladders::coverage(store, cache, window).await?;
    let mut rows = Vec::new();
    for u in found {
        let Some(lead) = store.load_team(&u.team).await?.and_then(|t| t.lead) else {
            tracing::warn!(service = %u.service, team = %u.team, "a service reaches nobody and its team has no lead to warn");
            continue;
        };
        let (key, start, end, what) = match (&u.problem, u.gaps.first()) {
            (Some(p), _) => (format!("problem/{p}"), ms(now), ms(now), p.clone()),
            (None, Some(g)) => {
                let (s, e) = (ms(g.start), ms(g.end));
                let key = if s > ms(now) {
                    format!("gap-from/{s}")
                } else if e < ms(window.end) {
                    format!("gap-until/{e}")
                } else {
                    "gap-all".to_string()
                };
                (key, s, e, String::new())
            }
            (None, None) => continue,
        };
        rows.push(HandoffRow {
            id: crate::ids::hash(&format!("coverage/{}/{key}", u.service)),
            team: u.team.clone(),
            rota: String::new(),
            layer: String::new(),
            person: lead,
            kind: "coverage".into(),
            start_ms: start,
            end_ms: end,
            other: Some(format!("{}|{what}", u.service)),
            due_ms: ms(now),
        });
    }
    let n = rows.len();
    store.plan_handoffs(&rows, ms(now)).await?;
    Ok(n)
}
