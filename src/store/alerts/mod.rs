//! Services, integration keys, alerts, their timelines and the outbox.
//!
//! Alert writes use `Store::tx_quiet`: they do not bump the change counter
//! the rota caches watch, and on PostgreSQL they lock only the rows they
//! touch (`FOR UPDATE`, and `SKIP LOCKED` where a worker claims due work),
//! so several instances and many alerts proceed in parallel.

pub(crate) mod deferred;
mod reads;
mod writes;

pub use deferred::Memo;
pub use reads::AlertReads;

use super::rows::{i, os, s};
use super::{Result, StoreError};
use crate::escalation::rules::Channel;
use crate::escalation::{Priority, State};
use sea_orm::{QueryResult, Value};

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ServiceRow {
    pub id: String,
    pub team: String,
    pub name: String,
    /// The ladder as written (JSON of `LadderSpec`).
    pub ladder: String,
    /// SLA target overrides (JSON of `TargetsSpec`), if any.
    pub targets: Option<String>,
    pub heartbeat_secs: Option<i64>,
    pub heartbeat_due_ms: Option<i64>,
    /// Maintenance windows, JSON `[[start_ms, end_ms], …]`.
    pub maintenance: String,
    /// "file:NAME.toml" when declared in a rota file, None when made over the API.
    pub origin: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KeyRow {
    pub id: String,
    pub service: String,
    pub kind: String,
}

/// Where a notification is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxStatus {
    Pending,
    Sent,
    Failed,
    Cancelled,
}

