//! What the API and the console show of alerts (reads only): lists, one
//! alert with its timeline and notifications, the pages a reply or a link
//! refers to.

use crate::engine::error::{Error, Result};
use crate::store::{AlertReads, AlertRow, LogRow, OutboxRow, Reads};

/// Alert statuses a list may filter by.
pub const STATUSES: [&str; 3] = ["triggered", "acknowledged", "resolved"];

/// Alerts, newest first (`limit` capped at 1000).
pub async fn list(
    db: &impl AlertReads,
    status: Option<&str>,
    service: Option<&str>,
    limit: u64,
) -> Result<Vec<AlertRow>> {
    if let Some(s) = status
        && !STATUSES.contains(&s)
    {
        return Err(Error::invalid(
            "status",
            "status is triggered, acknowledged or resolved",
        ));
    }
    Ok(db.list_alerts(status, service, limit.min(1000)).await?)
}

/// One alert, its timeline and its notifications.
pub struct Detail {
    pub alert: AlertRow,
    pub log: Vec<LogRow>,
    pub outbox: Vec<OutboxRow>,
}

pub async fn alert(db: &impl AlertReads, id: &str) -> Result<AlertRow> {
    db.load_alert(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("alert {id}")))
}

pub async fn detail(db: &impl AlertReads, id: &str) -> Result<Detail> {
    let alert = alert(db, id).await?;
    Ok(Detail {
        log: db.alert_log(id).await?,
        outbox: db.outbox_for(id).await?,
        alert,
    })
}

/// The alerts of these pages (each once, in id order; missing ones left out).
pub async fn alerts_of(db: &impl AlertReads, rows: &[OutboxRow]) -> Result<Vec<AlertRow>> {
    let mut ids: Vec<String> = rows.iter().map(|r| r.alert.clone()).collect();
    ids.sort();
    ids.dedup();
    Ok(db.load_alerts_by_ids(&ids).await?)
}

/// The pages one message carried (its bundle id).
pub async fn message(db: &impl AlertReads, bundle: &str) -> Result<Vec<OutboxRow>> {
    Ok(db.outbox_by_bundle(bundle).await?)
}

/// The pages sent to `address` with reply code `code`.
pub async fn by_code(db: &impl AlertReads, code: &str, address: &str) -> Result<Vec<OutboxRow>> {
    Ok(db.outbox_by_code(code, address).await?)
}

/// The person whose chat (Slack) user id this is.
pub async fn person_by_chat(db: &impl Reads, user: &str) -> Result<Option<String>> {
    Ok(db.person_by_chat(user).await?)
}

/// What the console's alert list filters by.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// open (triggered or acknowledged), triggered, acknowledged or resolved.
    pub status: String,
    pub priority: Option<crate::escalation::Priority>,
    pub service: Option<String>,
    pub team: Option<String>,
    /// Only alerts that paged this person or that they acknowledged.
    pub mine: Option<String>,
}

/// One alert as lists show it: its state machine, SLA clocks and who its
/// current stage pages.
pub struct Listed {
    pub row: AlertRow,
    /// Who acknowledged it, by name.
    pub acked_by: Option<String>,
    pub clocks: Vec<crate::escalation::SlaClock>,
    pub paging: Vec<String>,
}

/// Most alerts one list shows.
pub const BOARD_MAX: usize = 1000;

/// The alerts matching `f`, highest priority and newest first (at most
/// `BOARD_MAX`), and how many matched in all.
pub async fn board(db: &impl AlertReads, f: &Filter) -> Result<(Vec<Listed>, usize)> {
    let rows = match f.status.as_str() {
        "" | "open" => db.open_alerts(5000).await?,
        s if STATUSES.contains(&s) => db.list_alerts(Some(s), f.service.as_deref(), 1000).await?,
        _ => {
            return Err(Error::invalid(
                "status",
                "status is open, triggered, acknowledged or resolved",
            ));
        }
    };
    let mut out = annotate(db, rows, f).await?;
    let total = out.len();
    out.truncate(BOARD_MAX);
    Ok((out, total))
}

/// One alert with its clocks and who is being paged.
pub async fn listed(db: &impl AlertReads, row: AlertRow) -> Result<Listed> {
    let f = Filter {
        status: "any".into(),
        ..Filter::default()
    };
    annotate(db, vec![row.clone()], &f)
        .await?
        .pop()
        .ok_or_else(|| Error::NotFound(format!("alert {}", row.id)))
}

