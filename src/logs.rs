//! Log output (a leaf): the tracing subscriber `vigil serve` installs, and
//! text from outside made safe for a log line.
//!
//! - `log.format = "json"` (`VIGIL_LOG_FORMAT=json`) writes one JSON object
//!   per line (for log shippers); the default is plain text.
//! - Colour only when standard error is a terminal: a log file or journald
//!   gets no ANSI escape codes.
//! - `RUST_LOG` filters as usual (default `info,sqlx=warn`).

use std::io::IsTerminal;

/// Installs the subscriber for the process (a second call does nothing).
pub fn init(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().with_current_span(true).try_init()
    } else {
        builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init()
    };
}

/// `s` on one line: newlines, carriage returns, escape sequences and other
/// control characters written as escapes (`\n`, `\u{1b}`), so an alert
/// summary cannot forge log lines or recolour a terminal.
pub fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(
            super::one_line("disk\nfull\u{1b}[31m\r"),
            "disk\\nfull\\u{1b}[31m\\r"
        );
        assert_eq!(super::one_line("Zürich 5xx"), "Zürich 5xx");
    }
}
