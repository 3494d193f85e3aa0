//! Rotations in a rota file: cadences, participants, follow-the-sun groups
//! and the order of effective-dated versions.

use super::defs::*;
use super::{Cx, values};
use crate::rota::civil::TimeOfDay;
use crate::rota::{Cadence, CivilCadence, DstPolicy, FollowTheSun, PersonIx, Rotation, SunGroup};
use crate::tz::Zone;
use chrono::{Datelike, Duration, NaiveDate};

/// Shortest nominal shift a rotation may have: longer than any DST gap, so
/// handoff instants stay strictly increasing.
const MIN_SHIFT: Duration = Duration::hours(2);

pub(super) type Lookup<'a> = dyn Fn(&mut Cx, &String, &str) -> Option<PersonIx> + 'a;

pub(super) fn rotation(
    cx: &mut Cx,
    r: &RotationDef,
    field: &str,
    zone: &Zone,
    policy: DstPolicy,
    lookup: &Lookup,
) -> Option<Rotation> {
    let effective_from = match &r.effective_from {
        Some(e) => Some(values::instant(
            cx,
            e,
            &format!("{field}.effective_from"),
            zone,
        )?),
        None => None,
    };
    let policy = match r.dst {
        Some(DstDef::WallClock) => DstPolicy::WallClock,
        Some(DstDef::FixedLength) => DstPolicy::FixedLength,
        None => policy,
    };
    let start = values::date(cx, &r.start, &format!("{field}.start"))?;
    let name = r.name.clone().unwrap_or_else(|| field.to_string());
    if r.cadence == CadenceDef::FollowTheSun {
        let cadence = follow_the_sun(cx, r, field, start, policy, lookup)?;
        return Some(Rotation {
            name,
            effective_from,
            cadence,
            restrictions: None,
        });
    }
    if !r.groups.is_empty() {
        cx.err(
            &format!("{field}.groups"),
            "groups are only for cadence = \"follow_the_sun\"",
        );
    }
    let (participants, first) = participants(cx, &r.participants, r.first.as_ref(), field, lookup)?;
    let need = |cx: &mut Cx, v: &Option<String>, what: &str| -> Option<TimeOfDay> {
        match v {
            Some(v) => values::time_of_day(cx, v, &format!("{field}.{what}"), false),
            None => {
                cx.err(
                    &format!("{field}.{what}"),
                    format!("this cadence needs {what}"),
                );
                None
            }
        }
    };
    let every = |cx: &mut Cx, range: std::ops::RangeInclusive<u32>, unit: &str| -> Option<u32> {
        match &r.every {
            Some(e) if range.contains(e) => Some(*e),
            Some(_) => {
                cx.err(
                    &format!("{field}.every"),
                    format!(
                        "every is {} to {} {unit} for this cadence",
                        range.start(),
                        range.end()
                    ),
                );
                None
            }
            None => {
                cx.err(&format!("{field}.every"), "this cadence needs every");
                None
            }
        }
    };
    let (anchor, period, offsets) = match r.cadence {
        CadenceDef::Weekly => {
            let day = match &r.handoff_day {
                Some(d) => values::weekday(cx, d, &format!("{field}.handoff_day")),
                None => {
                    cx.err(
                        &format!("{field}.handoff_day"),
                        "a weekly rotation needs handoff_day",
                    );
                    None
                }
            };
            let (day, time) = (day?, need(cx, &r.handoff_time, "handoff_time")?);
            let ahead =
                (7 + day.num_days_from_monday() - start.weekday().num_days_from_monday()) % 7;
            (
                time.on(start + Duration::days(i64::from(ahead))),
                Duration::days(7),
                vec![Duration::zero()],
            )
        }
        CadenceDef::Daily => (
            need(cx, &r.handoff_time, "handoff_time")?.on(start),
            Duration::days(1),
            vec![Duration::zero()],
        ),
        CadenceDef::EveryDays => {
            let n = every(cx, super::limits::EVERY_DAYS, "days")?;
            (
                need(cx, &r.handoff_time, "handoff_time")?.on(start),
                Duration::days(i64::from(n)),
                vec![Duration::zero()],
            )
        }
        CadenceDef::EveryHours => {
            let n = every(cx, super::limits::EVERY_HOURS, "hours")?;
            (
                need(cx, &r.handoff_time, "handoff_time")?.on(start),
                Duration::hours(i64::from(n)),
                vec![Duration::zero()],
            )
        }
        CadenceDef::DayNight => {
            let Some(times) = &r.handoff_times else {
                cx.err(
                    &format!("{field}.handoff_times"),
                    "a day_night rotation needs handoff_times, e.g. [\"09:00\", \"21:00\"]",
                );
                return None;
            };
            let mut ts: Vec<TimeOfDay> = Vec::new();
            for (k, t) in times.iter().enumerate() {
                ts.push(values::time_of_day(
                    cx,
                    t,
                    &format!("{field}.handoff_times[{k}]"),
                    false,
                )?);
            }
            ts.sort();
            ts.dedup();
            if ts.len() < 2 {
                cx.err(
                    &format!("{field}.handoff_times"),
                    "a day_night rotation needs at least two different handoff times",
                );
                return None;
            }
            let base = ts[0].since_midnight();
            (
                ts[0].on(start),
                Duration::days(1),
                ts.iter().map(|t| t.since_midnight() - base).collect(),
            )
        }
        CadenceDef::FollowTheSun => return None,
    };
    let shortest = offsets
        .windows(2)
        .map(|w| w[1] - w[0])
        .chain(offsets.last().map(|l| period - *l))
        .min()
        .unwrap_or(period);
    if shortest < MIN_SHIFT {
        cx.err(
            &format!("{field}.cadence"),
            "shifts must be at least 2 hours long",
        );
        return None;
    }
    let cadence = Cadence::Civil(CivilCadence {
        zone: zone.clone(),
        policy,
        anchor,
        period,
        offsets,
        participants,
        first,
    });
    Some(Rotation {
        name: r.name.clone().unwrap_or_else(|| field.to_string()),
        effective_from,
        cadence,
        restrictions: None,
    })
}

