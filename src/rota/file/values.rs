//! Parsing single values of a rota file (zones, times, dates, instants,
//! weekdays), each reporting into the collector on failure.

use super::Cx;
use super::defs::When;
use crate::rota::civil::{self, Instant, InstantError, TimeOfDay};
use crate::tz::Zone;
use chrono::{Datelike, NaiveDate, Weekday};

pub fn zone(cx: &mut Cx, v: &String, field: &str) -> Option<Zone> {
    match v.parse::<Zone>() {
        Ok(z) => Some(z),
        Err(_) => {
            cx.err(
                field,
                format!(
                    "unknown time zone \"{}\" (use an IANA name such as Europe/Berlin)",
                    v
                ),
            );
            None
        }
    }
}

pub fn time_of_day(cx: &mut Cx, v: &String, field: &str, allow_24: bool) -> Option<TimeOfDay> {
    let t = civil::parse_time_of_day(v.trim(), allow_24);
    if t.is_none() {
        let hint = if allow_24 {
            "HH:MM between 00:00 and 24:00"
        } else {
            "HH:MM between 00:00 and 23:59"
        };
        cx.err(field, format!("\"{}\" is not a time of day ({hint})", v));
    }
    t
}

pub fn weekday(cx: &mut Cx, v: &String, field: &str) -> Option<Weekday> {
    let w = v.trim().parse::<Weekday>().ok();
    if w.is_none() {
        cx.err(
            field,
            format!("\"{}\" is not a weekday (monday … sunday, or mon … sun)", v),
        );
    }
    w
}

pub fn date(cx: &mut Cx, v: &When, field: &str) -> Option<NaiveDate> {
    let text = v.text();
    let d = NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok();
    match d {
        None => cx.err(field, format!("\"{text}\" is not a date (YYYY-MM-DD)")),
        Some(d) if !super::limits::YEARS.contains(&d.year()) => {
            cx.err(field, years_message(&text));
            return None;
        }
        Some(_) => {}
    }
    d
}

/// An instant: RFC 3339 with an offset or `Z`, or a local date-time (or a
/// date, meaning its midnight) in `zone`. A local time that does not exist
/// there (a DST gap) is an error; one that happens twice is its first.
pub fn instant(cx: &mut Cx, v: &When, field: &str, zone: &Zone) -> Option<Instant> {
    let text = v.text();
    let message = match civil::parse_instant(&text, zone) {
        Ok(t) if super::limits::YEARS.contains(&t.year()) => return Some(t),
        Ok(_) => years_message(&text),
        Err(InstantError::Unreadable) => {
            format!(
                "\"{text}\" is not a date-time (2026-03-08T09:00, 2026-03-08T14:00:00Z or 2026-03-08T09:00:00-05:00)"
            )
        }
        Err(InstantError::DoesNotExist) => format!(
            "{text} does not exist in {zone}: the clocks skip it for daylight saving time; give a time outside the gap or an explicit offset"
        ),
    };
    cx.err(field, message);
    None
}

fn years_message(text: &str) -> String {
    let y = super::limits::YEARS;
    format!(
        "{text} is outside the years {} to {} a rota can name",
        y.start(),
        y.end()
    )
}

/// A duration such as "1h" or "24h 30m", whole minutes from 1 minute to 7 days.
pub fn duration(cx: &mut Cx, v: &str, field: &str) -> Option<chrono::Duration> {
    match humantime::parse_duration(v.trim()) {
        Ok(d)
            if d.as_secs() % 60 == 0
                && d.subsec_nanos() == 0
                && (60..=7 * 86_400).contains(&d.as_secs()) =>
        {
            Some(chrono::Duration::seconds(d.as_secs() as i64))
        }
        _ => {
            cx.err(
                field,
                format!("\"{v}\" is not a duration of whole minutes from 1m to 7d (such as 30m, 1h or 24h)"),
            );
            None
        }
    }
}
