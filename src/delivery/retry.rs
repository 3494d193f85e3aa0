//! Retry policy (PURE): what to do after a failed send. The schedule comes
//! from config; jitter is passed in so tests are deterministic.

use chrono::Duration;

/// How a provider answered.
#[derive(Debug, Clone, PartialEq)]
pub enum SendError {
    /// Worth trying again (timeouts, connection errors, 5xx).
    Retryable(String),
    /// Trying again will not help (4xx, a bad number): fall back.
    Permanent(String),
    /// The provider asked us to slow down (429), maybe saying for how long.
    RateLimited {
        retry_after: Option<Duration>,
        reason: String,
    },
}

impl SendError {
    pub fn reason(&self) -> &str {
        match self {
            SendError::Retryable(r) | SendError::Permanent(r) => r,
            SendError::RateLimited { reason, .. } => reason,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Try again after this long.
    RetryIn(Duration),
    /// Stop: mark failed and fall back to the person's next channel.
    GiveUp,
}

/// A Retry-After is honoured between these bounds.
const MIN_RETRY_AFTER: i64 = 1;
const MAX_RETRY_AFTER: i64 = 300;

/// The next step after attempt number `attempts` (1-based) failed with `e`.
/// `jitter` in [0, 1) spreads retries over ±25 % of the scheduled delay.
/// When the schedule is used up, a channel that only failed for now (not
/// permanently) is tried again at the schedule's last interval unless
/// giving up is acceptable (`may_give_up`: the page can fall back to another
/// real channel, or the message is no page): an outage never ends a page.
pub fn next_attempt(
    schedule: &[Duration],
    attempts: u32,
    e: &SendError,
    jitter: f64,
    may_give_up: bool,
) -> Next {
    let idx = attempts.saturating_sub(1) as usize;
    let idx = match (schedule.len(), e) {
        (n, SendError::Retryable(_) | SendError::RateLimited { .. })
            if idx >= n && !may_give_up && n > 0 =>
        {
            n - 1
        }
        _ => idx,
    };
    match e {
        SendError::Permanent(_) => Next::GiveUp,
        SendError::RateLimited {
            retry_after: Some(d),
            ..
        } if idx < schedule.len() => Next::RetryIn(Duration::seconds(
            d.num_seconds().clamp(MIN_RETRY_AFTER, MAX_RETRY_AFTER),
        )),
        _ => match schedule.get(idx) {
            None => Next::GiveUp,
            Some(base) => {
                let ms = base.num_milliseconds() as f64 * (0.75 + 0.5 * jitter.clamp(0.0, 1.0));
                Next::RetryIn(Duration::milliseconds(ms.round() as i64))
            }
        },
    }
}

/// Classifies an HTTP status from a provider.
pub fn classify(status: u16, retry_after: Option<Duration>, body: &str) -> SendError {
    let reason = format!(
        "HTTP {status}: {}",
        body.chars().take(200).collect::<String>()
    );
    match status {
        429 => SendError::RateLimited {
            retry_after,
            reason,
        },
        408 | 500..=599 => SendError::Retryable(reason),
        _ => SendError::Permanent(reason),
    }
}
