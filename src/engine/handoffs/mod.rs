//! Handoff notices (IO): plans them from every rota's coming shifts
//! (overrides and swaps included, DST-correct as the engine computes
//! them), checks at send time that the person still holds the shift, and
//! words them in the rota's zone.

mod plan;
mod replies;
mod summary;

pub use plan::{COVERAGE_DAYS, plan_coverage_warnings, plan_upcoming};
pub use replies::{ack_by, ack_by_sms, answer_in_chat, note_by, note_by_sms};

use super::RotaCache;
use super::error::Result;
use crate::delivery::handoff::ShiftRef;
use crate::rota::{Instant, shifts};
use crate::store::{HandoffRow, Reads, Store};
use summary::summary;

/// A notice written whole by the operation that owes it (a swap's step,
/// an answer in a Slack conversation), sent as it is until its `end_ms`:
/// `other` holds where it goes (a Slack conversation, or nothing for the
/// person's own address) and its words; see `written`.
pub const MESSAGE: &str = "message";

/// The `other` of a `MESSAGE` notice: `to` ("" for the person's own
/// address), a line break, then the words.
pub fn written(to: &str, words: &str) -> String {
    format!("{to}\n{words}")
}

/// `written` read back: (to, words).
fn unwritten(n: &HandoffRow) -> (&str, &str) {
    let o = n.other.as_deref().unwrap_or("");
    o.split_once('\n').unwrap_or(("", o))
}

fn ms(t: Instant) -> i64 {
    t.timestamp_millis()
}

fn shifts_of(l: &super::Loaded, from: Instant, to: Instant) -> Vec<ShiftRef> {
    let r = &l.rota;
    shifts::shifts_between(r, from, to)
        .iter()
        .map(|s| ShiftRef {
            layer: r.layers[s.layer].name.clone(),
            person: r.people[s.person].id.clone(),
            name: r.people[s.person].name.clone(),
            start_ms: ms(s.start),
            end_ms: ms(s.end),
        })
        .collect()
}

/// Whether the notice still holds: the person still starts (or, for
/// `end`, still ends) a shift on that layer at that instant. An override
/// or a swap made after planning makes it false, and the notice is skipped.
pub async fn still_holds(store: &Store, cache: &RotaCache, n: &HandoffRow) -> Result<bool> {
    if matches!(n.kind.as_str(), "coverage" | "usergroup" | MESSAGE) {
        // Sent at once: the check that planned it just found the problem;
        // a user group is set to whoever is on call when it is sent; a
        // message tells of a step already taken.
        return Ok(true);
    }
    let Some(l) = cache.load(store, &n.team, &n.rota).await? else {
        return Ok(false);
    };
    let at = |t: i64| chrono::DateTime::from_timestamp_millis(t).unwrap_or_default();
    let around = shifts_of(
        &l,
        at(n.start_ms) - chrono::Duration::days(8),
        at(n.start_ms) + chrono::Duration::hours(1),
    );
    if n.kind == "unacked" {
        // Still due: the handoff happened as planned and nobody acknowledged it.
        let incoming = n.other.as_deref().unwrap_or("");
        let happened = around
            .iter()
            .any(|s| s.layer == n.layer && s.person == incoming && s.start_ms == n.start_ms);
        return Ok(happened
            && !store
                .handoff_acked((&n.team, &n.rota, &n.layer), None, n.start_ms, true)
                .await?);
    }
    let mine = |s: &&ShiftRef| s.layer == n.layer && s.person == n.person;
    Ok(if n.kind == "end" || n.kind == "ending" {
        around.iter().filter(mine).any(|s| s.end_ms == n.start_ms)
    } else {
        around.iter().filter(mine).any(|s| s.start_ms == n.start_ms)
    })
}

