//! When a channel fails for good: whether to give up on it, and paging each
//! person on their next channel instead (IO, inside the send's transaction).

use crate::delivery::plan::Message;
use crate::engine::alerts;
use crate::escalation::State;
use crate::escalation::rules::{self, Channel};
use crate::store::AlertReads as _;
use serde_json::json;

/// Whether a message may stop being retried: it is no page (a chat
/// rewrite), or every person it pages has another real channel (not the
/// console) to fall back to.
pub(super) async fn may_give_up(
    tx: &crate::store::Tx,
    m: &Message,
) -> Result<bool, crate::engine::error::Error> {
    if m.channel == Channel::ChatUpdate {
        return Ok(true);
    }
    for i in &m.items {
        let Some(p) = &i.person else { return Ok(false) };
        let (rules, contact) = alerts::person_plan(tx, p, i.priority).await?;
        match rules::fallback(&rules, &contact, m.channel) {
            Some((c, _)) if c != Channel::Console => {}
            _ => return Ok(false),
        }
    }
    Ok(true)
}

/// A channel failed for good: page each person on their next channel,
/// at once, unless this page already went (or is going) that way.
pub(super) async fn fall_back(
    tx: &crate::store::Tx,
    m: &Message,
    now: crate::rota::Instant,
) -> Result<(), crate::engine::error::Error> {
    for i in &m.items {
        if m.channel == Channel::ChatUpdate {
            // A message rewrite that failed is not a page to deliver elsewhere.
            continue;
        }
        let Some(alert) = tx.load_alert(&i.alert).await? else {
            continue;
        };
        if alert.status != State::Triggered {
            continue;
        }
        let (rules, contact) = match &i.person {
            Some(p) => alerts::person_plan(tx, p, i.priority).await?,
            None => (Vec::new(), rules::Contact::default()),
        };
        let Some((ch, addr)) = rules::fallback(&rules, &contact, m.channel) else {
            continue;
        };
        if tx
            .page_has_channel(
                &i.alert,
                i.stage as i64,
                i.round as i64,
                i.person.as_deref(),
                ch.as_str(),
            )
            .await?
        {
            continue;
        }
        alerts::insert_page(
            tx,
            &alert,
            i.person.as_deref(),
            ch,
            &addr,
            i.stage as i64,
            i.round as i64,
            now,
            now,
        )
        .await?;
        tx.log(
            &i.alert,
            now.timestamp_millis(),
            "fallback",
            "vigil",
            json!({ "from": m.channel.as_str(), "to": ch.as_str(), "person": i.person }),
        )
        .await?;
    }
    Ok(())
}
