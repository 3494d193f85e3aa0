//! Alerts (IO driver around the PURE `escalation` core): load the alert and
//! its service's ladder, call `escalation::apply` at `now`, and write the
//! new state, the timer (`next_due_ms`), the timeline and the outbox rows
//! the effects call for — all in one transaction, so a crash at any point
//! either keeps all of it or none of it.

mod actions;
mod paging;
mod policy;
pub use actions::*;
pub mod replies;
pub mod views;
pub use views::{actor_name, names, shown};

pub use paging::{insert_page, next_channel, person_plan};
use paging::{page_person, realize};
pub use policy::*;

use super::RotaCache;
use crate::escalation::rules::Channel;
use crate::escalation::{self as esc, Event, Priority, State};
use crate::rota::Instant;
use crate::store::{AlertReads, Reads};
use crate::store::{AlertRow, OutboxRow, OutboxStatus, Store, StoreError, Tx};
use serde_json::{Value, json};

pub use crate::engine::error::{Error, Result};

/// A new alert, as any intake (API, PagerDuty, Alertmanager) gives it.
#[derive(Debug, Clone)]
pub struct NewAlert {
    pub service: String,
    pub summary: String,
    pub details: Value,
    pub priority: Priority,
    pub dedup_key: Option<String>,
    pub source: String,
    pub links: Value,
}

/// Limits on what an alert may carry.
pub const MAX_SUMMARY: usize = 1024;
pub const MAX_DETAILS: usize = 256 * 1024;
pub const MAX_KEY: usize = 255;

/// Checks an alert's fields; the error names the field.
pub fn check_new(summary: &str, details: &Value, dedup: Option<&str>) -> Result<()> {
    if summary.trim().is_empty() {
        return Err(Error::invalid("summary", "summary must not be empty"));
    }
    if summary.chars().count() > MAX_SUMMARY {
        let m = format!("summary is at most {MAX_SUMMARY} characters");
        return Err(Error::invalid("summary", m));
    }
    if details.to_string().len() > MAX_DETAILS {
        let m = format!("details are at most {MAX_DETAILS} bytes as JSON");
        return Err(Error::invalid("details", m));
    }
    if let Some(k) = dedup
        && (k.is_empty() || k.chars().count() > MAX_KEY)
    {
        let m = format!("dedup_key is 1–{MAX_KEY} characters");
        return Err(Error::invalid("dedup_key", m));
    }
    Ok(())
}

impl NewAlert {
    pub fn check(&self) -> Result<()> {
        check_new(&self.summary, &self.details, self.dedup_key.as_deref())
    }
}

/// Opens an alert, or updates the open one with the same dedup key.
pub async fn trigger(
    store: &Store,
    cache: &RotaCache,
    new: NewAlert,
    actor: &str,
    now: Instant,
) -> Result<(AlertRow, Outcome)> {
    use tracing::Instrument as _;
    new.check()?;
    let span = tracing::info_span!("alert", id = tracing::field::Empty, service = %new.service);
    trigger_traced(store, cache, new, actor, now)
        .instrument(span)
        .await
}

async fn trigger_traced(
    store: &Store,
    cache: &RotaCache,
    new: NewAlert,
    actor: &str,
    now: Instant,
) -> Result<(AlertRow, Outcome)> {
    let sp = load_policy(store, &new.service).await?;
    // Two instances may race to open the same key: the loser's insert hits
    // the unique index, and a second try finds the winner's alert.
    let mut tries = 0;
    loop {
        let tx = store.tx_quiet().await?;
        match trigger_in(&tx, cache, &sp, new.clone(), actor, now).await {
            Ok(r) => {
                tx.commit().await?;
                tracing::Span::current().record("id", r.0.id.as_str());
                tracing::info!(outcome = ?r.1, priority = r.0.priority.as_str(), actor, "alert triggered");
                return Ok(r);
            }
            Err(Error::Store(StoreError::Conflict(_))) if tries == 0 => tries += 1,
            Err(e) => return Err(e),
        }
    }
}

