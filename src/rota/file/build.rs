//! Builds a `Rota` from its parsed definition, validating cross-references
//! (people, layers), cadences, overrides and swaps.

use super::defs::*;
use super::{Cx, Include, values};
use crate::rota::checks::{CheckConfig, CriticalWhen, CriticalWindow, Rule};
use crate::rota::civil::TimeOfDay;
use crate::rota::fairness::FairnessConfig;
use crate::rota::interval::{self, Interval};
use crate::rota::shifts::layer_shifts;
use crate::rota::{
    Cadence, CivilCadence, DstPolicy, FollowTheSun, Layer, Override, OverrideAction, Person,
    PersonIx, Restriction, Rota, Rotation, Source, SunGroup, holidays,
};
use chrono::{Datelike, Duration, NaiveDate};
use chrono_tz::Tz;
use std::ops::Range;
use toml::Spanned;

/// Shortest nominal shift a rotation may have: longer than any DST gap, so
/// handoff instants stay strictly increasing.
const MIN_SHIFT: Duration = Duration::hours(2);

pub fn build(cx: &mut Cx, def: RotaFile, include: Include<'_>) -> Option<Rota> {
    // With an unknown zone, go on in UTC to find the file's other mistakes;
    // the error already recorded makes the result None.
    let zone = values::zone(cx, &def.team.timezone, "team.timezone").unwrap_or(Tz::UTC);
    let people = people(cx, &def.people);
    let ids: Vec<String> = people.iter().map(|p| p.id.clone()).collect();
    let lookup = |cx: &mut Cx, v: &Spanned<String>, field: &str| -> Option<PersonIx> {
        let p = ids.iter().position(|id| id == v.get_ref());
        if p.is_none() {
            cx.err(
                v.span(),
                field,
                format!(
                    "unknown person \"{}\" (not listed under [[people]])",
                    v.get_ref()
                ),
            );
        }
        p
    };
    let lead = def
        .team
        .lead
        .as_ref()
        .and_then(|l| lookup(cx, l, "team.lead"));
    let policy = match def.team.dst {
        DstDef::WallClock => DstPolicy::WallClock,
        DstDef::FixedLength => DstPolicy::FixedLength,
    };
    let mut layers = Vec::new();
    let mut coverage_optional = Vec::new();
    for (i, l) in def.layers.iter().enumerate() {
        let field = format!("layers[{i}]");
        if def.layers[..i]
            .iter()
            .any(|o| o.name.get_ref() == l.name.get_ref())
        {
            cx.err(
                l.name.span(),
                &format!("{field}.name"),
                format!("layer \"{}\" is defined twice", l.name.get_ref()),
            );
        }
        let rotations = l
            .rotations
            .get_ref()
            .iter()
            .enumerate()
            .filter_map(|(j, r)| {
                rotation(
                    cx,
                    r,
                    &format!("{field}.rotations[{j}]"),
                    zone,
                    policy,
                    &lookup,
                )
            })
            .collect::<Vec<_>>();
        check_versions(cx, l, &field);
        let mut layer = Layer::new(l.name.get_ref().clone(), rotations);
        if let Some(role) = &l.role {
            layer.role = role.clone();
        }
        layer.restrictions = l
            .restrictions
            .iter()
            .enumerate()
            .filter_map(|(j, r)| {
                restriction(
                    cx,
                    &r.days,
                    &r.from,
                    &r.to,
                    &format!("{field}.restrictions[{j}]"),
                )
            })
            .collect();
        if l.coverage_required == Some(false) {
            coverage_optional.push(i);
        }
        layers.push(layer);
    }
    if layers.is_empty() {
        cx.err(0..0, "layers", "a rota needs at least one [[layers]] entry");
    }
    let checks = checks(cx, &def.checks, zone);
    let fairness = fairness(cx, &def.fairness, zone, include);
    if cx.has_errors() {
        return None;
    }
    let mut rota = Rota {
        name: def.team.name,
        zone,
        people,
        lead,
        layers,
        checks,
        fairness,
    };
    rota.checks.coverage_optional = coverage_optional;
    apply_overrides(cx, &mut rota, &def.overrides, &def.swaps, &lookup);
    Some(rota)
}

