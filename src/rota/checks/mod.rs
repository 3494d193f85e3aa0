//! Rota checks: coverage gaps, fatigue limits, weekend fairness, critical
//! windows and double duty — PURE. Every rule reads the calendar of the
//! window `[from, to)` (shifts clipped to it) and returns violations with a
//! rule name, a person or layer, an interval and a sentence a lead can act on.

mod fatigue;
mod team;

use super::interval::{self, Interval};
use super::restriction::Restriction;
use super::shifts::{self, Shift};
use super::{Instant, PersonIx, Rota};
use chrono::Duration;
use fatigue::{consecutive, hours_per_7_days, min_rest};
use std::collections::BTreeMap;
use team::{coverage_gaps, critical, double_duty, weekend_spread};

#[derive(Debug, Clone, PartialEq)]
pub struct CheckConfig {
    pub coverage_gaps: bool,
    /// Layers (by index) whose gaps are expected and not reported.
    pub coverage_optional: Vec<usize>,
    /// Gaps shorter than this are not reported.
    pub min_gap: Duration,
    pub max_consecutive_shifts: Option<u32>,
    /// Two of a person's shifts are consecutive when the rest between them is
    /// shorter than this.
    pub consecutive_gap: Duration,
    pub min_rest: Option<Duration>,
    pub max_hours_per_7_days: Option<Duration>,
    /// Nobody may work more weekends than the least-loaded participant of the
    /// layer plus this.
    pub weekend_spread: Option<u32>,
    pub critical: Vec<CriticalWindow>,
    /// Refuse one person on call in two roles at the same time.
    pub forbid_double_duty: bool,
    /// Rules whose violations refuse a write to the server (the rest are
    /// warnings). The CLI reports every rule the same way.
    pub hard: Vec<Rule>,
}

