//! Builds a `Rota` from its parsed definition, validating cross-references
//! (people, layers), cadences, overrides and swaps.

use super::defs::*;
use super::overrides::apply_overrides;
use super::rotations::{check_versions, rotation};
use super::{Cx, Include, values};
use crate::rota::checks::{CheckConfig, CriticalWhen, CriticalWindow, Rule};
use crate::rota::civil::TimeOfDay;
use crate::rota::fairness::FairnessConfig;
use crate::rota::interval::Interval;
use crate::rota::{DstPolicy, Layer, Person, PersonIx, Restriction, Rota, holidays};
use crate::tz::Zone;
use chrono::{Duration, NaiveDate};

/// Counts and lengths over the limits (`limits`), each named by its field.
/// Checked first; a rota over a limit is not built any further, so its
/// size never costs more than the reading.
fn check_limits(cx: &mut Cx, team: &TeamDef, people: &[PersonDef], doc: &RotaDoc) -> bool {
    use super::limits::*;
    let before = cx.errors.len();
    let count = |cx: &mut Cx, n: usize, max: usize, field: &str| {
        if n > max {
            cx.err(field, format!("at most {max} allowed, {n} given"));
        }
    };
    let name = |cx: &mut Cx, v: &str, field: &str, max: usize| {
        if v.chars().count() > max {
            cx.err(field, format!("at most {max} characters"));
        }
    };
    name(cx, &team.name, "team.name", MAX_NAME);
    count(cx, people.len(), MAX_PEOPLE, "people");
    count(cx, doc.layers.len(), MAX_LAYERS, "layers");
    count(cx, doc.overrides.len(), MAX_OVERRIDES, "overrides");
    count(cx, doc.swaps.len(), MAX_SWAPS, "swaps");
    count(
        cx,
        doc.checks.critical.len(),
        MAX_CRITICAL,
        "checks.critical",
    );
    count(
        cx,
        doc.fairness.holidays.len(),
        MAX_HOLIDAYS,
        "fairness.holidays",
    );
    for (i, p) in people.iter().enumerate().take(MAX_PEOPLE) {
        name(cx, &p.id, &format!("people[{i}].id"), MAX_NAME);
        if let Some(n) = &p.name {
            name(cx, n, &format!("people[{i}].name"), MAX_DISPLAY_NAME);
        }
    }
    for (i, l) in doc.layers.iter().enumerate().take(MAX_LAYERS) {
        let f = format!("layers[{i}]");
        name(cx, &l.name, &format!("{f}.name"), MAX_NAME);
        if let Some(r) = &l.role {
            name(cx, r, &format!("{f}.role"), MAX_NAME);
        }
        count(
            cx,
            l.rotations.len(),
            MAX_ROTATIONS,
            &format!("{f}.rotations"),
        );
        count(
            cx,
            l.restrictions.len(),
            MAX_RESTRICTIONS,
            &format!("{f}.restrictions"),
        );
        for (j, r) in l.rotations.iter().enumerate().take(MAX_ROTATIONS) {
            let rf = format!("{f}.rotations[{j}]");
            if let Some(rs) = &r.restrictions {
                count(
                    cx,
                    rs.len(),
                    MAX_RESTRICTIONS,
                    &format!("{rf}.restrictions"),
                );
            }
            if let Some(n) = &r.name {
                name(cx, n, &format!("{rf}.name"), MAX_NAME);
            }
            count(
                cx,
                r.participants.len(),
                MAX_PARTICIPANTS,
                &format!("{rf}.participants"),
            );
            count(cx, r.groups.len(), MAX_GROUPS, &format!("{rf}.groups"));
            if let Some(ts) = &r.handoff_times {
                count(
                    cx,
                    ts.len(),
                    MAX_HANDOFF_TIMES,
                    &format!("{rf}.handoff_times"),
                );
            }
            for (g, grp) in r.groups.iter().enumerate().take(MAX_GROUPS) {
                let gf = format!("{rf}.groups[{g}]");
                name(cx, &grp.name, &format!("{gf}.name"), MAX_NAME);
                count(
                    cx,
                    grp.participants.len(),
                    MAX_PARTICIPANTS,
                    &format!("{gf}.participants"),
                );
            }
        }
    }
    for (i, o) in doc.overrides.iter().enumerate().take(MAX_OVERRIDES) {
        if let Some(n) = &o.note {
            name(cx, n, &format!("overrides[{i}].note"), MAX_NOTE);
        }
    }
    for (i, w) in doc.swaps.iter().enumerate().take(MAX_SWAPS) {
        if let Some(n) = &w.note {
            name(cx, n, &format!("swaps[{i}].note"), MAX_NOTE);
        }
    }
    cx.errors.len() == before
}

