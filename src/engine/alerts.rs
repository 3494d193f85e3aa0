//! Alerts (IO driver around the PURE `escalation` core): load the alert and
//! its service's ladder, call `escalation::apply` at `now`, and write the
//! new state, the timer (`next_due_ms`), the timeline and the outbox rows
//! the effects call for — all in one transaction, so a crash at any point
//! either keeps all of it or none of it.

use super::RotaCache;
use crate::escalation::ladder::{self, Ladder, LadderSpec, Target, TargetsSpec};
use crate::escalation::rules::{self, Channel, Contact, RulesSpec};
use crate::escalation::{self as esc, Effect, Event, Policy, Priority, State};
use crate::rota::{Instant, shifts};
use crate::store::{AlertReads, Reads};
use crate::store::{AlertRow, OutboxRow, ServiceRow, Store, StoreError, Tx};
use serde_json::{Value, json};
use std::collections::BTreeSet;

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{1}")]
    Invalid(String, String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Result<T> = std::result::Result<T, AlertError>;

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

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Ack,
    Resolve,
    Escalate,
    Note(String),
    /// Page this person now, at the alert's current stage.
    Reassign(String),
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Ack => "acknowledged",
            Action::Resolve => "resolved",
            Action::Escalate => "escalated",
            Action::Note(_) => "note",
            Action::Reassign(_) => "reassigned",
        }
    }
}

/// What happened to a trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Deduplicated,
    Suppressed,
}

/// A service's ladder and policy, parsed from its row.
pub struct ServicePolicy {
    pub row: ServiceRow,
    pub ladder: Ladder,
    pub policy: Policy,
}

pub fn service_policy(row: ServiceRow) -> Result<ServicePolicy> {
    let spec: LadderSpec = serde_json::from_str(&row.ladder)
        .map_err(|e| AlertError::Invalid("ladder".into(), e.to_string()))?;
    let ladder = spec.build().map_err(|(f, m)| AlertError::Invalid(f, m))?;
    let tspec: TargetsSpec = match &row.targets {
        Some(t) => serde_json::from_str(t)
            .map_err(|e| AlertError::Invalid("targets".into(), e.to_string()))?,
        None => TargetsSpec::new(),
    };
    let targets = ladder::build_targets(&tspec).map_err(|(f, m)| AlertError::Invalid(f, m))?;
    let policy = ladder::policy(&ladder, targets);
    Ok(ServicePolicy {
        row,
        ladder,
        policy,
    })
}

async fn load_policy(store: &impl AlertReads, service: &str) -> Result<ServicePolicy> {
    let row = store
        .load_service(service)
        .await?
        .ok_or_else(|| AlertError::NotFound(format!("service {service}")))?;
    service_policy(row)
}

fn ms(t: Instant) -> i64 {
    t.timestamp_millis()
}

fn status(s: State) -> &'static str {
    match s {
        State::Triggered => "triggered",
        State::Acknowledged => "acknowledged",
        State::Resolved => "resolved",
    }
}

/// The state machine's alert. Its trigger count is the row's `count`
/// column, which deduplicated triggers update without rewriting the state.
pub fn parse_state(row: &AlertRow) -> Result<esc::Alert> {
    let mut a: esc::Alert = serde_json::from_str(&row.state)
        .map_err(|e| AlertError::Invalid("state".into(), e.to_string()))?;
    a.count = row.count.clamp(0, u32::MAX as i64) as u32;
    Ok(a)
}

/// The end of the maintenance window `now` falls in (windows that overlap
/// or touch count as one), or None outside every window.
pub fn maintenance_end(row: &ServiceRow, now: Instant) -> Option<i64> {
    let mut windows: Vec<(i64, i64)> = match serde_json::from_str(&row.maintenance) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(service = %row.id, error = %e, "unreadable maintenance windows: ignored");
            Vec::new()
        }
    };
    windows.sort_unstable();
    let t = ms(now);
    let mut end: Option<i64> = None;
    for (s, e) in windows {
        match end {
            Some(cur) if s <= cur => end = Some(cur.max(e)),
            _ if (s..e).contains(&t) => end = Some(e),
            Some(_) => break,
            None => {}
        }
    }
    end
}

