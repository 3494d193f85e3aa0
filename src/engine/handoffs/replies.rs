//! Handoffs by reply, by SMS or in a Slack direct message (IO): "NOTE …"
//! from a person leaves a note for the next handoff of the layer they are
//! on call on now (or, off call, of the layer of the last handoff notice
//! they were sent); a bare "ACK" with no open page acknowledges the
//! handoff of the shift they hold now.

use super::{NoteBy, add_note, current_start};
use crate::engine::RotaCache;
use crate::engine::calendar::person_rotas;
use crate::engine::error::Result;
use crate::rota::Instant;
use crate::store::{Reads, Store};

/// The person whose phone number this is.
async fn person_by_phone(store: &Store, phone: &str) -> Result<Option<String>> {
    Ok(store
        .load_people()
        .await?
        .into_iter()
        .find(|p| p.phone.as_deref() == Some(phone))
        .map(|p| p.handle))
}

/// The layers `person` is on call on now, with their shift's start.
async fn holding(
    store: &Store,
    cache: &RotaCache,
    person: &str,
    now: Instant,
) -> Result<Vec<((String, String, String), i64)>> {
    let generation = store.generation().await?;
    let mut out = Vec::new();
    for l in person_rotas(store, cache, generation, person).await? {
        for layer in &l.rota.layers {
            if let Some(start) = current_start(&l, &layer.name, person, now) {
                let key = (l.row.team.clone(), l.row.name.clone(), layer.name.clone());
                out.push((key, start));
            }
        }
    }
    Ok(out)
}

/// A "NOTE …" text from `phone`; returns the answer to text back.
pub async fn note_by_sms(
    store: &Store,
    cache: &RotaCache,
    phone: &str,
    text: &str,
    now: Instant,
) -> Result<String> {
    match person_by_phone(store, phone).await? {
        Some(person) => note_by(store, cache, &person, text, now).await,
        None => Ok("Vigil does not know this number.".into()),
    }
}

/// A "NOTE …" reply from `person`; returns the answer to send back.
pub async fn note_by(
    store: &Store,
    cache: &RotaCache,
    person: &str,
    text: &str,
    now: Instant,
) -> Result<String> {
    let person = person.to_string();
    let layer = match holding(store, cache, &person, now)
        .await?
        .into_iter()
        .next()
    {
        Some((key, _)) => Some(key),
        None => store.latest_handoff_layer(&person).await?,
    };
    let Some((team, rota, layer)) = layer else {
        return Ok("You are not on call, and no handoff was sent to you to note.".into());
    };
    let by = NoteBy {
        actor: &person,
        person: Some(&person),
        lead: false,
    };
    Ok(
        match add_note(store, cache, (&team, &rota, &layer), by, text, now).await {
            Ok(at) => {
                let zone = cache
                    .load(store, &team, &rota)
                    .await?
                    .map(|l| l.rota.zone.clone())
                    .unwrap_or_else(crate::tz::Zone::utc);
                format!(
                    "Noted for the {team}/{rota} ({layer}) handoff at {} {}.",
                    zone.local_time(&at).format("%a %-d %b %H:%M"),
                    zone.name()
                )
            }
            Err(e) => format!("Not noted: {e}."),
        },
    )
}

/// A bare "ACK" from `phone` with no open page: acknowledges the handoff
/// of every shift the person holds now that awaits it. None: nothing to
/// acknowledge (the caller answers as for pages).
pub async fn ack_by_sms(
    store: &Store,
    cache: &RotaCache,
    phone: &str,
    now: Instant,
) -> Result<Option<String>> {
    match person_by_phone(store, phone).await? {
        Some(person) => ack_by(store, cache, &person, now).await,
        None => Ok(None),
    }
}

/// As `ack_by_sms`, for `person`.
pub async fn ack_by(
    store: &Store,
    cache: &RotaCache,
    person: &str,
    now: Instant,
) -> Result<Option<String>> {
    let mut done = Vec::new();
    for ((team, rota, layer), start) in holding(store, cache, person, now).await? {
        let n = store
            .ack_handoff(
                (&team, &rota, &layer),
                person,
                start,
                now.timestamp_millis(),
            )
            .await?;
        if n > 0 {
            done.push(format!("{team}/{rota} ({layer})"));
        }
    }
    Ok((!done.is_empty()).then(|| format!("Handoff acknowledged: {}.", done.join(", "))))
}

/// Queues `words` for the Slack conversation `channel`, answering a
/// message of `person` (event `event`, Slack's id for it): written as a
/// notice and sent by the dispatcher, so a Slack outage at that moment
/// delays the answer instead of losing it. Not sent after an hour.
pub async fn answer_in_chat(
    store: &Store,
    person: &str,
    channel: &str,
    event: &str,
    words: &str,
    now: Instant,
) -> Result<()> {
    let at = now.timestamp_millis();
    let row = crate::store::HandoffRow {
        id: crate::ids::hash(&format!("answer/{person}/{event}/{at}")),
        team: String::new(),
        rota: String::new(),
        layer: String::new(),
        person: person.to_string(),
        kind: super::MESSAGE.into(),
        start_ms: at,
        end_ms: at + 3_600_000,
        other: Some(super::written(channel, words)),
        due_ms: at,
    };
    let tx = store.tx_quiet().await?;
    tx.add_notices([&row], at).await?;
    Ok(tx.commit().await?)
}