/// The words of a notice, times in the rota's zone.
pub async fn text(store: &Store, cache: &RotaCache, n: &HandoffRow) -> Result<String> {
    let zone = match cache.load(store, &n.team, &n.rota).await? {
        Some(l) => l.rota.zone.clone(),
        None => crate::tz::Zone::utc(),
    };
    let when = |t: i64| {
        let t = chrono::DateTime::from_timestamp_millis(t).unwrap_or_default();
        zone.local_time(&t).format("%a %-d %b %H:%M").to_string()
    };
    let what = format!("{}/{} ({})", n.team, n.rota, n.layer);
    let z = zone.name();
    Ok(match n.kind.as_str() {
        MESSAGE => unwritten(n).1.to_string(),
        "start" => {
            let notes = store
                .handoff_notes(&n.team, &n.rota, &n.layer, n.start_ms)
                .await?;
            let names = super::alerts::names(store).await?;
            let notes: String = notes
                .iter()
                .map(|(who, text)| {
                    format!(" Note from {}: {text}", super::alerts::shown(who, &names))
                })
                .collect();
            format!(
                "Vigil: you are on call for {what} now, until {} {z}.{}{}{notes}",
                when(n.end_ms),
                n.other
                    .as_ref()
                    .map(|o| format!(" Handed over by {o}."))
                    .unwrap_or_default(),
                summary(store, cache, n).await?
            )
        }
        "channel" => {
            let names = super::alerts::names(store).await?;
            format!(
                "{} is now on call for {what} until {} {z}.{}",
                super::alerts::shown(&n.person, &names),
                when(n.end_ms),
                n.other
                    .as_ref()
                    .map(|o| format!(" Handed over by {o}."))
                    .unwrap_or_default(),
            )
        }
        "coverage" => {
            let (service, problem) = n
                .other
                .as_deref()
                .and_then(|o| o.split_once('|'))
                .unwrap_or(("a service", ""));
            let utc = |t: i64| {
                chrono::DateTime::from_timestamp_millis(t)
                    .unwrap_or_default()
                    .format("%a %-d %b %H:%M UTC")
                    .to_string()
            };
            if problem.is_empty() {
                format!(
                    "Vigil: service {service} (team {}) would page nobody from {} to {}: fill the rota gap or change its ladder.",
                    n.team,
                    utc(n.start_ms),
                    utc(n.end_ms)
                )
            } else {
                format!(
                    "Vigil: service {service} (team {}) would page nobody: {problem}.",
                    n.team
                )
            }
        }
        "unacked" => {
            let names = super::alerts::names(store).await?;
            let who = n.other.as_deref().unwrap_or("");
            format!(
                "Vigil: {} has not acknowledged taking over {what} at {} {z} ({} minutes ago).",
                super::alerts::shown(who, &names),
                when(n.start_ms),
                (n.due_ms - n.start_ms) / 60_000
            )
        }
        "ending" => format!(
            "Vigil: your on-call shift for {what} ends at {} {z}; {} takes over.",
            when(n.start_ms),
            n.other.as_deref().unwrap_or("the next person")
        ),
        "end" => format!(
            "Vigil: your on-call shift for {what} ended at {} {z}; handed to {}.",
            when(n.start_ms),
            n.other.as_deref().unwrap_or("the next person")
        ),
        _ => format!(
            "Vigil: you are on call for {what} from {} to {} {z}.",
            when(n.start_ms),
            when(n.end_ms)
        ),
    })
}

