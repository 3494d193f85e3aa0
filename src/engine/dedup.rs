//! Deduplicated triggers in batches (IO). A monitoring tool that keeps
//! firing the same alert sends the same (integration key, dedup key) many
//! times a second. Each such trigger only counts and stamps the open alert,
//! so instead of one transaction per event, one task collects the events
//! that arrive together and writes them in one transaction: one UPDATE and
//! one timeline entry per distinct alert, whatever the batch size. Every
//! event is answered only after its batch commits, so an accepted event is
//! in the database.
//!
//! An event whose alert is not open (or whose timer is overdue, so the
//! state machine has catching up to do) is answered `NotOpen`, and the
//! caller takes the full `alerts::trigger` path.

use crate::ids::hash;
use crate::store::{AlertReads as _, Reads as _};
use crate::store::{Store, StoreError};
use serde_json::json;
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deduped {
    /// Counted on the open alert `alert` of `service`.
    Counted {
        service: String,
        alert: String,
    },
    /// The key is valid but no open alert can simply be counted.
    NotOpen {
        service: String,
    },
    UnknownKey,
}

struct Req {
    key_hash: String,
    dedup: String,
    now_ms: i64,
    reply: oneshot::Sender<Result<Deduped, String>>,
}

/// The handle the intake uses; the batching task ends when every handle is gone.
#[derive(Clone)]
pub struct Deduper {
    tx: mpsc::Sender<Req>,
}

/// At most this many events per transaction.
const BATCH: usize = 512;

impl Deduper {
    pub fn start(store: Store) -> Deduper {
        let (tx, rx) = mpsc::channel(4 * BATCH);
        tokio::spawn(run(store, rx));
        Deduper { tx }
    }

    /// Counts a trigger with `dedup` under integration key `key`, at `now_ms`.
    pub async fn count(&self, key: &str, dedup: &str, now_ms: i64) -> Result<Deduped, String> {
        let (reply, answer) = oneshot::channel();
        let req = Req {
            key_hash: hash(key.trim()),
            dedup: dedup.to_string(),
            now_ms,
            reply,
        };
        self.tx
            .send(req)
            .await
            .map_err(|_| "deduplication stopped".to_string())?;
        answer
            .await
            .map_err(|_| "deduplication stopped".to_string())?
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Req>) {
    // Integration keys by hash, valid while the change counter stays put
    // (creating or revoking a key bumps it).
    let mut keys: HashMap<String, Option<String>> = HashMap::new();
    let mut generation = -1;
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        match write(&store, &mut keys, &mut generation, &batch).await {
            Ok(answers) => {
                for (req, a) in batch.into_iter().zip(answers) {
                    let _ = req.reply.send(Ok(a));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "writing deduplicated triggers failed");
                for req in batch {
                    let _ = req.reply.send(Err(e.to_string()));
                }
            }
        }
    }
}

async fn write(
    store: &Store,
    keys: &mut HashMap<String, Option<String>>,
    generation: &mut i64,
    batch: &[Req],
) -> Result<Vec<Deduped>, StoreError> {
    let g = store.generation().await?;
    if g != *generation {
        keys.clear();
        *generation = g;
    }
    let mut services = Vec::with_capacity(batch.len());
    for r in batch {
        if !keys.contains_key(&r.key_hash) {
            let svc = store
                .find_integration_key(&r.key_hash)
                .await?
                .map(|k| k.service);
            keys.insert(r.key_hash.clone(), svc);
        }
        services.push(keys[&r.key_hash].clone());
    }
    // (service, dedup) → (events, latest instant)
    let mut groups: HashMap<(String, String), (i64, i64)> = HashMap::new();
    for (r, svc) in batch.iter().zip(&services) {
        if let Some(svc) = svc {
            let g = groups
                .entry((svc.clone(), r.dedup.clone()))
                .or_insert((0, r.now_ms));
            g.0 += 1;
            g.1 = g.1.max(r.now_ms);
        }
    }
    // Most triggers in a storm are new: one read finds the few that have
    // an open alert to count, and with none, no write transaction at all.
    let pairs: Vec<(String, String)> = groups.keys().cloned().collect();
    let open = store.open_keys(&pairs).await?;
    groups.retain(|k, _| open.contains(k));
    let mut counted: HashMap<(String, String), String> = HashMap::new();
    if groups.is_empty() {
        return Ok(answers(batch, services, &counted));
    }
    let tx = store.tx_quiet().await?;
    for ((svc, dedup), (n, at)) in &groups {
        if let Some((id, count)) = tx.count_duplicates(svc, dedup, *n, *at).await? {
            let detail = json!({ "count": count, "events": n });
            tx.log(
                &id,
                *at,
                "deduplicated",
                &format!("integration:{svc}"),
                detail,
            )
            .await?;
            counted.insert((svc.clone(), dedup.clone()), id);
        }
    }
    tx.commit().await?;
    Ok(answers(batch, services, &counted))
}

/// Each event's answer: counted on its open alert, not open, or unknown.
fn answers(
    batch: &[Req],
    services: Vec<Option<String>>,
    counted: &HashMap<(String, String), String>,
) -> Vec<Deduped> {
    batch
        .iter()
        .zip(services)
        .map(|(r, svc)| match svc {
            None => Deduped::UnknownKey,
            Some(service) => match counted.get(&(service.clone(), r.dedup.clone())) {
                Some(alert) => Deduped::Counted {
                    service,
                    alert: alert.clone(),
                },
                None => Deduped::NotOpen { service },
            },
        })
        .collect()
}
