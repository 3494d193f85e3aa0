//! Fatigue rules, per person over their merged on-call time: consecutive
//! shifts, rest between shifts, hours in any 7 days.

use super::{Rule, Violation, fmt, hours, person_violation};
use crate::rota::Instant;
use crate::rota::interval::Interval;
use chrono::Duration;

pub(super) fn consecutive(
    person: &str,
    ivs: &[Interval],
    max: u32,
    gap: Duration,
) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut run_start = 0;
    for i in 0..=ivs.len() {
        let breaks = i == ivs.len() || (i > 0 && ivs[i].start - ivs[i - 1].end >= gap);
        if breaks && i > run_start {
            let n = i - run_start;
            if n > max as usize {
                let span = Interval::new(ivs[run_start].start, ivs[i - 1].end);
                out.push(person_violation(
                    Rule::MaxConsecutiveShifts,
                    person,
                    span,
                    format!(
                        "{person} has {n} consecutive shifts from {} to {} (at most {max} allowed)",
                        fmt(span.start),
                        fmt(span.end)
                    ),
                ));
            }
            run_start = i;
        }
    }
    out
}

pub(super) fn min_rest(person: &str, ivs: &[Interval], rest: Duration) -> Vec<Violation> {
    ivs.windows(2)
        .filter(|w| w[1].start - w[0].end < rest)
        .map(|w| {
            let gap = Interval::new(w[0].end, w[1].start);
            person_violation(
                Rule::MinRest,
                person,
                gap,
                format!(
                    "{person} rests only {:.1} h between shifts ending {} and starting {} (at least {:.1} h required)",
                    hours(gap.duration()),
                    fmt(gap.start),
                    fmt(gap.end),
                    hours(rest)
                ),
            )
        })
        .collect()
}

/// The busiest 7-day window is one that starts at a shift's start or ends at
/// a shift's end, so only those anchors are tried; prefix sums make each try
/// O(log n). One violation is reported per run of overlapping busy windows.
pub(super) fn hours_per_7_days(person: &str, ivs: &[Interval], limit: Duration) -> Vec<Violation> {
    let week = Duration::days(7);
    let mut prefix = vec![Duration::zero()];
    for iv in ivs {
        prefix.push(prefix[prefix.len() - 1] + iv.duration());
    }
    let load = |a: Instant| {
        let b = a + week;
        let lo = ivs.partition_point(|iv| iv.end <= a);
        let hi = ivs.partition_point(|iv| iv.start < b);
        if lo >= hi {
            return Duration::zero();
        }
        let mut sum = prefix[hi] - prefix[lo];
        sum -= (a - ivs[lo].start).max(Duration::zero());
        sum -= (ivs[hi - 1].end - b).max(Duration::zero());
        sum
    };
    let mut anchors: Vec<Instant> = ivs
        .iter()
        .flat_map(|iv| [iv.start, iv.end - week])
        .collect();
    anchors.sort();
    let mut out = Vec::new();
    let mut reported_until: Option<Instant> = None;
    for a in anchors {
        if reported_until.is_some_and(|r| a < r) {
            continue;
        }
        let l = load(a);
        if l > limit {
            let w = Interval::new(a, a + week);
            out.push(person_violation(
                Rule::MaxHoursPer7Days,
                person,
                w,
                format!(
                    "{person} is on call {:.1} h in the 7 days from {} (at most {:.1} h allowed)",
                    hours(l),
                    fmt(w.start),
                    hours(limit)
                ),
            ));
            reported_until = Some(w.end);
        }
    }
    out
}
