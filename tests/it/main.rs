//! Vigil's integration tests: one binary, one module per area.

mod architecture;
mod checks;
mod cli;
mod config;
mod connect;
mod console;
mod dispatch;
mod dst_table;
mod escalation;
mod examples;
mod file_errors;
mod helpers;
mod hostile;
mod paging;
mod properties;
mod server;
