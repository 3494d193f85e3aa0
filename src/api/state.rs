//! Shared state of the HTTP adapters.

use crate::clock::Clock;
use crate::engine::RotaCache;
use crate::store::Store;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub cache: Arc<RotaCache>,
    pub clock: Arc<dyn Clock>,
    /// Where people and calendar clients reach this server.
    pub public_url: String,
    /// Tokens recently authenticated.
    pub tokens: Arc<crate::engine::directory::TokenCache>,
    /// Rendered calendar feeds and events.
    pub feeds: Arc<crate::engine::feeds::FeedCache>,
    /// Wakes the dispatcher after an alert changes.
    pub dispatch: crate::dispatch::DispatchHandle,
    /// Provider settings (the secrets that verify their callbacks).
    pub notify: crate::config::NotifyConfig,
    /// Signs acknowledge links (shared by every instance, from the database).
    pub link_secret: String,
    /// Counts repeated triggers in batches.
    pub dedup: crate::engine::dedup::Deduper,
    /// Opens new alerts in batches.
    pub opener: crate::engine::opener::Opener,
    /// How long intake may wait on the database before answering 503.
    pub intake_timeout: std::time::Duration,
    /// This instance's counters and histograms.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The web console's sessions limits, notices and live-update stamp.
    pub console: Arc<crate::console::ConsoleState>,
}

impl AppState {
    pub fn now(&self) -> crate::rota::Instant {
        self.clock.now()
    }
    pub fn now_secs(&self) -> i64 {
        self.clock.now().timestamp()
    }
}
