//! When a channel fails for good: whether to give up on it, and paging each
//! person on their next channel instead (IO, inside the send's transaction).

use crate::delivery::plan::Message;
use crate::engine::alerts;
use crate::escalation::rules::{self, Channel};

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
        alerts::next_channel(
            tx,
            &i.alert,
            i.person.as_deref(),
            i.priority,
            i.stage as i64,
            i.round as i64,
            m.channel,
            now,
        )
        .await?;
    }
    Ok(())
}
