//! Delivery: what to send and when (`plan`, `retry`, `links`: PURE) and
//! the worker that does it (`worker`: IO). The worker wakes at the next due
//! instant read from the database (alert timers, notifications, heartbeats),
//! or when this process changes an alert, with a periodic sweep as a safety
//! net for work another instance created.

pub mod links;
pub mod plan;
pub mod retry;
pub mod worker;

pub use worker::{DispatchHandle, Dispatcher};
