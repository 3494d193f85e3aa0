//! The dispatcher (IO): runs due alert timers and sends due notifications
//! through the providers, by the pure policy in `crate::delivery`. The
//! worker wakes at the next due instant read from the database (alert
//! timers, notifications, heartbeats), when this process changes an
//! alert, or when another instance does (PostgreSQL `NOTIFY`, see
//! `store::changes`), with a periodic sweep as a safety net.

mod fallback;
mod handoffs;
mod record;
pub mod worker;

pub use worker::{DispatchHandle, Dispatcher};