/// Whether `now` falls in one of the service's maintenance windows.
pub fn in_maintenance(row: &ServiceRow, now: Instant) -> bool {
    maintenance_end(row, now).is_some()
}

/// Opens an alert, or updates the open one with the same dedup key.
pub async fn trigger(
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
                return Ok(r);
            }
            Err(AlertError::Store(StoreError::Conflict(_))) if tries == 0 => tries += 1,
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
    let window_end = maintenance_end(&sp.row, now);
    let suppressed = window_end.is_some();
    let (state, effects) = esc::trigger(new.priority, now);
    let mut row = AlertRow {
        id: crate::ids::new_id("alt_"),
        service: sp.row.id.clone(),
        dedup_key: dedup,
        priority: new.priority.level(),
        summary: new.summary.clone(),
        details: new.details.to_string(),
        source: new.source.clone(),
        links: new.links.to_string(),
        status: "triggered".into(),
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
    row.state = serde_json::to_string(&state)
        .map_err(|e| AlertError::Invalid("state".into(), e.to_string()))?;
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
    let tx = store.tx_quiet().await?;
    let mut row = tx
        .lock_alert(alert_id)
        .await?
        .ok_or_else(|| AlertError::NotFound(format!("alert {alert_id}")))?;
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
                o.channel == Channel::Chat.as_str() && o.status == "sent",
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
        realize(&tx, cache, sp, &mut row, state, effects, now).await?;
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

/// Carries out `effects` and writes the alert's new state.
#[allow(clippy::too_many_arguments)]
async fn realize(
    tx: &Tx,
    cache: &RotaCache,
    sp: &ServicePolicy,
    row: &mut AlertRow,
    mut state: esc::Alert,
    effects: Vec<Effect>,
    now: Instant,
) -> Result<()> {
    let mut queue: std::collections::VecDeque<Effect> = effects.into();
    // An empty stage escalates at once; bound the chain by the ladder's length.
    let mut empty_left = sp.ladder.stages.len() * sp.ladder.repeat as usize + 1;
    let (mut stages_paged, mut reached) = (0, 0);
    while let Some(e) = queue.pop_front() {
        match e {
            Effect::Page { stage, round, at } => {
                let paged = page_stage(tx, cache, sp, row, stage, round, at, now).await?;
                stages_paged += 1;
                reached += paged;
                if paged == 0 && state.state == State::Triggered && empty_left > 0 {
                    empty_left -= 1;
                    tracing::warn!(alert = %row.id, service = %sp.row.id, stage = stage + 1, "a ladder stage resolved to nobody; escalating at once");
                    tx.log(
                        &row.id,
                        ms(now),
                        "stage_empty",
                        "vigil",
                        json!({ "stage": stage + 1, "round": round + 1 }),
                    )
                    .await?;
                    let (s, more) = esc::apply(&state, &sp.policy, Event::StageEmpty, at);
                    state = s;
                    queue.extend(more);
                }
            }
            Effect::StopPaging => {
                let n = tx.cancel_pending(&row.id).await?;
                if n > 0 {
                    tx.log(
                        &row.id,
                        ms(now),
                        "paging_stopped",
                        "vigil",
                        json!({ "cancelled": n }),
                    )
                    .await?;
                }
            }
            Effect::Warn { sla, at } => {
                tx.log(
                    &row.id,
                    ms(at),
                    "sla_warning",
                    "vigil",
                    json!({ "target": format!("{sla:?}").to_lowercase() }),
                )
                .await?;
            }
            Effect::Breach { sla, at } => {
                tx.log(
                    &row.id,
                    ms(at),
                    "sla_breach",
                    "vigil",
                    json!({ "target": format!("{sla:?}").to_lowercase() }),
                )
                .await?;
            }
        }
    }
    let exhausted = state.state == State::Triggered && state.stage_paged_at.is_none();
    if stages_paged > 0 && reached == 0 && exhausted && tx.outbox_for(&row.id).await?.is_empty() {
        page_fallback(tx, sp, row, &state, now).await?;
    }
    row.status = status(state.state).into();
    row.next_due_ms = if row.suppressed {
        // Held until its maintenance window ends.
        match state.state {
            State::Resolved => None,
            _ => maintenance_end(&sp.row, now).or(row.next_due_ms),
        }
    } else {
        esc::next_due(&state, &sp.policy).map(ms)
    };
    row.updated_ms = ms(now);
    row.count = state.count as i64;
    row.state = serde_json::to_string(&state)
        .map_err(|e| AlertError::Invalid("state".into(), e.to_string()))?;
    tx.update_alert(row).await?;
    Ok(())
}

/// The whole ladder resolved to nobody: page the team's lead, else every
/// admin who can be reached, and say so (timeline, warn log, `/metrics`
/// counts `ladder_empty` entries). If even that is nobody, the error log
/// and the metric are all that is left.
async fn page_fallback(
    tx: &Tx,
    sp: &ServicePolicy,
    row: &AlertRow,
    state: &esc::Alert,
    now: Instant,
) -> Result<()> {
    let lead = match tx.load_team(&sp.row.team).await?.and_then(|t| t.lead) {
        Some(l) if tx.load_person(&l).await?.is_some() => Some(l),
        _ => None,
    };
    let who: Vec<String> = match lead {
        Some(l) => vec![l],
        None => tx.reachable_admins().await?,
    };
    let (stage, round) = (state.stage as i64, state.round as i64);
    for p in &who {
        page_person(tx, row, p, stage, round, now, now).await?;
    }
    if who.is_empty() {
        tracing::error!(alert = %row.id, service = %sp.row.id, "the ladder resolved to nobody and there is no lead or reachable admin: nobody was paged");
    } else {
        tracing::warn!(alert = %row.id, service = %sp.row.id, fallback = ?who, "the ladder resolved to nobody; paging the fallback");
    }
    tx.log(
        &row.id,
        ms(now),
        "ladder_empty",
        "vigil",
        json!({ "fallback": who, "reason": "every stage of the ladder resolved to nobody" }),
    )
    .await?;
    Ok(())
}

/// Who a stage reaches at `at`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Recipient {
    Person(String),
    Chat(String),
    Webhook(String),
    Email(String),
}

