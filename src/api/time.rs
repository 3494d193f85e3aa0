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
