//! Shared helpers: rotas from TOML text, UTC literals, compact shift lists.

use chrono::{DateTime, Utc};
use vigil::rota::file::parse_rota;
use vigil::rota::{Rota, Shift, shifts_between};

pub fn rota(toml: &str) -> Rota {
    let no_includes = |name: &str| Err(format!("no file {name} in tests"));
    match parse_rota("test.toml", toml, &no_includes) {
        Ok(r) => r,
        Err(e) => panic!("test rota does not parse:\n{e}"),
    }
}

pub fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("bad literal {s}: {e}"))
        .with_timezone(&Utc)
}

/// `(person, start, end)` with instants as RFC 3339 `Z` strings.
pub fn compact(rota: &Rota, shifts: &[Shift]) -> Vec<(String, String, String)> {
    shifts
        .iter()
        .map(|s| (rota.people[s.person].id.clone(), z(s.start), z(s.end)))
        .collect()
}

pub fn z(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn window(rota: &Rota, from: &str, to: &str) -> Vec<(String, String, String)> {
    compact(rota, &shifts_between(rota, utc(from), utc(to)))
}

pub fn expect(rows: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    rows.iter()
        .map(|(p, a, b)| (p.to_string(), a.to_string(), b.to_string()))
        .collect()
}

/// A one-layer rota in `zone` with people a, b, c and the given rotation body.
pub fn one_layer(zone: &str, rotation: &str) -> Rota {
    rota(&format!(
        r#"
[team]
name = "t"
timezone = "{zone}"
[[people]]
id = "a"
[[people]]
id = "b"
[[people]]
id = "c"
[[layers]]
name = "l"
[[layers.rotations]]
{rotation}
"#
    ))
}

/// The slow chaos tests (SIGKILL loops, provider faults on the real clock,
/// several processes) run in their own step of `.ci/run`, with
/// `VIGIL_CHAOS=1`; a developer's `cargo test` skips them, saying so.
pub fn chaos(test: &str) -> bool {
    if std::env::var("VIGIL_CHAOS").is_ok_and(|v| !v.is_empty() && v != "0") {
        return true;
    }
    eprintln!(
        "skipping the chaos test {test}: VIGIL_CHAOS is not set (.ci/run's chaos step sets it)"
    );
    false
}

/// A port for a `vigil serve` process to listen on: below the kernel's
/// ephemeral range (32768 up here, where the OS puts every outgoing
/// connection's local end and every `:0` listener) and free when picked.
/// Another process may still take it before the server binds, so callers
/// start again on another port when the server exits at start.
pub fn unused_port() -> u16 {
    loop {
        let port = 20000 + (rand::random::<u16>() % 12000);
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}