/// `trigger` inside a transaction the caller commits.
pub async fn trigger_in(
    tx: &Tx,
    cache: &RotaCache,
    sp: &ServicePolicy,
    new: NewAlert,
    actor: &str,
    now: Instant,
) -> Result<(AlertRow, Outcome)> {
    let dedup = new
        .dedup_key
        .clone()
        .unwrap_or_else(|| crate::ids::new_id("dk_"));
    if let Some(mut row) = tx.lock_open_alert(&sp.row.id, &dedup).await? {
        let state = parse_state(&row)?;
        let (state, effects) = esc::apply(&state, &sp.policy, Event::Retrigger, now);
        row.count = state.count as i64;
        row.last_seen_ms = ms(now);
        tx.log(
            &row.id,
            ms(now),
            "deduplicated",
            actor,
            json!({ "count": row.count, "summary": new.summary }),
        )
        .await?;
        realize(tx, cache, sp, &mut row, state, effects, now).await?;
        return Ok((row, Outcome::Deduplicated));
    }
    open_new_in(tx, cache, sp, new, dedup, actor, now).await
}

/// Opens a new alert under `dedup`, a key the caller knows no open alert
/// of the service holds (`trigger_in` checks; a batch reads them at once).
#[allow(clippy::too_many_arguments)]
pub async fn open_new_in(
    tx: &Tx,
    cache: &RotaCache,
    sp: &ServicePolicy,
    new: NewAlert,
    dedup: String,
    actor: &str,
    now: Instant,
) -> Result<(AlertRow, Outcome)> {
    let window_end = maintenance_end(&sp.row, now);
    let suppressed = window_end.is_some();
    let (state, effects) = esc::trigger(new.priority, now);
    let mut row = AlertRow {
        id: crate::ids::new_id("alt_"),
        service: sp.row.id.clone(),
        dedup_key: dedup,
        priority: new.priority,
        summary: new.summary.clone(),
        details: new.details.to_string(),
        source: new.source.clone(),
        links: new.links.to_string(),
        status: State::Triggered,
        state: String::new(),
        suppressed,
        count: 1,
        created_ms: ms(now),
        updated_ms: ms(now),
        last_seen_ms: ms(now),
        // An alert raised in a maintenance window wakes when it ends.
        next_due_ms: window_end,
        ack_by: None,
        ack_via: None,
        resolved_by: None,
    };
    row.state =
        serde_json::to_string(&state).map_err(|e| Error::invalid("state", e.to_string()))?;
    tx.insert_alert(&row).await?;
    tx.log(
        &row.id,
        ms(now),
        "created",
        actor,
        json!({ "priority": new.priority.as_str(), "summary": new.summary, "source": new.source }),
    )
    .await?;
    if suppressed {
        tx.log(
            &row.id,
            ms(now),
            "suppressed",
            "vigil",
            json!({ "reason": "maintenance window" }),
        )
        .await?;
        return Ok((row, Outcome::Suppressed));
    }
    realize(tx, cache, sp, &mut row, state, effects, now).await?;
    Ok((row, Outcome::Created))
}

/// A person's action on an alert (or an integration's, or the system's).
pub async fn act(
    store: &Store,
    cache: &RotaCache,
    alert_id: &str,
    action: Action,
    actor: &str,
    via: &str,
    now: Instant,
) -> Result<AlertRow> {
    use tracing::Instrument as _;
    let span = tracing::info_span!("alert", id = %alert_id);
    let name = action.name();
    let row = act_traced(store, cache, alert_id, action, actor, via, now)
        .instrument(span.clone())
        .await?;
    span.in_scope(|| tracing::info!(action = name, actor, via, "alert acted on"));
    Ok(row)
}

