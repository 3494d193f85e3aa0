//! Instants in query strings and bodies: RFC 3339 only (an API has no
//! "local" zone to guess), with the parameter named in the error.

use super::error::ApiError;
use crate::rota::Instant;
use chrono::{DateTime, Utc};

pub fn instant(field: &str, v: &str) -> Result<Instant, ApiError> {
    DateTime::parse_from_rfc3339(v)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            ApiError::bad_request(format!(
                "{field}: \"{v}\" is not an RFC 3339 instant such as 2026-03-08T14:00:00Z"
            ))
            .field(field)
        })
}

/// An instant written as RFC 3339, or as a local date-time or date in
/// `zone` (as rota files allow): a local time inside a DST gap is refused,
/// one in a repeated hour is its first occurrence.
pub fn instant_in(field: &str, v: &str, zone: &crate::tz::Zone) -> Result<Instant, ApiError> {
    use crate::rota::civil::{InstantError, parse_instant};
    parse_instant(v, zone).map_err(|e| match e {
        InstantError::Unreadable => ApiError::bad_request(format!(
            "{field}: \"{v}\" is not an instant such as 2026-03-08T14:00:00Z, or a local time such as 2026-03-08T09:00 in the rota's zone ({zone})"
        ))
        .field(field),
        InstantError::DoesNotExist => ApiError::invalid(
            field,
            format!("{v} does not exist in {zone}: the clocks skip it for daylight saving time"),
        ),
    })
}

pub fn window(
    from: Option<&str>,
    to: Option<&str>,
    now: Instant,
    default_days: i64,
) -> Result<(Instant, Instant), ApiError> {
    let from = from.map(|f| instant("from", f)).transpose()?.unwrap_or(now);
    let to = to
        .map(|t| instant("to", t))
        .transpose()?
        .unwrap_or(from + chrono::Duration::days(default_days));
    if to <= from {
        return Err(ApiError::bad_request("to must be after from").field("to"));
    }
    if to - from > chrono::Duration::days(800) {
        return Err(ApiError::bad_request("a window may span at most 800 days").field("to"));
    }
    Ok((from, to))
}

pub use crate::rota::civil::utc_text as utc;

/// An instant stored in milliseconds, as RFC 3339 UTC text.
pub fn utc_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(utc)
        .unwrap_or_default()
}