fn participants(
    cx: &mut Cx,
    list: &[String],
    first: Option<&String>,
    field: &str,
    lookup: &Lookup,
) -> Option<(Vec<PersonIx>, usize)> {
    if list.is_empty() {
        cx.err(
            &format!("{field}.participants"),
            "a rotation needs at least one participant",
        );
        return None;
    }
    let ps: Vec<Option<PersonIx>> = list
        .iter()
        .enumerate()
        .map(|(k, p)| lookup(cx, p, &format!("{field}.participants[{k}]")))
        .collect();
    let ps: Vec<PersonIx> = ps.into_iter().collect::<Option<_>>()?;
    let first = match first {
        None => 0,
        Some(f) => match list.iter().position(|p| p == f) {
            Some(i) => i,
            None => {
                cx.err(
                    &format!("{field}.first"),
                    format!("\"{}\" is not one of the participants", f),
                );
                return None;
            }
        },
    };
    Some((ps, first))
}

fn follow_the_sun(
    cx: &mut Cx,
    r: &RotationDef,
    field: &str,
    start: NaiveDate,
    policy: DstPolicy,
    lookup: &Lookup,
) -> Option<Cadence> {
    if policy == DstPolicy::FixedLength {
        cx.err(&format!("{field}.dst"), "follow_the_sun hands off at each group's local time; dst = \"fixed-length\" does not apply");
    }
    if r.groups.len() < 2 {
        cx.err(
            &format!("{field}.groups"),
            "follow_the_sun needs at least two [[…groups]]",
        );
        return None;
    }
    if !r.participants.is_empty() {
        cx.err(
            &format!("{field}.participants"),
            "follow_the_sun lists participants per group",
        );
    }
    let mut groups = Vec::new();
    for (g, d) in r.groups.iter().enumerate() {
        let gf = format!("{field}.groups[{g}]");
        let zone = values::zone(cx, &d.timezone, &format!("{gf}.timezone"));
        let handoff =
            values::time_of_day(cx, &d.handoff_time, &format!("{gf}.handoff_time"), false);
        let ps = participants(cx, &d.participants, d.first.as_ref(), &gf, lookup);
        let days = d.days_per_person.as_ref().map_or(7, |v| *v);
        if !super::limits::DAYS_PER_PERSON.contains(&days) && d.days_per_person.is_some() {
            cx.err(
                &format!("{gf}.days_per_person"),
                "days_per_person is 1 to 366",
            );
        }
        if let (Some(zone), Some(handoff), Some((participants, first))) = (zone, handoff, ps) {
            groups.push(SunGroup {
                name: d.name.clone(),
                zone,
                handoff,
                participants,
                first,
                days_per_person: days.max(1),
            });
        }
    }
    if groups.len() != r.groups.len() {
        return None;
    }
    let m = groups.len() as i64;
    let cadence = Cadence::FollowTheSun(FollowTheSun { start, groups });
    // Zones change to and from summer time on different dates, so look at
    // two years of real shifts, not one nominal day.
    if let Some((k, d)) = cadence.shortest_shift(m * 740)
        && d < MIN_SHIFT
    {
        let g = (k % m) as usize;
        cx.err(&format!("{field}.groups[{g}].handoff_time"),
            format!("group {}'s shift on cycle {} would last {} minutes; every shift must be at least 2 hours", r.groups[g].name, k / m, d.num_minutes()),
        );
        return None;
    }
    Some(cadence)
}

pub(super) fn check_versions(cx: &mut Cx, l: &LayerDef, field: &str) {
    let rs = &l.rotations;
    if rs.is_empty() {
        cx.err(
            &format!("{field}.rotations"),
            "a layer needs at least one rotation",
        );
    }
    let mut prev: Option<String> = None;
    for (j, r) in rs.iter().enumerate().skip(1) {
        match &r.effective_from {
            None => cx.err(
                &format!("{field}.rotations[{j}].effective_from"),
                "every rotation after the first is an edit and needs effective_from",
            ),
            Some(e) => {
                let t = e.text();
                if prev.as_ref().is_some_and(|p| *p >= t) {
                    cx.err(
                        &format!("{field}.rotations[{j}].effective_from"),
                        "edits must be listed in order of effective_from",
                    );
                }
                prev = Some(t);
            }
        }
    }
}
