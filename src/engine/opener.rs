//! New alerts in batches (IO). During an outage thousands of triggers
//! arrive at once, each opening an alert: one transaction apiece spends
//! most of its time taking the database's write lock and committing. Here
//! one task collects the triggers that arrive together and opens them in
//! one transaction (alert rows, their first pages in the outbox, their
//! timelines), then answers each once it commits, so an accepted trigger
//! is in the database — the same promise as one at a time.
//!
//! A batch that fails as a whole (two instances racing to open the same
//! dedup key, a database error) is retried one trigger at a time through
//! `alerts::trigger`, so one bad trigger costs the others nothing but time
//! and gets its own answer.

use super::RotaCache;
use super::alerts::{self, NewAlert, Outcome, ServicePolicy};
use super::error::{Error, Result};
use crate::rota::Instant;
use crate::store::{AlertReads as _, AlertRow, Reads as _, Store};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// At most this many triggers per transaction.
const BATCH: usize = 256;

struct Req {
    new: NewAlert,
    actor: String,
    now: Instant,
    reply: oneshot::Sender<Result<(AlertRow, Outcome)>>,
}

/// The handle the intake uses; the batching task ends when every handle is gone.
#[derive(Clone)]
pub struct Opener {
    tx: mpsc::Sender<Req>,
}

impl Opener {
    pub fn start(store: Store, cache: Arc<RotaCache>) -> Opener {
        let (tx, rx) = mpsc::channel(4 * BATCH);
        tokio::spawn(run(store, cache, rx));
        Opener { tx }
    }

    /// Opens an alert, or updates the open one with the same dedup key (as
    /// `alerts::trigger` does), in the next batch.
    pub async fn open(
        &self,
        new: NewAlert,
        actor: &str,
        now: Instant,
    ) -> Result<(AlertRow, Outcome)> {
        new.check()?;
        let (reply, answer) = oneshot::channel();
        let stopped = || {
            Error::Store(crate::store::StoreError::Unavailable(
                "the alert intake stopped".into(),
            ))
        };
        self.tx
            .send(Req {
                new,
                actor: actor.to_string(),
                now,
                reply,
            })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// Services' policies, valid while the change counter stays put (a
/// service write bumps it).
#[derive(Default)]
struct Policies {
    generation: i64,
    by_id: HashMap<String, Arc<ServicePolicy>>,
    /// The teams and people the last batch read.
    memo: crate::store::Memo,
}

async fn run(store: Store, cache: Arc<RotaCache>, mut rx: mpsc::Receiver<Req>) {
    let mut policies = Policies {
        generation: -1,
        ..Policies::default()
    };
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        // A trigger whose sender was already answered 503 (the intake
        // deadline passed while it waited) is not opened: the sender
        // retries it. (One that passes its deadline during the write is
        // opened, and its retry is counted on it by the dedup key.)
        batch.retain(|r| !r.reply.is_closed());
        if batch.is_empty() {
            continue;
        }
        match write(&store, &cache, &mut policies, &batch).await {
            Ok(answers) => {
                for (req, a) in batch.into_iter().zip(answers) {
                    if let Ok((row, outcome)) = &a {
                        traced(row, *outcome, &req.actor);
                    }
                    let _ = req.reply.send(a);
                }
            }
            Err(e) => {
                if batch.len() > 1 {
                    tracing::info!(error = %e, n = batch.len(), "a batch of new alerts failed; opening them one at a time");
                }
                for req in batch {
                    let a = alerts::trigger(&store, &cache, req.new, &req.actor, req.now).await;
                    let _ = req.reply.send(a);
                }
            }
        }
    }
}

/// The log line `alerts::trigger` writes, in the alert's span.
fn traced(row: &AlertRow, outcome: Outcome, actor: &str) {
    let span = tracing::info_span!("alert", id = %row.id, service = %row.service);
    span.in_scope(|| {
        tracing::info!(outcome = ?outcome, priority = row.priority.as_str(), actor, "alert triggered");
    });
}

/// Opens the batch in one transaction; per trigger, its alert or why it
/// was refused (an unknown service). Err when the batch as a whole failed.
async fn write(
    store: &Store,
    cache: &RotaCache,
    policies: &mut Policies,
    batch: &[Req],
) -> Result<Vec<Result<(AlertRow, Outcome)>>> {
    let g = store.generation().await?;
    if g != policies.generation {
        policies.by_id.clear();
        policies.memo = Default::default();
        policies.generation = g;
    }
    let mut sps = Vec::with_capacity(batch.len());
    for r in batch {
        let sp = match policies.by_id.get(&r.new.service) {
            Some(sp) => Ok(sp.clone()),
            None => match alerts::load_policy(store, &r.new.service).await {
                Ok(sp) => {
                    let sp = Arc::new(sp);
                    policies.by_id.insert(r.new.service.clone(), sp.clone());
                    Ok(sp)
                }
                Err(Error::Store(e)) => return Err(Error::Store(e)),
                Err(e) => Err(e),
            },
        };
        sps.push(sp);
    }
    let tx = store.tx_quiet().await?;
    // The batch's rows are written together (multi-row INSERTs), and which
    // of its dedup keys are open is read at once: a trigger whose key is
    // neither open nor earlier in the batch opens a new alert without a
    // read of its own. (A racing instance that opens the same key first
    // makes the batch's insert fail on the unique index, and the batch is
    // retried one trigger at a time.)
    tx.defer_writes(std::mem::take(&mut policies.memo));
    let keys: Vec<(String, String)> = batch
        .iter()
        .zip(&sps)
        .filter_map(|(r, sp)| Some((sp.as_ref().ok()?.row.id.clone(), r.new.dedup_key.clone()?)))
        .collect();
    let open = tx.open_keys(&keys).await?;
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(batch.len());
    for (r, sp) in batch.iter().zip(sps) {
        let sp = match sp {
            Ok(sp) => sp,
            Err(e) => {
                out.push(Err(e));
                continue;
            }
        };
        let done = match &r.new.dedup_key {
            Some(k)
                if open.contains(&(sp.row.id.clone(), k.clone()))
                    || !seen.insert((sp.row.id.clone(), k.clone())) =>
            {
                alerts::trigger_in(&tx, cache, &sp, r.new.clone(), &r.actor, r.now).await?
            }
            key => {
                let key = key.clone().unwrap_or_else(|| crate::ids::new_id("dk_"));
                alerts::open_new_in(&tx, cache, &sp, r.new.clone(), key, &r.actor, r.now).await?
            }
        };
        out.push(Ok(done));
    }
    policies.memo = tx.take_memo();
    tx.commit().await?;
    Ok(out)
}
