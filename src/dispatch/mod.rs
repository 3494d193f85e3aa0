//! The dispatcher (IO): runs due alert timers and sends due notifications
//! through the providers, by the pure policy in `crate::delivery`. The
//! worker wakes at the next due instant read from the database (alert
//! timers, notifications, heartbeats), or when this process changes an
//! alert, with a periodic sweep as a safety net for work another instance
//! created.

mod fallback;
mod handoffs;
mod record;
pub mod worker;

pub use worker::{DispatchHandle, Dispatcher};