impl OutboxStatus {
    pub const ALL: [OutboxStatus; 4] = [
        OutboxStatus::Pending,
        OutboxStatus::Sent,
        OutboxStatus::Failed,
        OutboxStatus::Cancelled,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Failed => "failed",
            OutboxStatus::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<OutboxStatus> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// What a report reads of an alert.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertFacts {
    pub id: String,
    pub service: String,
    pub priority: Priority,
    /// The state machine's `Alert`, as JSON.
    pub state: String,
    pub created_ms: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlertRow {
    pub id: String,
    pub service: String,
    pub dedup_key: String,
    pub priority: Priority,
    pub summary: String,
    pub details: String,
    pub source: String,
    pub links: String,
    pub status: State,
    /// The state machine's `Alert`, as JSON.
    pub state: String,
    pub suppressed: bool,
    pub count: i64,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub last_seen_ms: i64,
    pub next_due_ms: Option<i64>,
    pub ack_by: Option<String>,
    pub ack_via: Option<String>,
    pub resolved_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub id: String,
    pub alert: String,
    pub stage: i64,
    pub round: i64,
    pub person: Option<String>,
    pub channel: Channel,
    pub address: String,
    pub priority: Priority,
    pub code: String,
    pub due_ms: i64,
    pub status: OutboxStatus,
    pub attempts: i64,
    pub provider_id: Option<String>,
    pub last_error: Option<String>,
    pub created_ms: i64,
    pub sent_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LogRow {
    pub at_ms: i64,
    pub kind: String,
    pub actor: String,
    pub detail: serde_json::Value,
}

const SERVICE_COLS: &str =
    "id, team, name, ladder, targets, heartbeat_secs, heartbeat_due_ms, maintenance, origin";
const ALERT_COLS: &str = "id, service, dedup_key, priority, summary, details, source, links, status, state, suppressed, count, created_ms, updated_ms, last_seen_ms, next_due_ms, ack_by, ack_via, resolved_by";
const OUTBOX_COLS: &str = "id, alert, stage, round, person, channel, address, priority, code, due_ms, status, attempts, provider_id, last_error, created_ms, sent_ms";

/// A text column read as its type, or `StoreError::Corrupt`.
fn parsed<T>(r: &QueryResult, c: &'static str, parse: fn(&str) -> Option<T>) -> Result<T> {
    let v = s(r, c)?;
    parse(&v).ok_or(StoreError::Corrupt {
        column: c,
        value: v,
    })
}

/// Priorities are stored as their level, 1–4.
fn priority(r: &QueryResult) -> Result<Priority> {
    let level = r.try_get::<i32>("", "priority")?;
    Priority::from_index((level as i64 - 1).clamp(-1, 4) as usize)
        .filter(|_| level >= 1)
        .ok_or(StoreError::Corrupt {
            column: "priority",
            value: level.to_string(),
        })
}

fn oi(r: &QueryResult, c: &str) -> Result<Option<i64>> {
    Ok(r.try_get::<Option<i64>>("", c)?)
}

fn service(r: &QueryResult) -> Result<ServiceRow> {
    Ok(ServiceRow {
        id: s(r, "id")?,
        team: s(r, "team")?,
        name: s(r, "name")?,
        ladder: s(r, "ladder")?,
        targets: os(r, "targets")?,
        heartbeat_secs: oi(r, "heartbeat_secs")?,
        heartbeat_due_ms: oi(r, "heartbeat_due_ms")?,
        maintenance: s(r, "maintenance")?,
        origin: os(r, "origin")?,
    })
}

fn facts(r: &QueryResult) -> Result<AlertFacts> {
    Ok(AlertFacts {
        id: s(r, "id")?,
        service: s(r, "service")?,
        priority: priority(r)?,
        state: s(r, "state")?,
        created_ms: i(r, "created_ms")?,
    })
}

fn alert(r: &QueryResult) -> Result<AlertRow> {
    Ok(AlertRow {
        id: s(r, "id")?,
        service: s(r, "service")?,
        dedup_key: s(r, "dedup_key")?,
        priority: priority(r)?,
        summary: s(r, "summary")?,
        details: s(r, "details")?,
        source: s(r, "source")?,
        links: s(r, "links")?,
        status: parsed(r, "status", State::parse)?,
        state: s(r, "state")?,
        suppressed: r.try_get::<bool>("", "suppressed")?,
        count: i(r, "count")?,
        created_ms: i(r, "created_ms")?,
        updated_ms: i(r, "updated_ms")?,
        last_seen_ms: i(r, "last_seen_ms")?,
        next_due_ms: oi(r, "next_due_ms")?,
        ack_by: os(r, "ack_by")?,
        ack_via: os(r, "ack_via")?,
        resolved_by: os(r, "resolved_by")?,
    })
}

fn outbox(r: &QueryResult) -> Result<OutboxRow> {
    Ok(OutboxRow {
        id: s(r, "id")?,
        alert: s(r, "alert")?,
        stage: r.try_get::<i32>("", "stage")? as i64,
        round: r.try_get::<i32>("", "round")? as i64,
        person: os(r, "person")?,
        channel: parsed(r, "channel", Channel::parse)?,
        address: s(r, "address")?,
        priority: priority(r)?,
        code: s(r, "code")?,
        due_ms: i(r, "due_ms")?,
        status: parsed(r, "status", OutboxStatus::parse)?,
        attempts: r.try_get::<i32>("", "attempts")? as i64,
        provider_id: os(r, "provider_id")?,
        last_error: os(r, "last_error")?,
        created_ms: i(r, "created_ms")?,
        sent_ms: oi(r, "sent_ms")?,
    })
}

fn log_row(r: &QueryResult) -> Result<LogRow> {
    let detail = s(r, "detail")?;
    Ok(LogRow {
        at_ms: i(r, "at_ms")?,
        kind: s(r, "kind")?,
        actor: s(r, "actor")?,
        detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
    })
}

fn oi_val(v: Option<i64>) -> Value {
    Value::BigInt(v)
}

/// Placeholders "?, ?, …" for `n` values.
fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// An alert row's values in `ALERT_COLS` order, then `open_key`.
fn alert_values(a: &AlertRow) -> Vec<Value> {
    let open = a.status.is_open().then(|| a.dedup_key.clone());
    vec![
        a.id.clone().into(),
        a.service.clone().into(),
        a.dedup_key.clone().into(),
        (a.priority.level() as i32).into(),
        a.summary.clone().into(),
        a.details.clone().into(),
        a.source.clone().into(),
        a.links.clone().into(),
        a.status.as_str().into(),
        a.state.clone().into(),
        a.suppressed.into(),
        a.count.into(),
        a.created_ms.into(),
        a.updated_ms.into(),
        a.last_seen_ms.into(),
        oi_val(a.next_due_ms),
        super::opt(&a.ack_by),
        super::opt(&a.ack_via),
        super::opt(&a.resolved_by),
        super::opt(&open),
    ]
}

/// An outbox row's values in `OUTBOX_COLS` order.
fn outbox_values(o: &OutboxRow) -> Vec<Value> {
    vec![
        o.id.clone().into(),
        o.alert.clone().into(),
        (o.stage as i32).into(),
        (o.round as i32).into(),
        super::opt(&o.person),
        o.channel.as_str().into(),
        o.address.clone().into(),
        (o.priority.level() as i32).into(),
        o.code.clone().into(),
        o.due_ms.into(),
        o.status.as_str().into(),
        (o.attempts as i32).into(),
        super::opt(&o.provider_id),
        super::opt(&o.last_error),
        o.created_ms.into(),
        oi_val(o.sent_ms),
    ]
}