#[allow(clippy::too_many_arguments)]
async fn act_traced(
    store: &Store,
    cache: &RotaCache,
    alert_id: &str,
    action: Action,
    actor: &str,
    via: &str,
    now: Instant,
) -> Result<AlertRow> {
    match &action {
        Action::Note(t) if t.trim().is_empty() || t.chars().count() > 10_000 => {
            let m = "a note needs text (at most 10,000 bytes)";
            return Err(Error::invalid("text", m));
        }
        _ => {}
    }
    let tx = store.tx_quiet().await?;
    if let Action::Reassign(p) = &action
        && tx.load_person(p).await?.is_none()
    {
        return Err(Error::invalid("person", format!("no person {p}")));
    }
    let mut row = tx
        .lock_alert(alert_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("alert {alert_id}")))?;
    let sp = load_policy(&tx, &row.service).await?;
    let state = parse_state(&row)?;
    let before = state.state;
    let event = match &action {
        Action::Ack => Event::Ack,
        Action::Resolve => Event::Resolve,
        Action::Escalate => Event::EscalateNow,
        Action::Note(_) | Action::Reassign(_) => Event::Tick,
    };
    let (state, effects) = esc::apply(&state, &sp.policy, event, now);
    if before == State::Acknowledged && state.state == State::Triggered {
        // Escalated by hand: no longer acknowledged.
        row.ack_by = None;
        row.ack_via = None;
    }
    // A second acknowledgement or resolution changes nothing and leaves no trace.
    let repeated = matches!(action, Action::Ack | Action::Resolve) && state.state == before;
    if !repeated {
        match &action {
            Action::Ack => {
                row.ack_by = Some(actor.to_string());
                row.ack_via = Some(via.to_string());
            }
            Action::Resolve => row.resolved_by = Some(actor.to_string()),
            _ => {}
        }
        let detail = match &action {
            Action::Note(text) => json!({ "via": via, "note": text }),
            Action::Reassign(p) => json!({ "via": via, "to": p }),
            _ => json!({ "via": via }),
        };
        tx.log(&row.id, ms(now), action.name(), actor, detail)
            .await?;
    }
    if let Action::Reassign(person) = &action {
        let stage = state.stage as i64;
        page_person(&tx, &row, person, stage, state.round as i64, now, now).await?;
    }
    realize(&tx, cache, &sp, &mut row, state, effects, now).await?;
    if !repeated && matches!(action, Action::Ack | Action::Resolve) {
        // Chat messages already sent say what happened (after the cancel
        // of pending pages above, so these are not cancelled).
        for o in tx.outbox_for(&row.id).await? {
            let slack_id = o.provider_id.as_deref().filter(|p| p.contains(':'));
            if let (Some(id), true) = (
                slack_id,
                o.channel == Channel::Chat && o.status == OutboxStatus::Sent,
            ) {
                insert_page(
                    &tx,
                    &row,
                    None,
                    Channel::ChatUpdate,
                    id,
                    o.stage,
                    o.round,
                    now,
                    now,
                )
                .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(row)
}

/// `act` on the open alert with this dedup key on `service`, if there is
/// one (an integration's acknowledge or resolve by key, a heartbeat).
#[allow(clippy::too_many_arguments)]
pub async fn act_on_key(
    store: &Store,
    cache: &RotaCache,
    service: &str,
    dedup: &str,
    action: Action,
    actor: &str,
    via: &str,
    now: Instant,
) -> Result<Option<AlertRow>> {
    match store.open_alert_id(service, dedup).await? {
        Some(id) => act(store, cache, &id, action, actor, via, now)
            .await
            .map(Some),
        None => Ok(None),
    }
}

/// A provider's delivery report for a message: one timeline entry on
/// each alert the message carried.
pub async fn record_delivery(
    store: &Store,
    rows: &[OutboxRow],
    detail: Value,
    now: Instant,
) -> Result<()> {
    let mut ids: Vec<&str> = rows.iter().map(|r| r.alert.as_str()).collect();
    ids.sort();
    ids.dedup();
    let tx = store.tx_quiet().await?;
    for id in ids {
        tx.log(id, ms(now), "delivery", "provider", detail.clone())
            .await?;
    }
    // The provider could not deliver it (an unreachable or opted-out
    // number, a failed call): page the person's next channel now, as a
    // failed send does, rather than wait for the stage to time out.
    let status = detail["status"].as_str().unwrap_or("");
    if matches!(status, "undelivered" | "failed") {
        for r in rows {
            let moved = next_channel(
                &tx,
                &r.alert,
                r.person.as_deref(),
                r.priority,
                r.stage,
                r.round,
                r.channel,
                now,
            )
            .await?;
            if moved {
                tracing::warn!(alert = %r.alert, channel = r.channel.as_str(), status, "a page was not delivered; paging the next channel");
            }
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Runs every alert timer due by `now` (at most `limit`); returns how many.
pub async fn tick_due(store: &Store, cache: &RotaCache, now: Instant, limit: u64) -> Result<usize> {
    let tx = store.tx_quiet().await?;
    let due = tx.due_alerts(ms(now), limit).await?;
    let n = due.len();
    let mut policies: std::collections::HashMap<String, ServicePolicy> = Default::default();
    for mut row in due {
        if !policies.contains_key(&row.service) {
            match load_policy(&tx, &row.service).await {
                Ok(sp) => {
                    policies.insert(row.service.clone(), sp);
                }
                Err(e) => {
                    // A service deleted or broken: stop its timer, say why.
                    tracing::warn!(alert = %row.id, error = %e, "alert timer stopped");
                    tx.log(
                        &row.id,
                        ms(now),
                        "timer_stopped",
                        "vigil",
                        json!({ "reason": e.to_string() }),
                    )
                    .await?;
                    row.next_due_ms = None;
                    row.updated_ms = ms(now);
                    tx.update_alert(&row).await?;
                    continue;
                }
            }
        }
        let sp = &policies[&row.service];
        if row.suppressed {
            wake_after_maintenance(&tx, cache, sp, &mut row, now).await?;
            continue;
        }
        let state = parse_state(&row)?;
        let (state, effects) = esc::apply(&state, &sp.policy, Event::Tick, now);
        use tracing::Instrument as _;
        let span = tracing::info_span!("alert", id = %row.id, service = %row.service);
        realize(&tx, cache, sp, &mut row, state, effects, now)
            .instrument(span)
            .await?;
    }
    // Heartbeats that stopped checking in open an alert, in the same transaction.
    let beats = tx.due_heartbeats(ms(now)).await?;
    let m = beats.len();
    for svc in beats {
        tx.set_heartbeat_due(&svc.id, None).await?;
        let secs = svc.heartbeat_secs.unwrap_or(0);
        let sp = service_policy(svc)?;
        let new = NewAlert {
            service: sp.row.id.clone(),
            summary: format!(
                "{} missed its heartbeat (expected every {secs} s)",
                sp.row.name
            ),
            details: json!({ "heartbeat_secs": secs }),
            priority: Priority::P2,
            dedup_key: Some("heartbeat".into()),
            source: "vigil heartbeat".into(),
            links: json!([]),
        };
        trigger_in(&tx, cache, &sp, new, "vigil heartbeat", now).await?;
    }
    tx.commit().await?;
    Ok(n + m)
}

/// A suppressed alert's maintenance window is over (or was moved): if the
/// alert is still open, it pages now as if it had just been raised, its
/// SLA clock starting now; inside a window it waits for that one's end.
async fn wake_after_maintenance(
    tx: &Tx,
    cache: &RotaCache,
    sp: &ServicePolicy,
    row: &mut AlertRow,
    now: Instant,
) -> Result<()> {
    let old = parse_state(row)?;
    if old.state != State::Triggered {
        row.next_due_ms = None;
        row.updated_ms = ms(now);
        return Ok(tx.update_alert(row).await?);
    }
    if let Some(end) = maintenance_end(&sp.row, now) {
        row.next_due_ms = Some(end);
        return Ok(tx.update_alert(row).await?);
    }
    row.suppressed = false;
    let (mut state, effects) = esc::trigger(old.priority, now);
    state.count = old.count;
    tx.log(
        &row.id,
        ms(now),
        "maintenance_ended",
        "vigil",
        json!({ "reason": "the alert is still open after its maintenance window" }),
    )
    .await?;
    realize(tx, cache, sp, row, state, effects, now).await
}
