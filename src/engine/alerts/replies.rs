//! Responders' replies to a page (an SMS reply, a keypress, a chat button,
//! a signed link): the action applies to every alert the message carried,
//! as the paged person; a reply that finds nothing left to change says who
//! was quicker.

use super::views::alerts_of;
use super::{Action, Result, act, actor_name, parse_state};
use crate::engine::RotaCache;
use crate::escalation::State;
use crate::rota::Instant;
use crate::store::{OutboxRow, Reads, Store};

/// Applies `action` to every alert the message `rows` carried, as `who`
/// (else the paged person, else "`via` recipient"); returns how many.
pub async fn act_on_message(
    store: &Store,
    cache: &RotaCache,
    rows: &[OutboxRow],
    action: Action,
    who: Option<&str>,
    via: &str,
    now: Instant,
) -> Result<usize> {
    let mut ids: Vec<&str> = rows.iter().map(|r| r.alert.as_str()).collect();
    ids.sort();
    ids.dedup();
    let actor = who
        .map(str::to_string)
        .or_else(|| rows.iter().find_map(|r| r.person.clone()))
        .unwrap_or_else(|| format!("{via} recipient"));
    for id in &ids {
        act(store, cache, id, action.clone(), &actor, via, now).await?;
    }
    Ok(ids.len())
}

/// What a reply with no code refers to.
pub enum Sole {
    /// No page to this number that the action could still change.
    Nothing,
    /// The pages of the one such message.
    One(Vec<OutboxRow>),
    /// Several messages: the reply must name a code.
    Several(usize),
}

/// The one message sent to `address` in the last 7 days whose alerts
/// `action` can still change (acknowledge and escalate: triggered ones;
/// resolve: open ones), for a reply that names no code.
pub async fn sole_open_message(
    store: &Store,
    address: &str,
    action: &Action,
    now: Instant,
) -> Result<Sole> {
    use crate::store::AlertReads as _;
    let statuses: &[&str] = match action {
        Action::Resolve => &["triggered", "acknowledged"],
        _ => &["triggered"],
    };
    let since = now.timestamp_millis() - 7 * 86_400_000;
    let codes = store.open_codes_to(address, since, statuses).await?;
    Ok(match codes.as_slice() {
        [] => Sole::Nothing,
        [code] => Sole::One(store.outbox_by_code(code, address).await?),
        many => Sole::Several(many.len()),
    })
}

/// "Already acknowledged by Carol Jones at 14:05 EST." when no alert of the
/// message is left for `action` to change (a second reply, or someone
/// else was quicker), in the paged person's zone.
pub async fn already_done(
    store: &Store,
    rows: &[OutboxRow],
    action: &Action,
) -> Result<Option<String>> {
    let alerts = alerts_of(store, rows).await?;
    let open = |a: &&crate::store::AlertRow| match action {
        Action::Ack | Action::Escalate => a.status == State::Triggered,
        Action::Resolve => a.status.is_open(),
        _ => true,
    };
    if alerts.iter().any(|a| open(&a)) || alerts.is_empty() {
        return Ok(None);
    }
    let zone = match rows.iter().find_map(|r| r.person.clone()) {
        Some(p) => store
            .load_person(&p)
            .await?
            .and_then(|p| p.timezone)
            .and_then(|z| crate::tz::Zone::named(&z)),
        None => None,
    }
    .unwrap_or_else(crate::tz::Zone::utc);
    let a = &alerts[0];
    let state = parse_state(a)?;
    let (verb, who, at) = if a.status == State::Resolved {
        ("resolved", a.resolved_by.clone(), state.resolved_at)
    } else {
        ("acknowledged", a.ack_by.clone(), state.acked_at)
    };
    let who = match who {
        Some(w) => actor_name(store, &w).await?,
        None => "someone".into(),
    };
    let when = at
        .map(|t| format!(" at {}", t.with_timezone(&zone).format("%H:%M %Z")))
        .unwrap_or_default();
    let more = if alerts.len() > 1 {
        format!(" ({} alerts)", alerts.len())
    } else {
        String::new()
    };
    Ok(Some(format!("Already {verb} by {who}{when}{more}.")))
}