async fn recipients(
    store: &Tx,
    cache: &RotaCache,
    team: &str,
    targets: &[Target],
    at: Instant,
) -> Result<BTreeSet<Recipient>> {
    let mut out = BTreeSet::new();
    for t in targets {
        match t {
            Target::Person(p) => {
                out.insert(Recipient::Person(p.clone()));
            }
            Target::Lead => {
                if let Some(lead) = store.load_team(team).await?.and_then(|t| t.lead) {
                    out.insert(Recipient::Person(lead));
                }
            }
            Target::Chat(c) => {
                out.insert(Recipient::Chat(c.clone()));
            }
            Target::Webhook(u) => {
                out.insert(Recipient::Webhook(u.clone()));
            }
            Target::Email(a) => {
                out.insert(Recipient::Email(a.clone()));
            }
            Target::OnCall { rota, layer } => {
                for name in rota_names(store, team, rota).await? {
                    let Some(l) = loaded(store, cache, team, &name).await? else {
                        continue;
                    };
                    for o in shifts::on_call_at(&l.rota, at) {
                        let lay = &l.rota.layers[o.layer];
                        if lay.name == *layer || lay.role == *layer {
                            out.insert(Recipient::Person(l.rota.people[o.person].id.clone()));
                        }
                    }
                }
            }
            Target::Team => {
                for name in rota_names(store, team, "*").await? {
                    let Some(l) = loaded(store, cache, team, &name).await? else {
                        continue;
                    };
                    for p in &l.rota.people {
                        out.insert(Recipient::Person(p.id.clone()));
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The rota `team/name`, or None if it is gone or no longer validates
/// (said in the log: a ladder that reaches nobody is never silent).
async fn loaded(
    tx: &Tx,
    cache: &RotaCache,
    team: &str,
    name: &str,
) -> Result<Option<std::sync::Arc<super::Loaded>>> {
    match cache.load(tx, team, name).await {
        Ok(l) => Ok(l),
        Err(super::LoadError::Store(e)) => Err(e.into()),
        Err(e) => {
            tracing::warn!(rota = %format!("{team}/{name}"), error = %e, "a ladder names a rota that does not build");
            Ok(None)
        }
    }
}

async fn rota_names(store: &Tx, team: &str, rota: &str) -> Result<Vec<String>> {
    if rota != "*" {
        return Ok(vec![rota.to_string()]);
    }
    Ok(store
        .load_rotas(Some(team))
        .await?
        .into_iter()
        .map(|r| r.name)
        .collect())
}

/// Writes the outbox rows for one stage; returns how many recipients it reached.
#[allow(clippy::too_many_arguments)]
async fn page_stage(
    tx: &Tx,
    cache: &RotaCache,
    sp: &ServicePolicy,
    row: &AlertRow,
    stage: usize,
    round: u32,
    at: Instant,
    now: Instant,
) -> Result<usize> {
    let Some(st) = sp.ladder.stages.get(stage) else {
        return Ok(0);
    };
    let who = recipients(tx, cache, &sp.row.team, &st.targets, at).await?;
    let (stage, round) = (stage as i64, round as i64);
    let mut names = Vec::new();
    for r in &who {
        match r {
            Recipient::Person(p) => {
                page_person(tx, row, p, stage, round, at, now).await?;
                names.push(p.clone());
            }
            Recipient::Chat(c) => {
                insert_page(tx, row, None, Channel::Chat, c, stage, round, at, now).await?;
                names.push(format!("chat:{c}"));
            }
            Recipient::Webhook(u) => {
                insert_page(tx, row, None, Channel::Webhook, u, stage, round, at, now).await?;
                names.push("webhook".into());
            }
            Recipient::Email(a) => {
                insert_page(tx, row, None, Channel::Email, a, stage, round, at, now).await?;
                names.push(format!("email:{a}"));
            }
        }
    }
    if !who.is_empty() {
        tx.log(
            &row.id,
            ms(now),
            "stage_paged",
            "vigil",
            json!({ "stage": stage + 1, "round": round + 1, "to": names }),
        )
        .await?;
    }
    Ok(who.len())
}

/// The person's notification rules and contact details.
pub async fn person_plan(
    store: &(impl Reads + AlertReads),
    handle: &str,
    p: Priority,
) -> Result<(Vec<rules::Rule>, Contact)> {
    let person = store.load_person(handle).await?;
    let spec: Option<RulesSpec> = store
        .load_person_rules(handle)
        .await?
        .and_then(|s| serde_json::from_str(&s).ok());
    let contact = person
        .map(|p| Contact {
            zone: p.timezone.as_deref().and_then(|z| z.parse().ok()),
            phone: p.phone,
            email: p.email,
            chat: p.chat,
        })
        .unwrap_or_default();
    Ok((rules::rules_for(spec.as_ref(), p), contact))
}

#[allow(clippy::too_many_arguments)]
async fn page_person(
    tx: &Tx,
    row: &AlertRow,
    handle: &str,
    stage: i64,
    round: i64,
    at: Instant,
    now: Instant,
) -> Result<()> {
    let (rules, mut contact) = person_plan(tx, handle, Priority::from_level(row.priority)).await?;
    if contact.zone.is_none() && rules.iter().any(|r| r.waking_only) {
        // Without a zone of their own, a person keeps their team's hours.
        let team = tx.load_service(&row.service).await?.map(|s| s.team);
        if let Some(t) = team {
            contact.zone = tx
                .load_team(&t)
                .await?
                .and_then(|t| t.timezone.parse().ok());
        }
    }
    for (channel, address, due) in rules::plan(&rules, &contact, at) {
        insert_page(
            tx,
            row,
            Some(handle),
            channel,
            &address,
            stage,
            round,
            due,
            now,
        )
        .await?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_page(
    tx: &Tx,
    row: &AlertRow,
    person: Option<&str>,
    channel: Channel,
    address: &str,
    stage: i64,
    round: i64,
    due: Instant,
    now: Instant,
) -> Result<()> {
    let code = format!("{}", 1000 + rand::random::<u32>() % 9000);
    tx.insert_outbox(&OutboxRow {
        id: crate::ids::new_id("pg_"),
        alert: row.id.clone(),
        stage,
        round,
        person: person.map(str::to_string),
        channel: channel.as_str().into(),
        address: address.to_string(),
        priority: row.priority,
        code,
        due_ms: ms(due),
        status: "pending".into(),
        attempts: 0,
        provider_id: None,
        last_error: None,
        created_ms: ms(now),
        sent_ms: None,
    })
    .await?;
    Ok(())
}