fn people(cx: &mut Cx, defs: &[PersonDef]) -> Vec<Person> {
    let mut out: Vec<Person> = Vec::new();
    for (i, p) in defs.iter().enumerate() {
        let id = p.id.get_ref().trim().to_string();
        if id.is_empty() || out.iter().any(|o| o.id == id) {
            let why = if id.is_empty() {
                "a person id cannot be empty".to_string()
            } else {
                format!("person \"{id}\" is listed twice")
            };
            cx.err(p.id.span(), &format!("people[{i}].id"), why);
        }
        let zone = p
            .timezone
            .as_ref()
            .and_then(|z| values::zone(cx, z, &format!("people[{i}].timezone")));
        out.push(Person {
            name: p.name.clone().unwrap_or_else(|| id.clone()),
            id,
            zone,
        });
    }
    out
}

type Lookup<'a> = dyn Fn(&mut Cx, &Spanned<String>, &str) -> Option<PersonIx> + 'a;

fn rotation(
    cx: &mut Cx,
    r: &RotationDef,
    field: &str,
    zone: Tz,
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
    if *r.cadence.get_ref() == CadenceDef::FollowTheSun {
        let cadence = follow_the_sun(cx, r, field, start, policy, lookup)?;
        return Some(Rotation {
            name,
            effective_from,
            cadence,
        });
    }
    if !r.groups.is_empty() {
        cx.err(
            r.cadence.span(),
            &format!("{field}.groups"),
            "groups are only for cadence = \"follow_the_sun\"",
        );
    }
    let (participants, first) = participants(
        cx,
        &r.participants,
        r.first.as_ref(),
        field,
        r.cadence.span(),
        lookup,
    )?;
    let need = |cx: &mut Cx, v: &Option<Spanned<String>>, what: &str| -> Option<TimeOfDay> {
        match v {
            Some(v) => values::time_of_day(cx, v, &format!("{field}.{what}"), false),
            None => {
                cx.err(
                    r.cadence.span(),
                    &format!("{field}.{what}"),
                    format!("this cadence needs {what}"),
                );
                None
            }
        }
    };
    let every = |cx: &mut Cx| -> Option<u32> {
        match &r.every {
            Some(e) if *e.get_ref() >= 1 => Some(*e.get_ref()),
            Some(e) => {
                cx.err(
                    e.span(),
                    &format!("{field}.every"),
                    "every must be at least 1",
                );
                None
            }
            None => {
                cx.err(
                    r.cadence.span(),
                    &format!("{field}.every"),
                    "this cadence needs every",
                );
                None
            }
        }
    };
    let (anchor, period, offsets) = match r.cadence.get_ref() {
        CadenceDef::Weekly => {
            let day = match &r.handoff_day {
                Some(d) => values::weekday(cx, d, &format!("{field}.handoff_day")),
                None => {
                    cx.err(
                        r.cadence.span(),
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
            let n = every(cx)?;
            (
                need(cx, &r.handoff_time, "handoff_time")?.on(start),
                Duration::days(i64::from(n)),
                vec![Duration::zero()],
            )
        }
        CadenceDef::EveryHours => {
            let n = every(cx)?;
            (
                need(cx, &r.handoff_time, "handoff_time")?.on(start),
                Duration::hours(i64::from(n)),
                vec![Duration::zero()],
            )
        }
        CadenceDef::DayNight => {
            let Some(times) = &r.handoff_times else {
                cx.err(
                    r.cadence.span(),
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
                    r.cadence.span(),
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
            r.cadence.span(),
            &format!("{field}.cadence"),
            "shifts must be at least 2 hours long",
        );
        return None;
    }
    let cadence = Cadence::Civil(CivilCadence {
        zone,
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
    })
}

fn participants(
    cx: &mut Cx,
    list: &[Spanned<String>],
    first: Option<&Spanned<String>>,
    field: &str,
    at: Range<usize>,
    lookup: &Lookup,
) -> Option<(Vec<PersonIx>, usize)> {
    if list.is_empty() {
        cx.err(
            at,
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
        Some(f) => match list.iter().position(|p| p.get_ref() == f.get_ref()) {
            Some(i) => i,
            None => {
                cx.err(
                    f.span(),
                    &format!("{field}.first"),
                    format!("\"{}\" is not one of the participants", f.get_ref()),
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
        cx.err(r.cadence.span(), &format!("{field}.dst"), "follow_the_sun hands off at each group's local time; dst = \"fixed-length\" does not apply");
    }
    if r.groups.len() < 2 {
        cx.err(
            r.cadence.span(),
            &format!("{field}.groups"),
            "follow_the_sun needs at least two [[…groups]]",
        );
        return None;
    }
    if !r.participants.is_empty() {
        cx.err(
            r.participants[0].span(),
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
        let ps = participants(
            cx,
            &d.participants,
            d.first.as_ref(),
            &gf,
            d.timezone.span(),
            lookup,
        );
        let days = d.days_per_person.as_ref().map_or(7, |v| *v.get_ref());
        if days == 0
            && let Some(v) = &d.days_per_person
        {
            cx.err(
                v.span(),
                &format!("{gf}.days_per_person"),
                "days_per_person must be at least 1",
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
        cx.err(
            r.groups[g].handoff_time.span(),
            &format!("{field}.groups[{g}].handoff_time"),
            format!("group {}'s shift on cycle {} would last {} minutes; every shift must be at least 2 hours", r.groups[g].name, k / m, d.num_minutes()),
        );
        return None;
    }
    Some(cadence)
}

fn check_versions(cx: &mut Cx, l: &LayerDef, field: &str) {
    let rs = l.rotations.get_ref();
    if rs.is_empty() {
        cx.err(
            l.rotations.span(),
            &format!("{field}.rotations"),
            "a layer needs at least one rotation",
        );
    }
    let mut prev: Option<String> = None;
    for (j, r) in rs.iter().enumerate().skip(1) {
        match &r.effective_from {
            None => cx.err(
                r.cadence.span(),
                &format!("{field}.rotations[{j}].effective_from"),
                "every rotation after the first is an edit and needs effective_from",
            ),
            Some(e) => {
                let t = e.get_ref().text();
                if prev.as_ref().is_some_and(|p| *p >= t) {
                    cx.err(
                        e.span(),
                        &format!("{field}.rotations[{j}].effective_from"),
                        "edits must be listed in order of effective_from",
                    );
                }
                prev = Some(t);
            }
        }
    }
}

fn restriction(
    cx: &mut Cx,
    days: &[Spanned<String>],
    from: &Spanned<String>,
    to: &Spanned<String>,
    field: &str,
) -> Option<Restriction> {
    let wd: Vec<_> = days
        .iter()
        .enumerate()
        .map(|(k, d)| values::weekday(cx, d, &format!("{field}.days[{k}]")))
        .collect();
    let from = values::time_of_day(cx, from, &format!("{field}.from"), false);
    let to = values::time_of_day(cx, to, &format!("{field}.to"), true);
    let wd: Vec<_> = wd.into_iter().collect::<Option<_>>()?;
    let (from, to) = (from?, to?);
    let to = if to == TimeOfDay::END_OF_DAY {
        TimeOfDay::MIDNIGHT
    } else {
        to
    };
    Some(if wd.is_empty() {
        Restriction::every_day(from, to)
    } else {
        Restriction::on(&wd, from, to)
    })
}

fn checks(cx: &mut Cx, d: &ChecksDef, zone: Tz) -> CheckConfig {
    let base = CheckConfig::default();
    let hours = |cx: &mut Cx, v: &Option<Spanned<f64>>, name: &str| -> Option<Duration> {
        let v = v.as_ref()?;
        if !(*v.get_ref() > 0.0 && v.get_ref().is_finite()) {
            cx.err(
                v.span(),
                &format!("checks.{name}"),
                "must be a positive number of hours",
            );
            return None;
        }
        Some(Duration::seconds((v.get_ref() * 3600.0).round() as i64))
    };
    let critical = d
        .critical
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let f = format!("checks.critical[{i}]");
            let when = match (&c.start, &c.end, &c.from, &c.to) {
                (Some(s), Some(e), None, None) => {
                    let (s, e) = (values::instant(cx, s, &format!("{f}.start"), zone)?, values::instant(cx, e, &format!("{f}.end"), zone)?);
                    if e <= s {
                        cx.err(c.end.as_ref()?.span(), &format!("{f}.end"), "end must be after start");
                        return None;
                    }
                    CriticalWhen::Once(Interval::new(s, e))
                }
                (None, None, Some(from), Some(to)) => CriticalWhen::Weekly(restriction(cx, &c.days, from, to, &f)?),
                _ => {
                    let at = c.start.as_ref().map(|s| s.span()).or(c.from.as_ref().map(|s| s.span())).unwrap_or(0..0);
                    cx.err(at, &f, "a critical window needs either start and end, or from and to (with optional days)");
                    return None;
                }
            };
            Some(CriticalWindow { name: c.name.clone(), when, min_people: c.min_people })
        })
        .collect();
    CheckConfig {
        coverage_gaps: d.coverage_gaps.unwrap_or(base.coverage_gaps),
        coverage_optional: Vec::new(),
        min_gap: d
            .min_gap_minutes
            .map_or(base.min_gap, |m| Duration::minutes(i64::from(m))),
        max_consecutive_shifts: d.max_consecutive_shifts,
        consecutive_gap: hours(cx, &d.consecutive_gap_hours, "consecutive_gap_hours")
            .unwrap_or(base.consecutive_gap),
        min_rest: hours(cx, &d.min_rest_hours, "min_rest_hours"),
        max_hours_per_7_days: hours(cx, &d.max_hours_per_7_days, "max_hours_per_7_days"),
        weekend_spread: match d.weekend_spread {
            Some(n) if n < 0 => None,
            Some(n) => Some(n as u32),
            None => base.weekend_spread,
        },
        critical,
        forbid_double_duty: !d.two_layers_at_once.unwrap_or(false),
        hard: match &d.hard {
            None => base.hard,
            Some(list) => list
                .iter()
                .enumerate()
                .filter_map(|(i, r)| {
                    let rule = Rule::parse(r.get_ref());
                    if rule.is_none() {
                        let names: Vec<&str> = Rule::ALL.iter().map(|r| r.as_str()).collect();
                        cx.err(
                            r.span(),
                            &format!("checks.hard[{i}]"),
                            format!(
                                "unknown rule \"{}\" (one of {})",
                                r.get_ref(),
                                names.join(", ")
                            ),
                        );
                    }
                    rule
                })
                .collect(),
        },
    }
}

fn fairness(cx: &mut Cx, d: &FairnessDef, zone: Tz, include: Include<'_>) -> FairnessConfig {
    let base = FairnessConfig::default();
    let night_from = d
        .night_from
        .as_ref()
        .and_then(|v| values::time_of_day(cx, v, "fairness.night_from", false));
    let night_to = d
        .night_to
        .as_ref()
        .and_then(|v| values::time_of_day(cx, v, "fairness.night_to", true));
    let mut holidays: Vec<NaiveDate> = d
        .holidays
        .iter()
        .enumerate()
        .filter_map(|(i, h)| values::date(cx, h, &format!("fairness.holidays[{i}]")))
        .collect();
    if let Some(path) = &d.holidays_ics {
        match include(path.get_ref()).and_then(|text| holidays::dates_from_ics(&text)) {
            Ok(ds) => holidays.extend(ds),
            Err(e) => cx.err(
                path.span(),
                "fairness.holidays_ics",
                format!("cannot read holidays from {}: {e}", path.get_ref()),
            ),
        }
    }
    let _ = zone;
    holidays.sort();
    holidays.dedup();
    FairnessConfig {
        night_from: night_from.unwrap_or(base.night_from),
        night_to: night_to.unwrap_or(base.night_to),
        holidays,
    }
}

/// One override or swap half, with where it was written.
struct Placed {
    layer: usize,
    o: Override,
    span: Range<usize>,
    field: String,
}

fn apply_overrides(
    cx: &mut Cx,
    rota: &mut Rota,
    defs: &[OverrideDef],
    swaps: &[SwapDef],
    lookup: &Lookup,
) {
    let zone = rota.zone;
    let mut placed: Vec<Placed> = Vec::new();
    let interval =
        |cx: &mut Cx, s: &Spanned<When>, e: &Spanned<When>, f: &str| -> Option<Interval> {
            let (s, e2) = (
                values::instant(cx, s, &format!("{f}.start"), zone),
                values::instant(cx, e, &format!("{f}.end"), zone),
            );
            let (s, e2) = (s?, e2?);
            if e2 <= s {
                cx.err(e.span(), &format!("{f}.end"), "end must be after start");
                return None;
            }
            Some(Interval::new(s, e2))
        };
    let layer_of = |cx: &mut Cx, l: &Spanned<String>, f: &str| -> Option<usize> {
        let i = rota.layer(l.get_ref());
        if i.is_none() {
            cx.err(
                l.span(),
                &format!("{f}.layer"),
                format!("there is no layer \"{}\" in this rota", l.get_ref()),
            );
        }
        i
    };
    for (i, d) in defs.iter().enumerate() {
        let f = format!("overrides[{i}]");
        let layer = layer_of(cx, &d.layer, &f);
        let iv = interval(cx, &d.start, &d.end, &f);
        let person = d
            .person
            .as_ref()
            .and_then(|p| lookup(cx, p, &format!("{f}.person")));
        let replaces = d
            .replaces
            .as_ref()
            .and_then(|p| lookup(cx, p, &format!("{f}.replaces")));
        let action = match (d.kind, d.person.is_some(), d.replaces.is_some()) {
            (OverrideKind::Replace, true, _) => {
                person.map(|by| OverrideAction::Replace { replaces, by })
            }
            (OverrideKind::Add, true, false) => person.map(|person| OverrideAction::Add { person }),
            (OverrideKind::Remove, false, false) => Some(OverrideAction::Remove),
            (kind, _, _) => {
                let why = match kind {
                    OverrideKind::Replace => {
                        "a replace override needs person (and optionally replaces)"
                    }
                    OverrideKind::Add => "an add override needs person and takes no replaces",
                    OverrideKind::Remove => "a remove override takes neither person nor replaces",
                };
                cx.err(d.layer.span(), &format!("{f}.kind"), why);
                None
            }
        };
        if let (Some(layer), Some(iv), Some(action)) = (layer, iv, action) {
            placed.push(Placed {
                layer,
                o: Override {
                    interval: iv,
                    action,
                    source: if d.source == OverrideSource::Swap {
                        Source::Swap
                    } else {
                        Source::Override
                    },
                },
                span: d.start.span(),
                field: f,
            });
        }
    }
    for (i, s) in swaps.iter().enumerate() {
        let f = format!("swaps[{i}]");
        let layer = layer_of(cx, &s.layer, &f);
        let sides: Vec<_> = [(&s.a, "a"), (&s.b, "b")]
            .into_iter()
            .map(|(side, n)| {
                let p = lookup(cx, &side.person, &format!("{f}.{n}.person"));
                let iv = interval(cx, &side.start, &side.end, &format!("{f}.{n}"));
                (p.zip(iv), side, n)
            })
            .collect();
        let (Some(layer), (Some((pa, ia)), sa, _), (Some((pb, ib)), sb, _)) =
            (layer, &sides[0], &sides[1])
        else {
            continue;
        };
        if pa == pb {
            cx.err(
                sb.person.span(),
                &format!("{f}.b.person"),
                "a swap needs two different people",
            );
            continue;
        }
        for (who, iv, side, n) in [(*pa, *ia, sa, "a"), (*pb, *ib, sb, "b")] {
            if !holds(rota, layer, who, iv) {
                cx.err(side.start.span(), &format!("{f}.{n}"), format!(
                    "{} is not on call in layer {} for all of {} – {}; a swap trades shifts people hold",
                    rota.people[who].id, rota.layers[layer].name, iv.start.format("%Y-%m-%d %H:%MZ"), iv.end.format("%Y-%m-%d %H:%MZ")
                ));
            }
        }
        let half = |iv: Interval, from: PersonIx, to: PersonIx| Override {
            interval: iv,
            action: OverrideAction::Replace {
                replaces: Some(from),
                by: to,
            },
            source: Source::Swap,
        };
        placed.push(Placed {
            layer,
            o: half(*ia, *pa, *pb),
            span: sa.start.span(),
            field: format!("{f}.a"),
        });
        placed.push(Placed {
            layer,
            o: half(*ib, *pb, *pa),
            span: sb.start.span(),
            field: format!("{f}.b"),
        });
    }
    contradictions(cx, &placed);
    for (i, layer) in rota.layers.iter_mut().enumerate() {
        layer.set_overrides(
            placed
                .iter()
                .filter(|p| p.layer == i)
                .map(|p| p.o.clone())
                .collect(),
        );
    }
}

/// Whether `who` is on call in the layer's rotation (before overrides) for
/// the whole of `iv`.
fn holds(rota: &Rota, layer: usize, who: PersonIx, iv: Interval) -> bool {
    let shifts = layer_shifts(rota, layer, &rota.layers[layer], iv.start, iv.end, false);
    let mine = interval::union(
        shifts
            .iter()
            .filter(|s| s.person == who)
            .map(|s| s.interval())
            .collect(),
    );
    interval::subtract(&[iv], &mine).is_empty()
}

/// Overlapping overrides in one layer contradict each other unless both add
/// (different) people.
fn contradictions(cx: &mut Cx, placed: &[Placed]) {
    for (i, a) in placed.iter().enumerate() {
        for b in &placed[i + 1..] {
            if a.layer != b.layer || !a.o.interval.overlaps(&b.o.interval) {
                continue;
            }
            let compatible = matches!(
                (a.o.action, b.o.action),
                (OverrideAction::Add { person: x }, OverrideAction::Add { person: y }) if x != y
            );
            if !compatible {
                let line = cx.text[..a.span.start.min(cx.text.len())]
                    .matches('\n')
                    .count()
                    + 1;
                cx.err(
                    b.span.clone(),
                    &b.field,
                    format!(
                        "overlaps {} (line {line}) in the same layer and contradicts it",
                        a.field
                    ),
                );
            }
        }
    }
}