/// What a notice sends, where: the rota's Slack channel for a channel
/// post, its Slack user group (set to the Slack ids of the people on call
/// `now`) for an update, else the person's address (`address_of`) and the
/// words (`text`). None: nothing to send (the rota no longer names the
/// channel or group, or nobody on call has a Slack id).
pub async fn message(
    store: &Store,
    cache: &RotaCache,
    n: &HandoffRow,
    now: Instant,
) -> Result<Option<(crate::escalation::rules::Channel, String, String)>> {
    use crate::escalation::rules::Channel;
    let settings = |l: Option<std::sync::Arc<super::Loaded>>| l.map(|l| l.rota.handoffs.clone());
    match n.kind.as_str() {
        // An answer goes back into the conversation it answers.
        MESSAGE if !unwritten(n).0.is_empty() => {
            let (to, words) = unwritten(n);
            Ok(Some((Channel::Chat, to.to_string(), words.to_string())))
        }
        "channel" => {
            let set = settings(cache.load(store, &n.team, &n.rota).await?);
            let Some(channel) = set.and_then(|s| s.slack_channel) else {
                return Ok(None);
            };
            Ok(Some((Channel::Chat, channel, text(store, cache, n).await?)))
        }
        "usergroup" => {
            let Some(l) = cache.load(store, &n.team, &n.rota).await? else {
                return Ok(None);
            };
            let Some(group) = l.rota.handoffs.slack_usergroup.clone() else {
                return Ok(None);
            };
            let around = shifts_of(
                &l,
                now - chrono::Duration::days(8),
                now + chrono::Duration::seconds(1),
            );
            let mut ids: Vec<String> = Vec::new();
            for s in around
                .iter()
                .filter(|s| s.start_ms <= ms(now) && ms(now) < s.end_ms)
            {
                if let Some(chat) = store.load_person(&s.person).await?.and_then(|p| p.chat)
                    && !ids.contains(&chat)
                {
                    ids.push(chat);
                }
            }
            if ids.is_empty() {
                tracing::warn!(rota = %format!("{}/{}", n.team, n.rota), group, "nobody on call has a Slack id: the user group is left as it is");
                return Ok(None);
            }
            Ok(Some((Channel::ChatGroup, group, ids.join(","))))
        }
        _ => {
            let (channel, address) = address_of(store, &n.person).await?;
            let mut words = text(store, cache, n).await?;
            // SMS and Slack direct messages take replies (NOTE …, ACK).
            let replies = matches!(channel, Channel::Sms | Channel::Chat);
            match n.kind.as_str() {
                "ending" if replies => {
                    words.push_str(" Reply NOTE and your notes to pass them on.")
                }
                "ending" => words.push_str(" Leave notes for them on Vigil's Handoffs page."),
                "start" if replies => words.push_str(" Reply ACK to acknowledge the handoff."),
                "start" => words.push_str(" Acknowledge the handoff on Vigil's Now page."),
                _ => {}
            }
            Ok(Some((channel, address, words)))
        }
    }
}

/// Where a notice goes: the person's Slack, else phone (SMS), else email,
/// else the console.
pub async fn address_of(
    store: &Store,
    person: &str,
) -> Result<(crate::escalation::rules::Channel, String)> {
    use crate::escalation::rules::Channel;
    let Some(p) = store.load_person(person).await? else {
        return Ok((Channel::Console, String::new()));
    };
    Ok(if let Some(c) = p.chat {
        (Channel::Chat, c)
    } else if let Some(ph) = p.phone {
        (Channel::Sms, ph)
    } else if let Some(e) = p.email {
        (Channel::Email, e)
    } else {
        (Channel::Console, String::new())
    })
}

/// Who writes a handoff note.
pub struct NoteBy<'a> {
    /// As the audit log records it.
    pub actor: &'a str,
    /// The person writing, if the caller is one.
    pub person: Option<&'a str>,
    /// A lead of the team (or an admin) may write on any layer.
    pub lead: bool,
}

/// A note for the next person on `layer`: it goes with the "on call now"
/// message of the layer's next handoff. Someone on the layer (a
/// participant), a lead of the team or an admin may write one. Returns the
/// handoff's instant.
pub async fn add_note(
    store: &Store,
    cache: &RotaCache,
    (team, rota, layer): (&str, &str, &str),
    by: NoteBy<'_>,
    text: &str,
    now: Instant,
) -> Result<Instant> {
    use super::error::Error;
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 2000 {
        return Err(Error::invalid("text", "a note is 1–2000 characters"));
    }
    let l = cache
        .load(store, team, rota)
        .await?
        .ok_or_else(|| Error::not_found(format!("rota {team}/{rota}")))?;
    let Some(li) = l.rota.layer(layer) else {
        return Err(Error::not_found(format!("layer {layer}")));
    };
    let on_layer = by.person.and_then(|p| l.rota.person(p)).is_some_and(|i| {
        l.rota.layers[li]
            .rotations
            .iter()
            .any(|r| r.cadence.participants().contains(&i))
    });
    if !(by.lead || on_layer) {
        return Err(Error::Forbidden(format!(
            "only someone on layer {layer}, a lead of team {team} or an admin may write its handoff notes"
        )));
    }
    let coming = shifts_of(&l, now, now + chrono::Duration::days(60));
    let holder = coming
        .iter()
        .find(|s| s.layer == layer && s.start_ms <= ms(now))
        .map(|s| s.person.clone());
    let next = coming
        .iter()
        .filter(|s| s.layer == layer && s.start_ms > ms(now))
        .find(|s| Some(&s.person) != holder.as_ref())
        .ok_or_else(|| Error::invalid("layer", "no handoff on this layer in the next 60 days"))?;
    store
        .add_handoff_note(team, rota, layer, next.start_ms, by.actor, text, ms(now))
        .await?;
    Ok(chrono::DateTime::from_timestamp_millis(next.start_ms).unwrap_or_default())
}

