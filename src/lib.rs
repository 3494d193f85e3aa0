//! Vigil: on-call scheduling and paging.
//!
//! Map of the crate (PURE modules do no IO and never read the clock; time is
//! always a parameter):
//! - `rota` PURE — rotas, DST-correct handoffs, shift calendars
//!   (`shifts_between`, `on_call_at`), checks, fairness, the rota file format.
//! - `ics` PURE — RFC 5545 calendars of shifts with stable UIDs.
//! - `escalation` PURE — the alert state machine (ladder, SLA timers,
//!   `apply(alert, policy, event, now)`), ladders and targets, per-person
//!   notification rules.
//! - `dispatch` — `plan` (bundling, throttling), `retry`, `links`
//!   (signatures) PURE; `worker` IO: the loop that runs timers and sends.
//! - `notify` IO — providers behind one trait: Twilio SMS and voice, Slack,
//!   webhooks, console.
//! - `tz` — IANA zones from the system's tz database (jiff), as a chrono
//!   `TimeZone`; read once.
//! - `clock` — the one place that reads the wall clock (`SystemClock`), and a
//!   `ManualClock` for tests.
//! - `engine` IO — drivers: stored rows → `Rota` (cached), rota files → rows.
//! - `store` IO — the only module that imports sea_orm.
//! - `api` IO — axum handlers: extract → call → map.
//! - `console` IO — the web console: askama pages, htmx, Server-Sent
//!   Events, sessions; handlers call the same engine operations as `api`.
//! - `metrics` — this instance's counters and histograms (Prometheus text).
//! - `app`, `config` — composition root and configuration.
//! - `cli` IO — the `vigil` command line: reads files, prints results.

pub mod api;
pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod console;
pub mod delivery;
pub mod dispatch;
pub mod engine;
pub mod escalation;
pub mod files;
pub mod ics;
pub mod ids;
pub mod logs;
pub mod metrics;
pub mod notify;
pub mod rota;
pub mod serve;
pub mod store;
pub mod tz;
