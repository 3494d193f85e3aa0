//! Paging (IO shell around `escalation::paging`): load the snapshot of the
//! team the ladder needs, let the pure planner resolve the state machine's
//! effects, then write what it decided — outbox rows per person and
//! channel, the timeline, the fallback when the whole ladder reached nobody
//! — and the alert's new state and timer.

use super::policy::{ServicePolicy, maintenance_end, ms};
use crate::engine::error::{Error, Result};
use crate::engine::{LoadError, Loaded, RotaCache};
use crate::escalation::paging::{self as planner, Recipient, Snapshot, Step};
use crate::escalation::rules::{self, Channel, Contact, RulesSpec};
use crate::escalation::{self as esc, Effect, Priority, State};
use crate::rota::Instant;
use crate::store::{AlertReads, AlertRow, OutboxRow, OutboxStatus, Reads, Tx};
use serde_json::json;
use std::sync::Arc;

/// Carries out `effects` and writes the alert's new state.
pub(super) async fn realize(
    tx: &Tx,
    cache: &RotaCache,
    sp: &ServicePolicy,
    row: &mut AlertRow,
    state: esc::Alert,
    effects: Vec<Effect>,
    now: Instant,
) -> Result<()> {
    let pages = effects.iter().any(|e| matches!(e, Effect::Page { .. }));
    let (lead, rotas) = if pages {
        snapshot(tx, cache, sp).await?
    } else {
        (None, Vec::new())
    };
    let team = Snapshot {
        lead,
        rotas: rotas.iter().map(|(n, l)| (n.as_str(), &l.rota)).collect(),
    };
    let plan = planner::plan(state, effects, &sp.policy, &sp.ladder, &team);
    for step in &plan.steps {
        apply_step(tx, sp, row, step, now).await?;
    }
    if pages {
        tracing::info!(alert = %row.id, stage = plan.alert.stage + 1, steps = plan.steps.len(), nobody = plan.nobody, "paging");
    }
    let state = plan.alert;
    if plan.nobody && tx.outbox_for(&row.id).await?.is_empty() {
        page_fallback(tx, sp, row, &state, now).await?;
    }
    row.status = state.state;
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
    row.state =
        serde_json::to_string(&state).map_err(|e| Error::invalid("state", e.to_string()))?;
    tx.update_alert(row).await?;
    Ok(())
}

type Rotas = Vec<(String, Arc<Loaded>)>;

/// The team's lead (if they exist) and the rotas the ladder names.
async fn snapshot(
    tx: &Tx,
    cache: &RotaCache,
    sp: &ServicePolicy,
) -> Result<(Option<String>, Rotas)> {
    let team = &sp.row.team;
    let lead = tx.team_once(team).await?.and_then(|t| t.lead);
    let needed = planner::rotas_needed(&sp.ladder);
    let names: Vec<String> = if needed.contains("*") {
        tx.load_rotas(Some(team))
            .await?
            .into_iter()
            .map(|r| r.name)
            .collect()
    } else {
        needed.into_iter().collect()
    };
    let mut rotas = Vec::new();
    for name in names {
        match cache.load(tx, team, &name).await {
            Ok(Some(l)) => rotas.push((name, l)),
            Ok(None) => {
                tracing::warn!(rota = %format!("{team}/{name}"), "a ladder names a rota that does not exist")
            }
            Err(LoadError::Store(e)) => return Err(e.into()),
            // Said in the log: a ladder that reaches nobody is never silent.
            Err(e) => {
                tracing::warn!(rota = %format!("{team}/{name}"), error = %e, "a ladder names a rota that does not build")
            }
        }
    }
    Ok((lead, rotas))
}

