//! Rota checks: coverage gaps, fatigue limits, weekend fairness, critical
//! windows and double duty — PURE. Every rule reads the calendar of the
//! window `[from, to)` (shifts clipped to it) and returns violations with a
//! rule name, a person or layer, an interval and a sentence a lead can act on.

use super::civil::{self, TimeOfDay};
use super::interval::{self, Interval};
use super::restriction::{self, Restriction};
use super::shifts::{self, Shift};
use super::{Instant, PersonIx, Rota};
use chrono::{Duration, Weekday};
use std::collections::BTreeMap;

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

/// Runs every configured rule over `[from, to)`. Critical windows and double
/// duty read the calendar per role, after layer precedence.
pub fn check(rota: &Rota, from: Instant, to: Instant) -> Vec<Violation> {
    let window = Interval::new(from, to);
    let shifts: Vec<Shift> = shifts::shifts_between(rota, from, to)
        .into_iter()
        .filter_map(|s| {
            s.interval().intersect(&window).map(|i| Shift {
                start: i.start,
                end: i.end,
                ..s
            })
        })
        .collect();
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

fn hours(d: Duration) -> f64 {
    d.num_seconds() as f64 / 3600.0
}

fn fmt(t: Instant) -> String {
    t.format("%Y-%m-%d %H:%MZ").to_string()
}

fn coverage_gaps(rota: &Rota, shifts: &[Shift], window: Interval) -> Vec<Violation> {
    let mut out = Vec::new();
    for (i, layer) in rota.layers.iter().enumerate() {
        if rota.checks.coverage_optional.contains(&i) {
            continue;
        }
        let expected = if layer.restrictions.is_empty() {
            vec![window]
        } else {
            restriction::windows_between(rota.zone, &layer.restrictions, window.start, window.end)
                .into_iter()
                .filter_map(|w| w.intersect(&window))
                .collect()
        };
        let covered = interval::union(
            shifts
                .iter()
                .filter(|s| s.layer == i)
                .map(Shift::interval)
                .collect(),
        );
        for gap in interval::subtract(&expected, &covered) {
            if gap.duration() >= rota.checks.min_gap {
                out.push(Violation {
                    rule: Rule::CoverageGap,
                    layer: Some(layer.name.clone()),
                    person: None,
                    interval: gap,
                    message: format!(
                        "nobody is on call in layer {} from {} to {} ({:.1} h)",
                        layer.name,
                        fmt(gap.start),
                        fmt(gap.end),
                        hours(gap.duration())
                    ),
                });
            }
        }
    }
    out
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

fn person_violation(rule: Rule, person: &str, interval: Interval, message: String) -> Violation {
    Violation {
        rule,
        layer: None,
        person: Some(person.to_string()),
        interval,
        message,
    }
}

fn consecutive(person: &str, ivs: &[Interval], max: u32, gap: Duration) -> Vec<Violation> {
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

fn min_rest(person: &str, ivs: &[Interval], rest: Duration) -> Vec<Violation> {
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
fn hours_per_7_days(person: &str, ivs: &[Interval], limit: Duration) -> Vec<Violation> {
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

fn weekend_spread(rota: &Rota, shifts: &[Shift], window: Interval, spread: u32) -> Vec<Violation> {
    let weekend = Restriction::on(&[Weekday::Sat], TimeOfDay::MIDNIGHT, TimeOfDay::MIDNIGHT);
    // Whole weekends inside the window: Saturday 00:00 to Monday 00:00.
    let weekends: Vec<Interval> =
        restriction::windows_between(rota.zone, &[weekend], window.start, window.end)
            .into_iter()
            .map(|sat| {
                let monday = civil::local(rota.zone, sat.start).date() + Duration::days(2);
                Interval::new(sat.start, civil::start_of_day(rota.zone, monday))
            })
            .filter(|w| window.start <= w.start && w.end <= window.end)
            .collect();
    // People are compared within one rotation version, over the weekends it
    // was in effect: someone who joined last month is not "behind".
    let mut out = Vec::new();
    for (i, layer) in rota.layers.iter().enumerate() {
        for (v, rot) in layer.rotations.iter().enumerate() {
            let lo = rot.effective_from.unwrap_or(window.start);
            let hi = layer
                .rotations
                .get(v + 1)
                .and_then(|n| n.effective_from)
                .unwrap_or(window.end);
            let mut counts: BTreeMap<PersonIx, u32> = rot
                .cadence
                .participants()
                .into_iter()
                .map(|p| (p, 0))
                .collect();
            for w in weekends.iter().filter(|w| lo <= w.start && w.end <= hi) {
                let mut on: Vec<PersonIx> = shifts
                    .iter()
                    .filter(|s| s.layer == i && s.interval().overlaps(w))
                    .map(|s| s.person)
                    .collect();
                on.sort_unstable();
                on.dedup();
                for p in on {
                    *counts.entry(p).or_insert(0) += 1;
                }
            }
            let (Some((&least, &few)), Some((&most, &many))) = (
                counts.iter().min_by_key(|(_, c)| **c),
                counts.iter().max_by_key(|(_, c)| **c),
            ) else {
                continue;
            };
            if many > few + spread {
                let (m, l) = (&rota.people[most].id, &rota.people[least].id);
                out.push(Violation {
                    rule: Rule::WeekendSpread,
                    layer: Some(layer.name.clone()),
                    person: Some(m.clone()),
                    interval: Interval::new(lo.max(window.start), hi.min(window.end)),
                    message: format!(
                        "{m} is on call {many} weekends in layer {} ({}) but {l} only {few} (at most {spread} apart allowed)",
                        layer.name, rot.name
                    ),
                });
            }
        }
    }
    out
}

fn critical(
    rota: &Rota,
    shifts: &[Shift],
    window: Interval,
    cw: &CriticalWindow,
) -> Vec<Violation> {
    let occurrences = match &cw.when {
        CriticalWhen::Once(i) => i.intersect(&window).into_iter().collect(),
        CriticalWhen::Weekly(r) => restriction::windows_between(
            rota.zone,
            std::slice::from_ref(r),
            window.start,
            window.end,
        )
        .into_iter()
        .filter_map(|w| w.intersect(&window))
        .collect::<Vec<_>>(),
    };
    // Sweep: the distinct people on call between consecutive shift edges.
    let mut short = Vec::new();
    for occ in occurrences {
        let inside: Vec<&Shift> = shifts
            .iter()
            .filter(|s| s.interval().overlaps(&occ))
            .collect();
        let mut edges: Vec<Instant> = vec![occ.start, occ.end];
        edges.extend(
            inside
                .iter()
                .flat_map(|s| [s.start, s.end])
                .filter(|t| occ.contains(*t)),
        );
        edges.sort();
        edges.dedup();
        for e in edges.windows(2) {
            let mut people: Vec<PersonIx> = inside
                .iter()
                .filter(|s| s.interval().contains(e[0]))
                .map(|s| s.person)
                .collect();
            people.sort_unstable();
            people.dedup();
            if (people.len() as u32) < cw.min_people {
                short.push(Interval::new(e[0], e[1]));
            }
        }
    }
    interval::union(short)
        .into_iter()
        .map(|gap| Violation {
            rule: Rule::CriticalCoverage,
            layer: None,
            person: None,
            interval: gap,
            message: format!(
                "fewer than {} people are on call during critical window {} from {} to {}",
                cw.min_people,
                cw.name,
                fmt(gap.start),
                fmt(gap.end)
            ),
        })
        .collect()
}

fn double_duty(rota: &Rota, roles: &[(String, Vec<Shift>)], window: Interval) -> Vec<Violation> {
    let mut out = Vec::new();
    for (a, (role_a, sa)) in roles.iter().enumerate() {
        for (role_b, sb) in &roles[a + 1..] {
            let mut clashes: BTreeMap<PersonIx, Vec<Interval>> = BTreeMap::new();
            for x in sa {
                for y in sb.iter().filter(|y| y.person == x.person) {
                    if let Some(i) = x
                        .interval()
                        .intersect(&y.interval())
                        .and_then(|i| i.intersect(&window))
                    {
                        clashes.entry(x.person).or_default().push(i);
                    }
                }
            }
            for (p, ivs) in clashes {
                for i in interval::union(ivs) {
                    let who = &rota.people[p].id;
                    out.push(person_violation(
                        Rule::DoubleDuty,
                        who,
                        i,
                        format!(
                            "{who} is on call in both {role_a} and {role_b} from {} to {}",
                            fmt(i.start),
                            fmt(i.end)
                        ),
                    ));
                }
            }
        }
    }
    out
}
