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
}

impl AppState {
    pub fn now(&self) -> crate::rota::Instant {
        self.clock.now()
    }
    pub fn now_secs(&self) -> i64 {
        self.clock.now().timestamp()
    }
}
