//! RFC 5545 calendars of shifts — PURE.
//!
//! Written with the `icalendar` crate, which emits CRLF line endings, folds
//! lines at 75 octets on character boundaries and escapes TEXT values. What
//! Vigil adds:
//! - DTSTART/DTEND in UTC (`…Z`): parsers disagree on local times inside DST
//!   gaps and overlaps, while UTC instants read the same everywhere;
//! - a UID per shift derived from (rota, layer, person, start), so a
//!   regenerated feed updates events in subscribed calendars instead of
//!   duplicating them (the approach of GoAlert's calsub);
//! - DTSTAMP set to the caller's `generated_at` (the crate would use the wall
//!   clock, changing the feed on every request);
//! - `TRANSP:TRANSPARENT`, so on-call time is not shown as busy;
//! - `Calendar::empty()` so there is exactly one PRODID.

use crate::rota::{Instant, Rota, Shift};
use icalendar::{Calendar, Component, EventLike};
use sha2::{Digest, Sha256};

pub const PRODID: &str = "-//Vigil//Vigil on-call//EN";

/// A calendar of `shifts` of one rota, named `name`.
pub fn render(rota: &Rota, shifts: &[Shift], name: &str, generated_at: Instant) -> String {
    let events: Vec<String> = shifts
        .iter()
        .map(|s| event(rota, s, generated_at, false))
        .collect();
    calendar(name, events.iter().map(String::as_str))
}

/// A calendar around already rendered events (see `event`), so a server can
/// cache events and render only what changed.
pub fn calendar<'a>(name: &str, events: impl Iterator<Item = &'a str>) -> String {
    let mut cal = Calendar::empty();
    cal.append_property(("PRODID", PRODID))
        .append_property(("VERSION", "2.0"))
        .append_property(("CALSCALE", "GREGORIAN"))
        .append_property(("METHOD", "PUBLISH"))
        .append_property(("X-WR-CALNAME", name))
        .append_property(("X-PUBLISHED-TTL", "PT1H"))
        .append_property(("REFRESH-INTERVAL;VALUE=DURATION", "PT1H"));
    // `Calendar` writes BEGIN, its properties, its components, then END.
    let mut out = cal.to_string();
    let end = "END:VCALENDAR\r\n";
    out.truncate(out.len().saturating_sub(end.len()));
    for e in events {
        out.push_str(e);
    }
    out.push_str(end);
    out
}

/// One shift as a VEVENT (CRLF lines, folded, escaped).
/// `busy` marks the event OPAQUE (shown as busy) instead of TRANSPARENT.
pub fn event(rota: &Rota, s: &Shift, stamp: Instant, busy: bool) -> String {
    let layer = &rota.layers[s.layer].name;
    let person = &rota.people[s.person];
    icalendar::Event::new()
        .uid(&uid(rota, s))
        .summary(&format!(
            "On call: {} ({} {})",
            person.name, rota.name, layer
        ))
        .description(&format!(
            "{} is on call in layer {layer} of {} (from the {}).",
            person.name,
            rota.name,
            s.source.as_str()
        ))
        .starts(s.start)
        .ends(s.end)
        .timestamp(stamp)
        .add_property("TRANSP", if busy { "OPAQUE" } else { "TRANSPARENT" })
        .add_property("CATEGORIES", "On call")
        .done()
        .to_string()
}

/// Stable identity of a shift: the same shift always gets the same UID.
pub fn uid(rota: &Rota, s: &Shift) -> String {
    let mut h = Sha256::new();
    for part in [
        rota.name.as_str(),
        rota.layers[s.layer].name.as_str(),
        rota.people[s.person].id.as_str(),
        &s.start.to_rfc3339(),
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    let hex: String = h
        .finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{hex}@vigil")
}