/// The rows that pass `f`, each with its clocks and who is being paged.
async fn annotate(db: &impl AlertReads, rows: Vec<AlertRow>, f: &Filter) -> Result<Vec<Listed>> {
    use crate::escalation::State;
    let services = db.load_services().await?;
    let names = super::names(db).await?;
    let team_of = |svc: &str| {
        services
            .iter()
            .find(|s| s.id == svc)
            .map(|s| s.team.as_str())
    };
    let mut policies = std::collections::HashMap::new();
    for s in &services {
        if let Ok(p) = super::policy::service_policy(s.clone()) {
            policies.insert(s.id.clone(), p.policy);
        }
    }
    let mut paged: std::collections::HashMap<String, Vec<(i64, String)>> = Default::default();
    for (alert, stage, person) in db.pages_of_open_alerts().await? {
        if let Some(p) = person {
            paged.entry(alert).or_default().push((stage, p));
        }
    }
    let mut out = Vec::new();
    for row in rows {
        if f.status == "open" && row.status == State::Resolved
            || f.priority.is_some_and(|p| p != row.priority)
            || f.service.as_ref().is_some_and(|s| *s != row.service)
            || f.team
                .as_ref()
                .is_some_and(|t| team_of(&row.service) != Some(t))
        {
            continue;
        }
        let state = super::policy::parse_state(&row).ok();
        let pages = paged.get(&row.id);
        if let Some(me) = &f.mine {
            let acked = row
                .ack_by
                .as_deref()
                .is_some_and(|b| b == me || b.starts_with(&format!("{me} ")));
            let was_paged = pages.is_some_and(|v| v.iter().any(|(_, p)| p == me));
            if !acked && !was_paged {
                continue;
            }
        }
        let mut paging: Vec<String> = match (&state, pages) {
            (Some(s), Some(v)) if row.status == State::Triggered => v
                .iter()
                .filter(|(stage, _)| *stage == s.stage as i64)
                .map(|(_, p)| p.clone())
                .collect(),
            _ => Vec::new(),
        };
        paging.sort();
        paging.dedup();
        let clocks = match (&state, policies.get(&row.service)) {
            (Some(s), Some(p)) => crate::escalation::sla_clocks(s, p).to_vec(),
            _ => Vec::new(),
        };
        let acked_by = row.ack_by.as_deref().map(|a| super::shown(a, &names));
        out.push(Listed {
            row,
            acked_by,
            clocks,
            paging,
        });
    }
    Ok(out)
}

/// Open alerts by priority, P1 first.
pub async fn open_counts(db: &impl AlertReads) -> Result<[usize; 4]> {
    let mut n = [0usize; 4];
    for (level, count) in db.open_counts().await? {
        let p = crate::escalation::Priority::from_level(level);
        n[p.index()] += usize::try_from(count).unwrap_or(0);
    }
    Ok(n)
}

/// A number that changes whenever any alert does (its timeline grows).
pub async fn stamp(db: &impl AlertReads) -> Result<i64> {
    Ok(db.alerts_stamp().await?)
}

/// People's names by handle, to show actors with (one query).
pub async fn names(db: &impl Reads) -> Result<std::collections::HashMap<String, String>> {
    Ok(db
        .load_people()
        .await?
        .into_iter()
        .map(|p| (p.handle, p.name))
        .collect())
}

/// An actor as people read it: a person's name for "carol", "carol
/// (tok_…)" or "carol (console)"; integrations and tokens as recorded.
pub fn shown(actor: &str, names: &std::collections::HashMap<String, String>) -> String {
    let handle = actor.split(" (").next().unwrap_or(actor);
    names
        .get(handle)
        .cloned()
        .unwrap_or_else(|| actor.to_string())
}

/// The name to show for an actor as alerts record it: a person's handle
/// ("carol", or "carol (tok_…)" for a token acting for them) becomes their
/// name; integrations and tokens stay as they are.
pub async fn actor_name(db: &impl Reads, actor: &str) -> Result<String> {
    let handle = actor.split(" (").next().unwrap_or(actor);
    Ok(match db.load_person(handle).await? {
        Some(p) => p.name,
        None => actor.to_string(),
    })
}
