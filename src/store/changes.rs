//! What other writers changed (IO), so reads need no query to learn it.
//!
//! Every cache in Vigil (built rotas, rendered feeds, tokens, service
//! policies) is labelled with the change counter (`meta.generation`),
//! which every configuration write bumps. Reading it costs a query; here
//! the last value read is kept and trusted until something says it may
//! have moved:
//! - a configuration write by this process (its commit forgets the value);
//! - on PostgreSQL, a notification: every write transaction sends
//!   `NOTIFY vigil` at commit (`g` when it bumped the counter, `w` when it
//!   only made work, such as new pages), and a listener task forgets the
//!   value on `g` and wakes this instance's dispatcher on either. While
//!   the listener is not connected nothing is trusted;
//! - on SQLite, any commit by any process changes the write-ahead log
//!   file's size or modification time, checked with one `stat` per read;
//! - and at most a second after it was read, whatever happened, as a
//!   safety net.
//!
//! Inside a transaction the value read first is kept for the rest of it.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// How long a value read is trusted without any sign of change.
const TRUST: Duration = Duration::from_secs(1);

/// The write-ahead log's size and modification time.
pub type Stamp = Option<(u64, Option<SystemTime>)>;

/// What `before_read` noted (None inside a transaction).
pub type Before = Option<(Instant, Stamp)>;

pub struct Changes {
    value: AtomicI64,
    known: AtomicBool,
    read: Mutex<Option<(Instant, Stamp)>>,
    /// The SQLite database's `-wal` file.
    wal: Option<PathBuf>,
    postgres: bool,
    /// The PostgreSQL listener is connected.
    listening: AtomicBool,
    /// Work another instance (or this one) made: the dispatcher waits on it.
    pub work: tokio::sync::Notify,
    /// Dropped with the last `Store`: the listener then stops.
    _alive: tokio::sync::watch::Sender<()>,
    alive: tokio::sync::watch::Receiver<()>,
}

impl Changes {
    pub fn new(url: &str) -> Changes {
        let wal = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .map(|p| p.split('?').next().unwrap_or(p))
            .filter(|p| !p.is_empty() && !p.contains(":memory:"))
            .map(|p| PathBuf::from(format!("{p}-wal")));
        let (tx, rx) = tokio::sync::watch::channel(());
        Changes {
            value: AtomicI64::new(0),
            known: AtomicBool::new(false),
            read: Mutex::new(None),
            wal,
            postgres: url.starts_with("postgres"),
            listening: AtomicBool::new(false),
            work: tokio::sync::Notify::new(),
            _alive: tx,
            alive: rx,
        }
    }

    fn stamp(&self) -> Stamp {
        let m = std::fs::metadata(self.wal.as_ref()?).ok()?;
        Some((m.len(), m.modified().ok()))
    }

    /// The counter as last read, while nothing says it moved.
    pub fn cached(&self) -> Option<i64> {
        if !self.known.load(Ordering::Acquire) {
            return None;
        }
        let read = *self.read.lock().ok()?;
        let (at, stamp) = read?;
        if at.elapsed() > TRUST {
            return None;
        }
        let steady = if self.postgres {
            self.listening.load(Ordering::Acquire)
        } else {
            self.wal.is_some() && self.stamp() == stamp
        };
        steady.then(|| self.value.load(Ordering::Acquire))
    }

    /// Taken before reading the counter, so a commit during the read
    /// shows as a change.
    pub fn before_read(&self) -> (Instant, Stamp) {
        (Instant::now(), self.stamp())
    }

    pub fn remember(&self, value: i64, before: (Instant, Stamp)) {
        if let Ok(mut r) = self.read.lock() {
            self.value.store(value, Ordering::Release);
            *r = Some(before);
            self.known.store(true, Ordering::Release);
        }
    }

    /// Something may have changed: read the counter again next time.
    pub fn forget(&self) {
        self.known.store(false, Ordering::Release);
    }

    /// Listens for other instances' writes on PostgreSQL until the last
    /// `Store` is dropped.
    pub fn listen(self: &std::sync::Arc<Self>, pool: sea_orm::sqlx::PgPool) {
        let me = std::sync::Arc::downgrade(self);
        let mut alive = self.alive.clone();
        tokio::spawn(async move {
            use sea_orm::sqlx::postgres::PgListener;
            loop {
                let connected = async {
                    let mut l = PgListener::connect_with(&pool).await?;
                    l.listen("vigil").await?;
                    Ok::<_, sea_orm::sqlx::Error>(l)
                };
                let mut l = tokio::select! {
                    l = connected => l,
                    _ = alive.changed() => return,
                };
                if let (Ok(_), Some(c)) = (&l, me.upgrade()) {
                    // Whatever happened while not listening is unknown.
                    c.forget();
                    c.listening.store(true, Ordering::Release);
                    c.work.notify_one();
                }
                while let Ok(listener) = l.as_mut() {
                    let got = tokio::select! {
                        got = listener.try_recv() => got,
                        _ = alive.changed() => return,
                    };
                    let Some(c) = me.upgrade() else { return };
                    match got {
                        Ok(Some(n)) => {
                            if n.payload() != "w" {
                                c.forget();
                            }
                            c.listening.store(true, Ordering::Release);
                            c.work.notify_one();
                        }
                        // The connection dropped; the next call reconnects
                        // and listens again. Notifications between are lost.
                        Ok(None) => {
                            c.listening.store(false, Ordering::Release);
                            c.forget();
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "listening for other instances' writes failed; retrying");
                            break;
                        }
                    }
                }
                if let Some(c) = me.upgrade() {
                    c.listening.store(false, Ordering::Release);
                    c.forget();
                }
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = alive.changed() => return,
                }
            }
        });
    }
}
