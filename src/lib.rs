//! Vigil: on-call scheduling and paging.
//!
//! Map of the crate (PURE modules do no IO and never read the clock; time is
//! always a parameter):
//! - `rota` PURE — rotas, DST-correct handoffs, shift calendars
//!   (`shifts_between`, `on_call_at`), checks, fairness, the rota file format.
//! - `ics` PURE — RFC 5545 calendars of shifts with stable UIDs.
//! - `clock` — the one place that reads the wall clock (`SystemClock`), and a
//!   `ManualClock` for tests.
//! - `cli` IO — the `vigil` command line: reads files, prints results.

pub mod cli;
pub mod clock;
pub mod ics;
pub mod rota;