pub fn build(
    cx: &mut Cx,
    team: &TeamDef,
    people_defs: &[PersonDef],
    def: &RotaDoc,
    include: Include<'_>,
) -> Option<Rota> {
    if !check_limits(cx, team, people_defs, def) {
        return None;
    }
    // With an unknown zone, go on in UTC to find the file's other mistakes;
    // the error already recorded makes the result None.
    let zone = values::zone(cx, &team.timezone, "team.timezone").unwrap_or(Zone::utc());
    let people = people(cx, people_defs);
    let ids: Vec<String> = people.iter().map(|p| p.id.clone()).collect();
    let lookup = |cx: &mut Cx, v: &String, field: &str| -> Option<PersonIx> {
        let p = ids.iter().position(|id| id == v);
        if p.is_none() {
            cx.err(
                field,
                format!("unknown person \"{}\" (not listed under [[people]])", v),
            );
        }
        p
    };
    let lead = team.lead.as_ref().and_then(|l| lookup(cx, l, "team.lead"));
    let policy = match def.dst.unwrap_or(team.dst) {
        DstDef::WallClock => DstPolicy::WallClock,
        DstDef::FixedLength => DstPolicy::FixedLength,
    };
    let mut layers = Vec::new();
    let mut coverage_optional = Vec::new();
    for (i, l) in def.layers.iter().enumerate() {
        let field = format!("layers[{i}]");
        if def.layers[..i].iter().any(|o| o.name == l.name) {
            cx.err(
                &format!("{field}.name"),
                format!("layer \"{}\" is defined twice", l.name),
            );
        }
        let rotations = l
            .rotations
            .iter()
            .enumerate()
            .filter_map(|(j, r)| {
                let rf = format!("{field}.rotations[{j}]");
                let mut rot = rotation(cx, r, &rf, &zone, policy, &lookup)?;
                rot.restrictions = r.restrictions.as_ref().map(|rs| {
                    rs.iter()
                        .enumerate()
                        .filter_map(|(k, x)| {
                            restriction(
                                cx,
                                &x.days,
                                &x.from,
                                &x.to,
                                &format!("{rf}.restrictions[{k}]"),
                            )
                        })
                        .collect()
                });
                Some(rot)
            })
            .collect::<Vec<_>>();
        check_versions(cx, l, &field);
        let mut layer = Layer::new(l.name.clone(), rotations);
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
        cx.err("layers", "a rota needs at least one [[layers]] entry");
    }
    let checks = checks(cx, &def.checks, &zone);
    let fairness = fairness(cx, &def.fairness, &zone, include);
    let handoffs = handoffs(cx, &def.handoffs);
    if cx.has_errors() {
        return None;
    }
    let mut rota = Rota {
        name: team.name.clone(),
        zone,
        people,
        lead,
        layers,
        checks,
        fairness,
        handoffs,
    };
    rota.checks.coverage_optional = coverage_optional;
    apply_overrides(cx, &mut rota, &def.overrides, &def.swaps, &lookup);
    Some(rota)
}