impl Default for CheckConfig {
    fn default() -> Self {
        CheckConfig {
            coverage_gaps: true,
            coverage_optional: Vec::new(),
            min_gap: Duration::minutes(1),
            max_consecutive_shifts: None,
            consecutive_gap: Duration::hours(24),
            min_rest: None,
            max_hours_per_7_days: None,
            weekend_spread: Some(1),
            critical: Vec::new(),
            forbid_double_duty: true,
            hard: vec![Rule::CoverageGap],
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CriticalWindow {
    pub name: String,
    pub when: CriticalWhen,
    pub min_people: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CriticalWhen {
    Once(Interval),
    Weekly(Restriction),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    CoverageGap,
    MaxConsecutiveShifts,
    MinRest,
    MaxHoursPer7Days,
    WeekendSpread,
    CriticalCoverage,
    DoubleDuty,
}

impl Rule {
    pub const ALL: [Rule; 7] = [
        Rule::CoverageGap,
        Rule::MaxConsecutiveShifts,
        Rule::MinRest,
        Rule::MaxHoursPer7Days,
        Rule::WeekendSpread,
        Rule::CriticalCoverage,
        Rule::DoubleDuty,
    ];

    pub fn parse(s: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Rule::CoverageGap => "coverage_gap",
            Rule::MaxConsecutiveShifts => "max_consecutive_shifts",
            Rule::MinRest => "min_rest",
            Rule::MaxHoursPer7Days => "max_hours_per_7_days",
            Rule::WeekendSpread => "weekend_spread",
            Rule::CriticalCoverage => "critical_coverage",
            Rule::DoubleDuty => "two_layers_at_once",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub rule: Rule,
    pub layer: Option<String>,
    pub person: Option<String>,
    pub interval: Interval,
    pub message: String,
}

impl Violation {
    /// The message with its instants in `zone`: the checks write them in
    /// UTC ("2026-12-14 14:00Z", as the API and CLI show them); a page
    /// shows them in its zone, like every other time on it.
    pub fn message_in(&self, zone: &crate::tz::Zone) -> String {
        const LEN: usize = "2026-12-14 14:00Z".len();
        let m = self.message.as_str();
        let mut out = String::with_capacity(m.len() + 16);
        let mut i = 0;
        while let Some(c) = m[i..].chars().next() {
            let utc = m
                .get(i..i + LEN)
                .filter(|t| t.ends_with('Z'))
                .and_then(|t| {
                    chrono::NaiveDateTime::parse_from_str(&t[..LEN - 1], "%Y-%m-%d %H:%M").ok()
                });
            match utc {
                Some(t) => {
                    let at = super::civil::local(zone, t.and_utc());
                    out.push_str(&at.format("%a %-d %b %H:%M").to_string());
                    i += LEN;
                }
                None => {
                    out.push(c);
                    i += c.len_utf8();
                }
            }
        }
        out
    }
}

/// Runs every configured rule over `[from, to)`. Critical windows and double
/// duty read the calendar per role, after layer precedence.
pub fn check(rota: &Rota, from: Instant, to: Instant) -> Vec<Violation> {
    let window = Interval::new(from, to);
    let shifts = shifts::clipped_between(rota, from, to);
    let c = &rota.checks;
    let mut out = Vec::new();
    if c.coverage_gaps {
        out.extend(coverage_gaps(rota, &shifts, window));
    }
    let per_person = merged_by_person(&shifts);
    for (&p, ivs) in &per_person {
        let who = &rota.people[p];
        if let Some(max) = c.max_consecutive_shifts {
            out.extend(consecutive(who.id.as_str(), ivs, max, c.consecutive_gap));
        }
        if let Some(rest) = c.min_rest {
            out.extend(min_rest(&who.id, ivs, rest));
        }
        if let Some(limit) = c.max_hours_per_7_days {
            out.extend(hours_per_7_days(&who.id, ivs, limit));
        }
    }
    if let Some(spread) = c.weekend_spread {
        out.extend(weekend_spread(rota, &shifts, window, spread));
    }
    if !c.critical.is_empty() || c.forbid_double_duty {
        let roles = shifts::effective(rota, &shifts);
        let effective: Vec<Shift> = roles.iter().flat_map(|(_, v)| v.iter().copied()).collect();
        for cw in &c.critical {
            out.extend(critical(rota, &effective, window, cw));
        }
        if c.forbid_double_duty {
            out.extend(double_duty(rota, &roles, window));
        }
    }
    out.sort_by(|a, b| {
        (a.rule, a.interval.start, &a.person).cmp(&(b.rule, b.interval.start, &b.person))
    });
    out
}

pub(super) fn hours(d: Duration) -> f64 {
    d.num_seconds() as f64 / 3600.0
}

pub(super) fn fmt(t: Instant) -> String {
    t.format("%Y-%m-%d %H:%MZ").to_string()
}

/// Each person's on-call time across layers, merged.
pub fn merged_by_person(shifts: &[Shift]) -> BTreeMap<PersonIx, Vec<Interval>> {
    let mut m: BTreeMap<PersonIx, Vec<Interval>> = BTreeMap::new();
    for s in shifts {
        m.entry(s.person).or_default().push(s.interval());
    }
    m.into_iter()
        .map(|(p, v)| (p, interval::union(v)))
        .collect()
}

pub(super) fn person_violation(
    rule: Rule,
    person: &str,
    interval: Interval,
    message: String,
) -> Violation {
    Violation {
        rule,
        layer: None,
        person: Some(person.to_string()),
        interval,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_reads_in_the_pages_zone() {
        let t = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .expect("test literal")
                .with_timezone(&chrono::Utc)
        };
        let (a, b) = (t("2026-03-08T06:30:00Z"), t("2026-03-08T07:30:00Z"));
        let v = Violation {
            rule: Rule::CoverageGap,
            layer: Some("primary".into()),
            person: None,
            interval: Interval::new(a, b),
            message: format!("nobody on “primary” from {} to {} (1.0 h)", fmt(a), fmt(b)),
        };
        let ny = crate::tz::Zone::named("America/New_York").expect("zone");
        // Across the spring-forward gap: 01:30 EST, then 03:30 EDT.
        assert_eq!(
            v.message_in(&ny),
            "nobody on “primary” from Sun 8 Mar 01:30 to Sun 8 Mar 03:30 (1.0 h)"
        );
        let utc = crate::tz::Zone::named("UTC").expect("zone");
        assert_eq!(
            v.message_in(&utc),
            "nobody on “primary” from Sun 8 Mar 06:30 to Sun 8 Mar 07:30 (1.0 h)"
        );
        // Text that only looks like a time is left alone.
        let odd = Violation {
            message: "2026-13-40 99:99Z and 2026-03-08 06:30".into(),
            ..v
        };
        assert_eq!(odd.message_in(&ny), odd.message);
    }
}
