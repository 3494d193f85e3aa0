//! The dispatcher (IO): a loop that runs due alert timers
//! (`engine::alerts::tick_due`), claims due notifications with a lease,
//! bundles and throttles them (`plan`), sends each through its provider
//! (`notify`) with a timeout, and records the outcome: sent, retry later
//! (`retry`), or failed with a fallback to the person's next channel.
//!
//! Claims are leases, so a crash mid-send means the notification is sent
//! again once the lease runs out (or at once when the same instance
//! restarts): at most one extra send per crash, carrying the same
//! idempotency key.

use crate::clock::Clock;
use crate::config::DispatchConfig;
use crate::delivery::links;
use crate::delivery::plan::{self, Item, Message};
use crate::delivery::retry::SendError;
use crate::engine::RotaCache;
use crate::engine::alerts;
use crate::escalation::State;
use crate::escalation::rules::Channel;
use crate::notify::{Outgoing, Registry};
use crate::store::AlertReads as _;
use crate::store::{OutboxRow, Store};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use tokio::sync::{Notify, watch};

/// Wakes the worker and lets tests wait until it has nothing left to do.
pub struct Signal {
    pub(super) wake: Notify,
    kicks: AtomicU64,
    idle: watch::Sender<u64>,
    pub(super) inflight: AtomicUsize,
    /// Provider requests under way (the concurrency limit counts these;
    /// a send whose outcome waits to be written no longer does).
    sending: AtomicUsize,
}

#[derive(Clone)]
pub struct DispatchHandle(Arc<Signal>);

impl DispatchHandle {
    /// Something changed: look for due work now.
    pub fn wake(&self) {
        self.0.wake.notify_one();
    }
    /// Returns once the worker has run with the clock as it is now and
    /// found nothing due and nothing in flight.
    pub async fn settle(&self) {
        let n = self.0.kicks.fetch_add(1, Ordering::SeqCst) + 1;
        let mut rx = self.0.idle.subscribe();
        self.0.wake.notify_one();
        let _ = rx.wait_for(|v| *v >= n).await;
    }
}

pub struct Dispatcher {
    pub store: Store,
    pub cache: Arc<RotaCache>,
    pub clock: Arc<dyn Clock>,
    pub notifiers: Registry,
    pub cfg: DispatchConfig,
    pub public_url: String,
    pub link_secret: String,
    pub(super) signal: Arc<Signal>,
    /// When handoff notices were last planned (this dispatcher's clock).
    pub(super) last_plan: std::sync::atomic::AtomicI64,
    /// Where page latencies and provider errors are counted.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Send outcomes waiting to be written, and the lock whoever writes
    /// them holds (group commit: see `record_batched`).
    pub(super) pending: std::sync::Mutex<Vec<super::record::Rec>>,
    pub(super) writer: tokio::sync::Mutex<()>,
}

/// How long signed links in pages stay valid.
const LINK_DAYS: i64 = 7;

impl Dispatcher {
    pub fn new(
        store: Store,
        cache: Arc<RotaCache>,
        clock: Arc<dyn Clock>,
        notifiers: Registry,
        cfg: DispatchConfig,
        public_url: String,
        link_secret: String,
    ) -> Dispatcher {
        let (idle, _) = watch::channel(0);
        Dispatcher {
            store,
            cache,
            clock,
            notifiers,
            cfg,
            public_url,
            link_secret,
            signal: Arc::new(Signal {
                wake: Notify::new(),
                kicks: AtomicU64::new(0),
                idle,
                inflight: AtomicUsize::new(0),
                sending: AtomicUsize::new(0),
            }),
            last_plan: std::sync::atomic::AtomicI64::new(i64::MIN),
            metrics: Default::default(),
            pending: Default::default(),
            writer: Default::default(),
        }
    }