/// The person on call on `layer` acknowledges the handoff of the shift they
/// hold now; returns that shift's start. Nothing to acknowledge is an error.
pub async fn ack(
    store: &Store,
    cache: &RotaCache,
    (team, rota, layer): (&str, &str, &str),
    person: &str,
    now: Instant,
) -> Result<Instant> {
    use super::error::Error;
    let l = cache
        .load(store, team, rota)
        .await?
        .ok_or_else(|| Error::not_found(format!("rota {team}/{rota}")))?;
    let Some(start) = current_start(&l, layer, person, now) else {
        return Err(Error::Conflict(format!(
            "{person} is not on call on {layer} now"
        )));
    };
    if store
        .ack_handoff((team, rota, layer), person, start, ms(now))
        .await?
        == 0
    {
        return Err(Error::Conflict(
            "no handoff notice to acknowledge for this shift".into(),
        ));
    }
    Ok(chrono::DateTime::from_timestamp_millis(start).unwrap_or_default())
}

/// One entry of a rota's handoff log, with its notes.
pub struct LogEntry {
    pub row: crate::store::HandoffLogRow,
    pub notes: Vec<(String, String)>,
}

/// The rota's latest handoffs (at most `limit`), newest first.
pub async fn log(store: &Store, team: &str, rota: &str, limit: u64) -> Result<Vec<LogEntry>> {
    store
        .load_rota(team, rota)
        .await?
        .ok_or_else(|| super::error::Error::not_found(format!("rota {team}/{rota}")))?;
    let names = super::alerts::names(store).await?;
    let mut out = Vec::new();
    for row in store.handoff_log(team, rota, limit).await? {
        let notes = store
            .handoff_notes(team, rota, &row.layer, row.start_ms)
            .await?
            .into_iter()
            .map(|(who, text)| (super::alerts::shown(&who, &names), text))
            .collect();
        out.push(LogEntry { row, notes });
    }
    Ok(out)
}

/// A note left for a handoff still to come.
pub struct ComingNote {
    pub layer: String,
    pub start_ms: i64,
    /// The author's name.
    pub by: String,
    pub text: String,
}

/// The rota's notes for handoffs after `now`, soonest first.
pub async fn coming_notes(
    store: &Store,
    team: &str,
    rota: &str,
    now: Instant,
) -> Result<Vec<ComingNote>> {
    let names = super::alerts::names(store).await?;
    Ok(store
        .upcoming_handoff_notes(team, rota, ms(now))
        .await?
        .into_iter()
        .map(|(layer, start_ms, who, text)| ComingNote {
            layer,
            start_ms,
            by: super::alerts::shown(&who, &names),
            text,
        })
        .collect())
}

/// When `person`'s current shift on `layer` began (back-to-back pieces are
/// one shift), or None if they are not on call there now.
pub(super) fn current_start(
    l: &super::Loaded,
    layer: &str,
    person: &str,
    now: Instant,
) -> Option<i64> {
    let around = shifts_of(
        l,
        now - chrono::Duration::days(8),
        now + chrono::Duration::seconds(1),
    );
    let mine: Vec<&ShiftRef> = around
        .iter()
        .filter(|s| s.layer == layer && s.person == person)
        .collect();
    let cur = mine
        .iter()
        .find(|s| s.start_ms <= ms(now) && ms(now) < s.end_ms)?;
    let mut start = cur.start_ms;
    while let Some(prev) = mine.iter().find(|s| s.end_ms == start) {
        start = prev.start_ms;
    }
    Some(start)
}

/// Whether `person` is on call on the layer now with a handoff still to
/// acknowledge (what the console offers a button for).
pub async fn needs_ack(
    store: &Store,
    l: &super::Loaded,
    layer: &str,
    person: &str,
    now: Instant,
) -> Result<bool> {
    let Some(start) = current_start(l, layer, person, now) else {
        return Ok(false);
    };
    Ok(store
        .handoff_acked(
            (&l.row.team, &l.row.name, layer),
            Some(person),
            start,
            false,
        )
        .await?)
}