fn people(cx: &mut Cx, defs: &[PersonDef]) -> Vec<Person> {
    let mut out: Vec<Person> = Vec::new();
    for (i, p) in defs.iter().enumerate() {
        let id = p.id.trim().to_string();
        if id.is_empty() || out.iter().any(|o| o.id == id) {
            let why = if id.is_empty() {
                "a person id cannot be empty".to_string()
            } else {
                format!("person \"{id}\" is listed twice")
            };
            cx.err(&format!("people[{i}].id"), why);
        }
        let zone = p
            .timezone
            .as_ref()
            .and_then(|z| values::zone(cx, z, &format!("people[{i}].timezone")));
        if let Some(ph) = &p.phone
            && let Err(m) = crate::escalation::rules::check_phone(ph)
        {
            cx.err(&format!("people[{i}].phone"), m);
        }
        if let Some(e) = &p.email
            && let Err(m) = crate::escalation::rules::check_email(e)
        {
            cx.err(&format!("people[{i}].email"), m);
        }
        if let Some(c) = &p.chat
            && (c.trim().is_empty() || c.len() > 64)
        {
            cx.err(
                &format!("people[{i}].chat"),
                "a Slack user id is 1–64 characters",
            );
        }
        out.push(Person {
            name: p.name.clone().unwrap_or_else(|| id.clone()),
            id,
            zone,
        });
    }
    out
}

fn restriction(
    cx: &mut Cx,
    days: &[String],
    from: &String,
    to: &String,
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

fn checks(cx: &mut Cx, d: &ChecksDef, zone: &Zone) -> CheckConfig {
    let base = CheckConfig::default();
    let hours = |cx: &mut Cx, v: &Option<f64>, name: &str| -> Option<Duration> {
        let v = v.as_ref()?;
        // At most two years' worth: more means nothing to a check and would
        // overflow time arithmetic.
        if !(*v > 0.0 && *v <= 17_568.0) {
            cx.err(
                &format!("checks.{name}"),
                "must be a positive number of hours, at most 17568 (two years)",
            );
            return None;
        }
        Some(Duration::seconds((v * 3600.0).round() as i64))
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
                        cx.err(&format!("{f}.end"), "end must be after start");
                        return None;
                    }
                    CriticalWhen::Once(Interval::new(s, e))
                }
                (None, None, Some(from), Some(to)) => CriticalWhen::Weekly(restriction(cx, &c.days, from, to, &f)?),
                _ => {
                    cx.err(&f, "a critical window needs either start and end, or from and to (with optional days)");
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
                    let rule = Rule::parse(r);
                    if rule.is_none() {
                        let names: Vec<&str> = Rule::ALL.iter().map(|r| r.as_str()).collect();
                        cx.err(
                            &format!("checks.hard[{i}]"),
                            format!("unknown rule \"{}\" (one of {})", r, names.join(", ")),
                        );
                    }
                    rule
                })
                .collect(),
        },
    }
}

fn fairness(cx: &mut Cx, d: &FairnessDef, zone: &Zone, include: Include<'_>) -> FairnessConfig {
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
        match include(path).and_then(|text| holidays::dates_from_ics(&text)) {
            Ok(ds) => holidays.extend(ds),
            Err(e) => cx.err(
                "fairness.holidays_ics",
                format!("cannot read holidays from {}: {e}", path),
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

/// At most this many reminders before a shift.
pub const MAX_REMINDERS: usize = 4;

fn handoffs(cx: &mut Cx, d: &HandoffsDef) -> crate::rota::HandoffSettings {
    let mut out = crate::rota::HandoffSettings::default();
    if let Some(n) = d.notices {
        out.notices = n;
    }
    if let Some(list) = &d.remind_before {
        if list.len() > MAX_REMINDERS {
            cx.err(
                "handoffs.remind_before",
                format!("at most {MAX_REMINDERS} reminders"),
            );
        }
        out.remind_before = list
            .iter()
            .take(MAX_REMINDERS)
            .enumerate()
            .filter_map(|(i, v)| values::duration(cx, v, &format!("handoffs.remind_before[{i}]")))
            .collect();
    }
    if let Some(a) = &d.ack_within {
        out.ack_within = if a.trim() == "off" {
            None
        } else {
            values::duration(cx, a, "handoffs.ack_within")
        };
    }
    let slack = |cx: &mut Cx, v: &Option<String>, field: &str| {
        let v = v.as_ref()?.trim().to_string();
        if v.is_empty() || v.chars().count() > 80 || v.contains(char::is_whitespace) {
            cx.err(
                field,
                "a Slack id or #name of 1–80 characters without spaces",
            );
            return None;
        }
        Some(v)
    };
    out.slack_channel = slack(cx, &d.slack_channel, "handoffs.slack_channel");
    out.slack_usergroup = slack(cx, &d.slack_usergroup, "handoffs.slack_usergroup");
    out
}
