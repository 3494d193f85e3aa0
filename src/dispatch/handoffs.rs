//! Handoff notices (IO): plans them from the rotas at most once a minute
//! (by the dispatcher's clock), claims the due ones with a lease (so one
//! instance sends each), and sends them through the person's channel.

use super::worker::Dispatcher;
use crate::engine::handoffs;
use crate::notify::Outgoing;
use crate::store::HandoffRow;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// How often the coming shifts are planned again.
const PLAN_EVERY_MS: i64 = 60_000;
/// A handoff message later than this after its moment is not sent at all
/// (all instances were down); a reminder is never sent after its shift began.
const LATE_MS: i64 = 3_600_000;

impl Dispatcher {
    /// Plans when due and starts sending due notices; returns how many it started.
    /// Plans notices now and then; claims and sends those due when `due`
    /// (the next-due read says something is: claiming is a write, and on
    /// SQLite takes the one writer's lock from the intake).
    pub(super) async fn handoffs(self: &Arc<Self>, now: crate::rota::Instant, due: bool) -> usize {
        let now_ms = now.timestamp_millis();
        let last = self.last_plan.load(Ordering::SeqCst);
        let plan = now_ms.saturating_sub(last) >= PLAN_EVERY_MS || now_ms < last;
        if plan {
            self.last_plan.store(now_ms, Ordering::SeqCst);
            if let Err(e) = handoffs::plan_upcoming(&self.store, &self.cache, now).await {
                tracing::warn!(error = %e, "planning handoff notices failed");
            }
            if let Err(e) = handoffs::plan_coverage_warnings(&self.store, &self.cache, now).await {
                tracing::warn!(error = %e, "checking coverage failed");
            }
        }
        // (Notices just planned may be due at once.)
        if !due && !plan {
            return 0;
        }
        let lease = now_ms + self.cfg.lease.as_millis() as i64;
        let rows = match self
            .store
            .claim_handoffs(&self.cfg.instance, now_ms, lease, 50)
            .await
        {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "claiming handoff notices failed");
                return 0;
            }
        };
        let n = rows.len();
        for r in rows {
            self.signal.inflight.fetch_add(1, Ordering::SeqCst);
            let me = self.clone();
            tokio::spawn(async move {
                me.send_handoff(r).await;
                me.signal.inflight.fetch_sub(1, Ordering::SeqCst);
                me.signal.wake.notify_one();
            });
        }
        n
    }

    async fn send_handoff(&self, r: HandoffRow) {
        let now_ms = self.clock.now().timestamp_millis();
        let late = if r.kind.starts_with("remind") || r.kind == "ending" {
            now_ms >= r.start_ms
        } else if r.kind == handoffs::MESSAGE {
            // Worth sending after an outage until its end: a swap's while
            // the shift is ahead, an answer in a chat within the hour.
            now_ms >= r.end_ms
        } else {
            // A user group is set to who is on call when it is sent: never late.
            r.kind != "usergroup" && now_ms - r.due_ms > LATE_MS
        };
        let status = match handoffs::still_holds(&self.store, &self.cache, &r).await {
            Ok(false) => "skipped",
            Ok(true) if late => "skipped",
            Ok(true) => match self.deliver_handoff(&r, now_ms).await {
                Ok(true) => "sent",
                Ok(false) => "skipped",
                Err(why) => {
                    // The lease runs out and the notice is tried again.
                    tracing::warn!(notice = %r.id, person = %r.person, why, "a handoff notice was not sent");
                    return;
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, notice = %r.id, "checking a handoff notice failed");
                return;
            }
        };
        if let Err(e) = self
            .store
            .finish_handoff(&r.id, &self.cfg.instance, status, now_ms)
            .await
        {
            tracing::warn!(error = %e, notice = %r.id, "recording a handoff notice failed");
        }
    }

    /// Sends the notice; false when there was nothing to send.
    async fn deliver_handoff(&self, r: &HandoffRow, now_ms: i64) -> Result<bool, String> {
        let now = chrono::DateTime::from_timestamp_millis(now_ms).unwrap_or_default();
        let Some((channel, address, text)) = handoffs::message(&self.store, &self.cache, r, now)
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(false);
        };
        let person = (!r.person.is_empty() && r.kind != "channel").then_some(r.person.as_str());
        let mut out = Outgoing::notice(channel, &address, person, text, now_ms);
        // Providers that honour it drop a resend after a crash.
        out.idempotency_key = format!("handoff-{}", &r.id[..r.id.len().min(32)]);
        let notifier = self.notifiers.get(channel);
        match tokio::time::timeout(self.cfg.send_timeout, notifier.send(&out)).await {
            Ok(Ok(_)) => Ok(true),
            Ok(Err(e)) => Err(format!("{e:?}")),
            Err(_) => Err("no answer in time".into()),
        }
    }
}
