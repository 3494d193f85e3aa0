//! Rules about the team's calendar: coverage gaps, weekend fairness,
//! critical windows and one person on call in two roles.

use super::{CriticalWhen, CriticalWindow, Rule, Violation, fmt, hours, person_violation};
use crate::rota::civil::{self, TimeOfDay};
use crate::rota::interval::{self, Interval};
use crate::rota::restriction::{self, Restriction};
use crate::rota::shifts::Shift;
use crate::rota::{Instant, PersonIx, Rota};
use chrono::{Duration, Weekday};
use std::collections::BTreeMap;

pub(super) fn coverage_gaps(rota: &Rota, shifts: &[Shift], window: Interval) -> Vec<Violation> {
    let mut out = Vec::new();
    for (i, layer) in rota.layers.iter().enumerate() {
        if rota.checks.coverage_optional.contains(&i) {
            continue;
        }
        let expected = layer.active_windows(&rota.zone, window.start, window.end);
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

pub(super) fn weekend_spread(
    rota: &Rota,
    shifts: &[Shift],
    window: Interval,
    spread: u32,
) -> Vec<Violation> {
    let weekend = Restriction::on(&[Weekday::Sat], TimeOfDay::MIDNIGHT, TimeOfDay::MIDNIGHT);
    // Whole weekends inside the window: Saturday 00:00 to Monday 00:00.
    let weekends: Vec<Interval> =
        restriction::windows_between(&rota.zone, &[weekend], window.start, window.end)
            .into_iter()
            .map(|sat| {
                let monday = civil::local(&rota.zone, sat.start).date() + Duration::days(2);
                Interval::new(sat.start, civil::start_of_day(&rota.zone, monday))
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

pub(super) fn critical(
    rota: &Rota,
    shifts: &[Shift],
    window: Interval,
    cw: &CriticalWindow,
) -> Vec<Violation> {
    let occurrences = match &cw.when {
        CriticalWhen::Once(i) => i.intersect(&window).into_iter().collect(),
        CriticalWhen::Weekly(r) => restriction::windows_between(
            &rota.zone,
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

pub(super) fn double_duty(
    rota: &Rota,
    roles: &[(String, Vec<Shift>)],
    window: Interval,
) -> Vec<Violation> {
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
