//! Recording what a send came to (IO): sent, retry later, or failed with
//! a fallback to the person's next channel — written in one transaction
//! with the other outcomes that finished meanwhile (group commit).

use super::fallback;
use super::worker::{Dispatcher, ids_of};
use crate::delivery::retry::{self, Next, SendError};
use crate::notify::Outgoing;
use serde_json::json;

/// A send's outcome waiting to be written.
pub(super) struct Rec {
    pub(super) out: Outgoing,
    pub(super) result: Result<String, SendError>,
    pub(super) done: tokio::sync::oneshot::Sender<()>,
}

impl Dispatcher {
    /// Writes a send's outcome together with the others that finished
    /// meanwhile, in one transaction (group commit): whoever takes the
    /// writer lock writes everything pending; the rest wait for theirs.
    /// During a storm this turns thousands of small write transactions
    /// into a few large ones. Returns once this outcome is written (or its
    /// write failed: the lease then runs out and the page is sent again).
    pub(super) async fn record_batched(&self, out: Outgoing, result: Result<String, SendError>) {
        let (done, written) = tokio::sync::oneshot::channel();
        if let Ok(mut p) = self.pending.lock() {
            p.push(Rec { out, result, done });
        }
        {
            let _w = self.writer.lock().await;
            let batch = self
                .pending
                .lock()
                .map(|mut p| std::mem::take(&mut *p))
                .unwrap_or_default();
            if !batch.is_empty() {
                self.write_records(batch).await;
            }
        }
        let _ = written.await;
    }

    async fn write_records(&self, batch: Vec<Rec>) {
        let all = async {
            let tx = self.store.tx_quiet().await?;
            // The sent ones in one statement and their timeline entries in
            // another (deferred), the failures one by one.
            tx.defer_writes(Default::default());
            let sent: Vec<(&Outgoing, &str)> = batch
                .iter()
                .filter_map(|r| Some((&r.out, r.result.as_deref().ok()?)))
                .collect();
            self.record_sent(&tx, &sent).await?;
            for r in &batch {
                if r.result.is_err() {
                    self.record_in(&tx, &r.out, r.result.clone()).await?;
                }
            }
            tx.commit().await?;
            Ok::<(), crate::engine::error::Error>(())
        };
        if let Err(e) = all.await {
            if batch.len() > 1 {
                tracing::info!(error = %e, n = batch.len(), "recording sends together failed; one at a time");
            }
            for r in &batch {
                if let Err(e) = self.record(&r.out, r.result.clone()).await {
                    // The lease runs out and another pass sends it again.
                    tracing::warn!(error = %e, "recording a send failed");
                }
            }
        }
        for r in batch {
            let _ = r.done.send(());
        }
    }

    async fn record(
        &self,
        out: &Outgoing,
        result: Result<String, SendError>,
    ) -> Result<(), crate::engine::error::Error> {
        let tx = self.store.tx_quiet().await?;
        self.record_in(&tx, out, result).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Messages the provider took: marked sent, each alert's timeline says so.
    async fn record_sent(
        &self,
        tx: &crate::store::Tx,
        sent: &[(&Outgoing, &str)],
    ) -> Result<(), crate::engine::error::Error> {
        if sent.is_empty() {
            return Ok(());
        }
        let now_ms = self.clock.now().timestamp_millis();
        let rows: Vec<_> = sent
            .iter()
            .map(|(out, pid)| {
                let m = &out.message;
                (
                    ids_of(m),
                    pid.to_string(),
                    m.code.clone(),
                    out.idempotency_key.clone(),
                )
            })
            .collect();
        tx.mark_sent(&rows, &self.cfg.instance, now_ms).await?;
        for (out, pid) in sent {
            let m = &out.message;
            for i in &m.items {
                let detail = json!({
                    "channel": m.channel.as_str(), "person": m.person, "address": m.address,
                    "provider_id": pid, "stage": i.stage + 1, "message": out.idempotency_key,
                    "bundled": m.items.len(), "attempt": i.attempts,
                });
                tx.log(&i.alert, now_ms, "notified", "vigil", detail)
                    .await?;
            }
        }
        Ok(())
    }

    async fn record_in(
        &self,
        tx: &crate::store::Tx,
        out: &Outgoing,
        result: Result<String, SendError>,
    ) -> Result<(), crate::engine::error::Error> {
        let m = &out.message;
        let ids = ids_of(m);
        let now = self.clock.now();
        let now_ms = now.timestamp_millis();
        let owner = &self.cfg.instance;
        match result {
            Ok(pid) => self.record_sent(tx, &[(out, &pid)]).await?,
            Err(e) => {
                let attempts = m.items.iter().map(|i| i.attempts).max().unwrap_or(1).max(1) as u32;
                let retry: Vec<chrono::Duration> = self
                    .cfg
                    .retry
                    .iter()
                    .map(|d| chrono::Duration::milliseconds(d.as_millis() as i64))
                    .collect();
                let jitter: f64 = rand::random();
                let may_give_up = fallback::may_give_up(tx, m).await?;
                let next = retry::next_attempt(&retry, attempts, &e, jitter, may_give_up);
                for i in &m.items {
                    let detail = json!({
                        "channel": m.channel.as_str(), "person": m.person, "error": e.reason(),
                        "attempt": i.attempts, "final": next == Next::GiveUp,
                    });
                    tx.log(&i.alert, now_ms, "send_failed", "vigil", detail)
                        .await?;
                }
                match next {
                    Next::RetryIn(d) => {
                        tx.reschedule(&ids, owner, now_ms + d.num_milliseconds(), Some(e.reason()))
                            .await?;
                    }
                    Next::GiveUp => {
                        tx.mark_failed(&ids, owner, e.reason()).await?;
                        fallback::fall_back(tx, m, now).await?;
                    }
                }
            }
        }
        Ok(())
    }
}
