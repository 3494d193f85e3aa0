//! Civil (wall-clock) time to UTC instants — PURE.
//!
//! chrono-tz answers "which instants show this local time?" with none (a DST
//! gap), one, or two (a DST overlap), and leaves the choice to the caller.
//! Vigil's rule is RFC 5545's (§3.3.5) and jiff's `Disambiguation::Compatible`:
//! a local time inside a gap is read with the offset in force *before* the gap,
//! so it lands later by the gap's length (02:30 on a spring-forward night in
//! New York is 03:30 EDT); a local time inside an overlap takes the first
//! occurrence. chrono-tz has no such mode, so it is written here once and every
//! handoff, restriction window and report boundary goes through it.

use crate::tz::Zone;
use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

pub type Instant = DateTime<Utc>;

/// How a local time was resolved, for error messages and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    Exact,
    /// The local time did not exist; the instant is later by the gap.
    InGap,
    /// The local time happened twice; the instant is the first occurrence.
    InOverlap,
}

/// The instant a local wall-clock time names in `zone`, by the rule above.
pub fn resolve(zone: &Zone, local: NaiveDateTime) -> Instant {
    resolve_with(zone, local).0
}

pub fn resolve_with(zone: &Zone, local: NaiveDateTime) -> (Instant, Resolution) {
    let at = |offset: i32| Utc.from_utc_datetime(&(local - Duration::seconds(i64::from(offset))));
    match zone.local_offsets(&local) {
        LocalResult::Single(o) => (at(o), Resolution::Exact),
        LocalResult::Ambiguous(a, b) => (at(a).min(at(b)), Resolution::InOverlap),
        LocalResult::None => {
            // The offset before the gap is the one a day earlier: no zone has
            // two transitions within 24 hours.
            let before = zone.local_offsets(&(local - Duration::days(1))).earliest();
            (at(before.unwrap_or(0)), Resolution::InGap)
        }
    }
}

/// Whether `zone` keeps one UTC offset from a day before `t` to a day after.
/// Then local times within that span map to instants by that one offset, and
/// comparing wall-clock times is exact. (Like `resolve`, this relies on no
/// zone having two transitions within 24 hours.)
pub fn steady_around(zone: &Zone, t: Instant) -> bool {
    zone.offset_seconds(&(t - Duration::days(1))) == zone.offset_seconds(&(t + Duration::days(1)))
}

/// The local wall-clock time of an instant in `zone`.
pub fn local(zone: &Zone, t: Instant) -> NaiveDateTime {
    zone.local_time(&t)
}

/// Why text is not an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstantError {
    /// Not a date or date-time in any accepted form.
    Unreadable,
    /// A local time inside a DST gap.
    DoesNotExist,
}

/// An instant written as RFC 3339 (with an offset or `Z`), or as a local
/// date-time or date (meaning its midnight) in `zone`. A local time that
/// does not exist there (a DST gap) is refused; one that happens twice is
/// its first occurrence. Rota files and the command line both read times
/// this way.
pub fn parse_instant(text: &str, zone: &Zone) -> Result<Instant, InstantError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let local = [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .map(|d| TimeOfDay::MIDNIGHT.on(d))
    })
    .ok_or(InstantError::Unreadable)?;
    match resolve_with(zone, local) {
        (_, Resolution::InGap) => Err(InstantError::DoesNotExist),
        (t, _) => Ok(t),
    }
}

/// An instant as RFC 3339 in UTC with whole seconds: `2026-03-08T14:00:00Z`.
pub fn utc_text(t: Instant) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Local midnight starting `date` in `zone` (or the first instant of that day
/// when midnight falls in a gap).
pub fn start_of_day(zone: &Zone, date: NaiveDate) -> Instant {
    resolve(zone, date.and_time(NaiveTime::MIN))
}

/// Parses `HH:MM` (or `HH:MM:SS`); `24:00` is accepted only when `allow_24`.
pub fn parse_time_of_day(s: &str, allow_24: bool) -> Option<TimeOfDay> {
    if allow_24 && (s == "24:00" || s == "24:00:00") {
        return Some(TimeOfDay::END_OF_DAY);
    }
    let t = NaiveTime::parse_from_str(s, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M:%S"))
        .ok()?;
    Some(TimeOfDay::from_time(t))
}

/// A time of day as a duration since midnight, so that `24:00` (the end of a
/// day) is representable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay(Duration);

impl TimeOfDay {
    pub const MIDNIGHT: TimeOfDay = TimeOfDay(Duration::zero());
    pub const END_OF_DAY: TimeOfDay = TimeOfDay(Duration::hours(24));

    pub fn from_time(t: NaiveTime) -> Self {
        TimeOfDay(t - NaiveTime::MIN)
    }
    pub fn hm(h: u32, m: u32) -> Self {
        TimeOfDay(Duration::hours(i64::from(h)) + Duration::minutes(i64::from(m)))
    }
    pub fn since_midnight(self) -> Duration {
        self.0
    }
    pub fn on(self, date: NaiveDate) -> NaiveDateTime {
        date.and_time(NaiveTime::MIN) + self.0
    }
}

impl std::fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = self.0.num_minutes();
        write!(f, "{:02}:{:02}", m / 60, m % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("test literal")
    }
    fn utc(s: &str) -> Instant {
        DateTime::parse_from_rfc3339(s)
            .expect("test literal")
            .with_timezone(&Utc)
    }

    #[test]
    fn gap_moves_forward_by_the_gap() {
        let ny = &Zone::named("America/New_York").expect("zone");
        let (t, how) = resolve_with(ny, at("2026-03-08 02:30"));
        assert_eq!(t, utc("2026-03-08T07:30:00Z")); // 03:30 EDT
        assert_eq!(how, Resolution::InGap);
        let lh = &Zone::named("Australia/Lord_Howe").expect("zone"); // +10:30 -> +11 at 02:00
        assert_eq!(
            resolve(lh, at("2026-10-04 02:15")),
            utc("2026-10-03T15:45:00Z")
        );
    }

    #[test]
    fn overlap_takes_first_occurrence() {
        let ny = &Zone::named("America/New_York").expect("zone");
        let (t, how) = resolve_with(ny, at("2026-11-01 01:30"));
        assert_eq!(t, utc("2026-11-01T05:30:00Z")); // 01:30 EDT
        assert_eq!(how, Resolution::InOverlap);
    }

    #[test]
    fn time_of_day_parses_and_prints() {
        assert_eq!(parse_time_of_day("09:05", false), Some(TimeOfDay::hm(9, 5)));
        assert_eq!(parse_time_of_day("24:00", false), None);
        assert_eq!(
            parse_time_of_day("24:00", true),
            Some(TimeOfDay::END_OF_DAY)
        );
        assert_eq!(parse_time_of_day("9am", true), None);
        assert_eq!(TimeOfDay::hm(21, 0).to_string(), "21:00");
    }
}