async fn apply_step(
    tx: &Tx,
    sp: &ServicePolicy,
    row: &AlertRow,
    step: &Step,
    now: Instant,
) -> Result<()> {
    let sla = |sla: &esc::Sla| json!({ "target": format!("{sla:?}").to_lowercase() });
    match step {
        Step::Paged {
            stage,
            round,
            at,
            to,
        } => {
            let (stage, round) = (*stage as i64, *round as i64);
            let mut names = Vec::new();
            for r in to {
                let (channel, address) = match r {
                    Recipient::Person(p) => {
                        page_person(tx, row, p, stage, round, *at, now).await?;
                        names.push(p.clone());
                        continue;
                    }
                    Recipient::Chat(c) => (Channel::Chat, c),
                    Recipient::Webhook(u) => (Channel::Webhook, u),
                    Recipient::Email(a) => (Channel::Email, a),
                };
                insert_page(tx, row, None, channel, address, stage, round, *at, now).await?;
                names.push(match r {
                    Recipient::Webhook(_) => "webhook".to_string(),
                    _ => format!("{}:{address}", channel.as_str()),
                });
            }
            let detail = json!({ "stage": stage + 1, "round": round + 1, "to": names });
            tx.log(&row.id, ms(now), "stage_paged", "vigil", detail)
                .await?;
        }
        Step::Empty { stage, round } => {
            tracing::warn!(alert = %row.id, service = %sp.row.id, stage = stage + 1, "a ladder stage resolved to nobody; escalating at once");
            let detail = json!({ "stage": stage + 1, "round": round + 1 });
            tx.log(&row.id, ms(now), "stage_empty", "vigil", detail)
                .await?;
        }
        Step::StopPaging => {
            let n = tx.cancel_pending(&row.id).await?;
            if n > 0 {
                let detail = json!({ "cancelled": n });
                tx.log(&row.id, ms(now), "paging_stopped", "vigil", detail)
                    .await?;
            }
        }
        Step::Warn(Effect::Warn { sla: s, at }) => {
            tx.log(&row.id, ms(*at), "sla_warning", "vigil", sla(s))
                .await?;
        }
        Step::Breach(Effect::Breach { sla: s, at }) => {
            tx.log(&row.id, ms(*at), "sla_breach", "vigil", sla(s))
                .await?;
        }
        Step::Warn(_) | Step::Breach(_) => {}
    }
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
    let detail =
        json!({ "fallback": who, "reason": "every stage of the ladder resolved to nobody" });
    tx.log(&row.id, ms(now), "ladder_empty", "vigil", detail)
        .await?;
    Ok(())
}

/// One page that failed on `from` for good: page its person on their next
/// channel at once, unless the alert is no longer triggered or this page
/// already went (or is going) that way. Returns whether it paged.
#[allow(clippy::too_many_arguments)]
pub async fn next_channel(
    tx: &Tx,
    alert_id: &str,
    person: Option<&str>,
    priority: Priority,
    stage: i64,
    round: i64,
    from: Channel,
    now: Instant,
) -> Result<bool> {
    if from == Channel::ChatUpdate {
        // A message rewrite that failed is not a page to deliver elsewhere.
        return Ok(false);
    }
    let Some(alert) = tx.load_alert(alert_id).await? else {
        return Ok(false);
    };
    if alert.status != State::Triggered {
        return Ok(false);
    }
    let (rules, contact) = match person {
        Some(p) => person_plan(tx, p, priority).await?,
        None => (Vec::new(), Contact::default()),
    };
    let Some((ch, addr)) = rules::fallback(&rules, &contact, from) else {
        return Ok(false);
    };
    if tx
        .page_has_channel(alert_id, stage, round, person, ch.as_str())
        .await?
    {
        return Ok(false);
    }
    insert_page(tx, &alert, person, ch, &addr, stage, round, now, now).await?;
    tx.log(
        alert_id,
        ms(now),
        "fallback",
        "vigil",
        json!({ "from": from.as_str(), "to": ch.as_str(), "person": person }),
    )
    .await?;
    Ok(true)
}

/// The person's notification rules and contact details.
pub async fn person_plan(
    store: &(impl Reads + AlertReads),
    handle: &str,
    p: Priority,
) -> Result<(Vec<rules::Rule>, Contact)> {
    let read = store.load_person_with_rules(handle).await?;
    plan_for(handle, read, p)
}

/// `person_plan` from the person and their stored rules, as read.
fn plan_for(
    handle: &str,
    read: Option<(crate::store::PersonRow, Option<String>)>,
    p: Priority,
) -> Result<(Vec<rules::Rule>, Contact)> {
    let (person, rules) = match read {
        Some((p, r)) => (Some(p), r),
        None => (None, None),
    };
    // Rules are checked when saved; stored rules that no longer read (a
    // hand-edited database) page by the defaults, and the log says so.
    let spec: Option<RulesSpec> = match rules {
        Some(s) => match serde_json::from_str(&s) {
            Ok(spec) => Some(spec),
            Err(e) => {
                tracing::warn!(person = handle, error = %e, "stored notification rules do not read: paging by the default rules");
                None
            }
        },
        None => None,
    };
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

/// Writes the outbox rows for one person, by their notification rules.
pub(super) async fn page_person(
    tx: &Tx,
    row: &AlertRow,
    handle: &str,
    stage: i64,
    round: i64,
    at: Instant,
    now: Instant,
) -> Result<()> {
    let (rules, mut contact) = plan_for(handle, tx.person_once(handle).await?, row.priority)?;
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

/// One outbox row, pending until `due`.
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
        channel,
        address: address.to_string(),
        priority: row.priority,
        code,
        due_ms: ms(due),
        status: OutboxStatus::Pending,
        attempts: 0,
        provider_id: None,
        last_error: None,
        created_ms: ms(now),
        sent_ms: None,
    })
    .await?;
    Ok(())
}