    pub fn handle(&self) -> DispatchHandle {
        DispatchHandle(self.signal.clone())
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// Runs until `stop` turns true, then waits for sends in flight.
    pub async fn run(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        match self.store.release_leases(&self.cfg.instance).await {
            Ok(n) if n > 0 => tracing::info!(n, "took back this instance's earlier claims"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not release earlier claims"),
        }
        // The first handoff plan waits a minute (by this clock): a start
        // does not write while other instances are starting too.
        self.last_plan
            .store(self.clock.now().timestamp_millis(), Ordering::SeqCst);
        while !*stop.borrow() {
            let kick = self.signal.kicks.load(Ordering::SeqCst);
            let now = self.clock.now();
            // One read says whether anything is due; only then take the
            // write transactions (on SQLite, the one writer's lock).
            let due = match self.store.next_due_ms().await {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(error = %e, "reading the next due instant failed");
                    Some(now.timestamp_millis())
                }
            };
            let now_ms = now.timestamp_millis();
            let is_due = due.is_some_and(|d| d <= now_ms);
            if self.handoffs(now, is_due).await > 0 {
                continue;
            }
            if is_due && self.step(now).await > 0 {
                continue;
            }
            if self.signal.inflight.load(Ordering::SeqCst) == 0 {
                self.signal.idle.send_replace(kick);
            }
            // Sleep until the next due instant, at most one sweep.
            let pause = match due {
                Some(d) if d <= now_ms => std::time::Duration::from_millis(20),
                Some(d) => {
                    std::time::Duration::from_millis((d - now_ms) as u64).min(self.cfg.sweep)
                }
                None => self.cfg.sweep,
            };
            tokio::select! {
                _ = self.signal.wake.notified() => {}
                // Another instance made work (PostgreSQL notifications).
                _ = self.store.changes().work.notified() => {}
                _ = tokio::time::sleep(pause) => {}
                _ = stop.changed() => {}
            }
        }
        let deadline =
            tokio::time::Instant::now() + self.cfg.send_timeout + std::time::Duration::from_secs(1);
        while self.signal.inflight.load(Ordering::SeqCst) > 0
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// One pass: due timers, then due notifications. Returns the work done.
    async fn step(self: &Arc<Self>, now: crate::rota::Instant) -> usize {
        let mut did = 0;
        match alerts::tick_due(&self.store, &self.cache, now, 100).await {
            Ok(n) => did += n,
            Err(e) => tracing::warn!(error = %e, "running alert timers failed"),
        }
        match self.send_due(now.timestamp_millis()).await {
            Ok(n) => did += n,
            Err(e) => tracing::warn!(error = %e, "claiming notifications failed"),
        }
        did
    }

    async fn send_due(self: &Arc<Self>, now: i64) -> crate::store::Result<usize> {
        let free = self
            .cfg
            .concurrency
            .saturating_sub(self.signal.sending.load(Ordering::SeqCst));
        if free == 0 {
            return Ok(0);
        }
        let lease = now + self.cfg.lease.as_millis() as i64;
        let rows = self
            .store
            .claim_outbox(&self.cfg.instance, now, lease, free.min(100) as u64)
            .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let n = rows.len();
        let mut ids: Vec<String> = rows.iter().map(|r| r.alert.clone()).collect();
        ids.sort();
        ids.dedup();
        let alerts: HashMap<String, crate::store::AlertRow> = self
            .store
            .load_alerts_by_ids(&ids)
            .await?
            .into_iter()
            .map(|a| (a.id.clone(), a))
            .collect();
        // Rewritten chat messages name who acknowledged or resolved.
        let names = if rows.iter().any(|r| r.channel == Channel::ChatUpdate) {
            use crate::store::Reads as _;
            self.store
                .load_people()
                .await?
                .into_iter()
                .map(|p| (p.handle, p.name))
                .collect()
        } else {
            HashMap::new()
        };
        let items: Vec<Item> = rows
            .iter()
            .filter_map(|r| item(r, &alerts, &names))
            .collect();
        let messages = plan::bundle(items);
        let go = self.throttle(messages, now).await?;
        let go = self.unique_codes(go, now).await?;
        for m in go {
            self.signal.inflight.fetch_add(1, Ordering::SeqCst);
            self.signal.sending.fetch_add(1, Ordering::SeqCst);
            let me = self.clone();
            tokio::spawn(async move {
                me.deliver(m).await;
                me.signal.inflight.fetch_sub(1, Ordering::SeqCst);
                me.signal.wake.notify_one();
            });
        }
        Ok(n)
    }

    /// The messages to send now. Those over their address's budget wait
    /// (rescheduled) until the window frees up. The budget is the `sends`
    /// ledger, read and written under a lock per address in one
    /// transaction, so every instance shares it and a restart keeps it.
    async fn throttle(
        &self,
        messages: Vec<Message>,
        now: i64,
    ) -> crate::store::Result<Vec<Message>> {
        const WINDOW_MS: i64 = 60_000;
        let limit = |c: Channel| {
            self.cfg.throttle.get(c.as_str()).map(|n| plan::Limit {
                count: *n,
                window_ms: WINDOW_MS,
            })
        };
        let keys: std::collections::BTreeSet<(Channel, String)> = messages
            .iter()
            .filter(|m| limit(m.channel).is_some())
            .map(|m| (m.channel, m.address.clone()))
            .collect();
        if keys.is_empty() {
            return Ok(messages);
        }
        let tx = self.store.tx_quiet().await?;
        // The window of every address in one read, the new sends in one write.
        let pairs: Vec<(String, String)> = keys
            .iter()
            .map(|(c, a)| (c.as_str().to_string(), a.clone()))
            .collect();
        tx.lock_addresses(&pairs).await?;
        let mut times = tx.sends_since_each(&pairs, now - WINDOW_MS).await?;
        let sent: HashMap<(Channel, String), Vec<i64>> = keys
            .into_iter()
            .map(|(c, a)| {
                let t = times
                    .remove(&(c.as_str().to_string(), a.clone()))
                    .unwrap_or_default();
                ((c, a), t)
            })
            .collect();
        let (go, hold) = plan::throttle(messages, &sent, limit, now);
        let rows: Vec<(String, String, String)> = go
            .iter()
            .filter(|m| limit(m.channel).is_some())
            .map(|m| {
                (
                    m.items[0].id.clone(),
                    m.channel.as_str().to_string(),
                    m.address.clone(),
                )
            })
            .collect();
        tx.record_sends(&rows, now).await?;
        for (m, until) in &hold {
            tx.reschedule(&ids_of(m), &self.cfg.instance, *until, None)
                .await?;
        }
        tx.prune_sends(now - 2 * WINDOW_MS).await?;
        tx.commit().await?;
        Ok(go)
    }

    /// Gives each SMS a reply code no other message to that number carried
    /// in the last `LINK_DAYS` (or carries in this pass).
    async fn unique_codes(
        &self,
        mut go: Vec<Message>,
        now: i64,
    ) -> crate::store::Result<Vec<Message>> {
        let mut numbers: Vec<String> = go
            .iter()
            .filter(|m| m.channel == Channel::Sms)
            .map(|m| m.address.clone())
            .collect();
        if numbers.is_empty() {
            return Ok(go);
        }
        numbers.sort();
        numbers.dedup();
        let since = now - LINK_DAYS * 86_400_000;
        let mut used = self.store.codes_sent_to_each(&numbers, since).await?;
        for m in go.iter_mut().filter(|m| m.channel == Channel::Sms) {
            let set = used.entry(m.address.clone()).or_default();
            if set.contains(&m.code) {
                m.code = plan::fresh_code(set, rand::random::<u32>);
            }
            set.insert(m.code.clone());
        }
        Ok(go)
    }

    fn outgoing(&self, m: Message, now_ms: i64) -> Outgoing {
        let id = m.items[0].id.clone();
        let exp = now_ms / 1000 + LINK_DAYS * 86_400;
        let link = |action: &str| {
            format!(
                "{}/ack/{}",
                self.public_url,
                links::sign_link(&self.link_secret, &id, action, exp)
            )
        };
        // Every page leads to the alert in the console (a bundle to the list);
        // a spoken URL helps nobody, and a chat update keeps its text.
        let console_url = match m.items.as_slice() {
            [one] => format!("{}/alerts/{}", self.public_url, one.alert),
            _ => format!("{}/alerts", self.public_url),
        };
        let text = plan::page_text(&m, &console_url);
        Outgoing {
            text,
            console_url,
            ack_url: link("ack"),
            resolve_url: link("resolve"),
            voice_callback: format!("{}/api/v1/callbacks/twilio/voice?m={id}", self.public_url),
            status_callback: format!("{}/api/v1/callbacks/twilio/status?m={id}", self.public_url),
            idempotency_key: id,
            now_ms,
            message: m,
        }
    }

    async fn deliver(&self, m: Message) {
        use tracing::Instrument as _;
        // One span per send, naming the alert(s), so a page can be
        // followed in the logs from trigger to provider.
        let alerts: Vec<&str> = m.items.iter().map(|i| i.alert.as_str()).collect();
        let span = tracing::info_span!(
            "send",
            alert = %alerts.join(","),
            notification = %m.items[0].id,
            channel = m.channel.as_str(),
            attempt = m.items.iter().map(|i| i.attempts).max().unwrap_or(1),
        );
        self.deliver_in(m).instrument(span).await
    }

    async fn deliver_in(&self, m: Message) {
        let out = self.outgoing(m, self.now_ms());
        let channel = out.message.channel.as_str();
        let notifier = self.notifiers.get(out.message.channel);
        let result = match tokio::time::timeout(self.cfg.send_timeout, notifier.send(&out)).await {
            Ok(r) => r,
            Err(_) => Err(SendError::Retryable(format!(
                "no answer within {} ms",
                self.cfg.send_timeout.as_millis()
            ))),
        };
        // The provider answered: the slot is free for the next request
        // while the outcome waits for its group commit.
        self.signal.sending.fetch_sub(1, Ordering::SeqCst);
        self.signal.wake.notify_one();
        let now = self.now_ms();
        match &result {
            Ok(pid) => {
                let due = out
                    .message
                    .items
                    .iter()
                    .map(|i| i.due_ms)
                    .min()
                    .unwrap_or(now);
                let first = out
                    .message
                    .items
                    .iter()
                    .filter_map(|i| i.triggered_ms)
                    .min()
                    .map(|t| (now - t) as f64 / 1000.0);
                self.metrics
                    .sent(channel, (now - due) as f64 / 1000.0, first);
                tracing::info!(provider_id = %pid, "sent");
            }
            Err(e) => {
                let class = match e {
                    SendError::Retryable(_) => "retryable",
                    SendError::Permanent(_) => "permanent",
                    SendError::RateLimited { .. } => "rate_limited",
                };
                self.metrics.provider_error(channel, class);
                tracing::warn!(class, error = %crate::logs::one_line(e.reason()), "send failed");
            }
        }
        self.record_batched(out, result).await;
    }
}

pub(super) fn ids_of(m: &Message) -> Vec<String> {
    m.items.iter().map(|i| i.id.clone()).collect()
}

fn item(
    r: &OutboxRow,
    alerts: &HashMap<String, crate::store::AlertRow>,
    names: &HashMap<String, String>,
) -> Option<Item> {
    let a = alerts.get(&r.alert)?;
    Some(Item {
        id: r.id.clone(),
        alert: r.alert.clone(),
        service: a.service.clone(),
        priority: r.priority,
        summary: match r.channel {
            Channel::ChatUpdate => status_line(a, names),
            _ => a.summary.clone(),
        },
        source: a.source.clone(),
        link: plan::first_link(&a.links),
        open: a.status.is_open(),
        channel: r.channel,
        address: r.address.clone(),
        person: r.person.clone(),
        code: r.code.clone(),
        attempts: r.attempts as i32,
        due_ms: r.due_ms,
        stage: r.stage as i32,
        round: r.round as i32,
        // One of the alert's first pages: stage 1, first round, written
        // with the alert and not yet tried.
        triggered_ms: (r.stage == 0
            && r.round == 0
            && r.attempts <= 1
            && r.created_ms == a.created_ms)
            .then_some(a.created_ms),
    })
}

/// "summary — acknowledged by Carol Jones (sms)": what an updated chat
/// message says.
fn status_line(a: &crate::store::AlertRow, names: &HashMap<String, String>) -> String {
    let who = match a.status {
        State::Resolved => a.resolved_by.as_deref(),
        _ => a.ack_by.as_deref(),
    }
    .map(|w| alerts::shown(w, names));
    let via = a
        .ack_via
        .as_deref()
        .filter(|_| a.status == State::Acknowledged);
    let status = a.status.as_str();
    match (who, via) {
        (Some(w), Some(v)) => format!("{} — {status} by {w} ({v})", a.summary),
        (Some(w), None) => format!("{} — {status} by {w}", a.summary),
        _ => format!("{} — {status}", a.summary),
    }
}
