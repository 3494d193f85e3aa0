//! The guard against pool starvation: in debug builds (and so in every
//! test), the store remembers which tasks hold a transaction, and a task
//! that does asks the pool for another connection gets `StoreError::Nested`
//! instead of waiting. In release builds it costs nothing.

use super::Result;
#[cfg(debug_assertions)]
use super::StoreError;

#[cfg(debug_assertions)]
type Set = std::sync::Arc<std::sync::Mutex<std::collections::HashMap<tokio::task::Id, u32>>>;

#[derive(Clone, Default)]
pub struct Holders {
    #[cfg(debug_assertions)]
    set: Set,
}

/// Marks the current task as holding a transaction until dropped.
pub struct Held {
    #[cfg(debug_assertions)]
    entry: Option<(Set, tokio::task::Id)>,
}

impl Holders {
    pub fn check(&self) -> Result<()> {
        #[cfg(debug_assertions)]
        if let Some(id) = tokio::task::try_id() {
            let set = self.set.lock().unwrap_or_else(|e| e.into_inner());
            if set.get(&id).is_some_and(|n| *n > 0) {
                tracing::error!(
                    "a task holding a transaction asked the pool for another connection"
                );
                return Err(StoreError::Nested);
            }
        }
        Ok(())
    }

    pub fn hold(&self) -> Held {
        #[cfg(debug_assertions)]
        {
            let entry = tokio::task::try_id().map(|id| {
                *self
                    .set
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .entry(id)
                    .or_insert(0) += 1;
                (self.set.clone(), id)
            });
            Held { entry }
        }
        #[cfg(not(debug_assertions))]
        Held {}
    }
}

#[cfg(debug_assertions)]
impl Drop for Held {
    fn drop(&mut self) {
        if let Some((set, id)) = self.entry.take() {
            let mut set = set.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(n) = set.get_mut(&id) {
                *n -= 1;
                if *n == 0 {
                    set.remove(&id);
                }
            }
        }
    }
}
