//! Shared state of the HTTP adapters.

use crate::clock::Clock;
use crate::engine::RotaCache;
use crate::store::Store;
use crate::store::TokenRow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub cache: Arc<RotaCache>,
    pub clock: Arc<dyn Clock>,
    /// Where people and calendar clients reach this server.
    pub public_url: String,
    /// Known tokens by hash, each valid while the change counter is the
    /// one it was read at (a revocation bumps the counter).
    pub tokens: Arc<Mutex<HashMap<String, (i64, TokenRow)>>>,
    /// Rendered calendar feeds, by feed id.
    pub feeds: Arc<Mutex<HashMap<String, FeedEntry>>>,
    /// Rendered VEVENTs by (rota build, shift): after an edit only the
    /// edited rota's events are rendered again.
    pub events: Arc<Mutex<HashMap<EventKey, Arc<str>>>>,
    /// Wakes the dispatcher after an alert changes.
    pub dispatch: crate::dispatch::DispatchHandle,
    /// Provider settings (the secrets that verify their callbacks).
    pub notify: crate::config::NotifyConfig,
    /// Signs acknowledge links (shared by every instance, from the database).
    pub link_secret: String,
    /// Counts repeated triggers in batches.
    pub dedup: crate::engine::dedup::Deduper,
    /// How long intake may wait on the database before answering 503.
    pub intake_timeout: std::time::Duration,
    /// This instance's counters and histograms.
    pub metrics: Arc<crate::metrics::Metrics>,
}

/// A built rota (`Loaded::build`) and a shift of it.
pub type EventKey = (u64, usize, usize, i64, i64, &'static str, bool);

/// A rendered feed, valid for one change counter and one hour.
#[derive(Clone)]
pub struct FeedEntry {
    pub generation: i64,
    pub hour: i64,
    pub etag: String,
    pub last_modified: String,
    /// Last-Modified in seconds since the epoch.
    pub modified: i64,
    pub body: Arc<String>,
}

impl AppState {
    pub fn now(&self) -> crate::rota::Instant {
        self.clock.now()
    }
    pub fn now_secs(&self) -> i64 {
        self.clock.now().timestamp()
    }
}
