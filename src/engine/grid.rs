//! The calendar of a rota as the console draws it (PURE): weeks of seven
//! days in a zone, one row per layer and one "paged" row per role (after
//! layer precedence), each a list of bars placed by percent of the week's
//! width. A day is a seventh of the width whatever its length, and a time
//! sits at its local wall-clock place in its day, so a 09:00 handoff lines
//! up on a 23- or 25-hour day too (a repeated hour folds onto itself).
//! Bars: a person's shift (from the rotation, an override or a swap, and
//! flagged with the fatigue rules it breaks), a layer's restricted-off
//! time, and, on paged rows, the gaps nobody covers.

use crate::rota::checks::{self, Rule};
use crate::rota::interval::{self, Interval};
use crate::rota::{Instant, Rota, Shift, Source, civil, shifts};
use crate::tz::Zone;
use chrono::{Datelike, Duration, NaiveDate, Timelike};

pub struct DayHead {
    /// "Mon 7".
    pub label: String,
    /// YYYY-MM-DD.
    pub date: String,
    pub today: bool,
    pub weekend: bool,
}

pub struct Bar {
    /// Left edge and width, in percent of the week.
    pub x: f64,
    pub w: f64,
    pub text: String,
    /// rotation, override, swap, off, gap or gap-optional; "flagged" added
    /// when the shift breaks a fatigue rule.
    pub class: String,
    /// The whole story, for the tooltip.
    pub title: String,
    /// For a shift: its layer, person id, and start and end as local
    /// times in the rota's zone (what an override form takes).
    pub shift: Option<ShiftRef>,
}

pub struct ShiftRef {
    pub layer: String,
    pub person: String,
    pub start: String,
    pub end: String,
}

pub struct Row {
    pub label: String,
    /// The layer's role, or "who is paged".
    pub sub: String,
    pub paged: bool,
    pub bars: Vec<Bar>,
}

pub struct Week {
    /// The instants (ms) the week's days start at, and the next Monday's.
    pub starts: Vec<i64>,
    pub days: Vec<DayHead>,
    pub rows: Vec<Row>,
    /// Where "now" is, in percent, when it falls in this week.
    pub now_x: Option<f64>,
}

/// How far beyond the window the fatigue rules look, so a run of shifts
/// that began before it is still judged whole.
const CHECK_MARGIN_DAYS: i64 = 14;

/// `weeks` weeks from `first` (a date in `zone`), as of `now`.
pub fn layout(rota: &Rota, zone: &Zone, first: NaiveDate, weeks: usize, now: Instant) -> Vec<Week> {
    let starts = starts_of(zone, first, weeks);
    let (from, to) = (starts[0], starts[weeks * 7]);
    let all = shifts::shifts_between(rota, from, to);
    let margin = Duration::days(CHECK_MARGIN_DAYS);
    let flags: Vec<checks::Violation> = checks::check(rota, from - margin, to + margin)
        .into_iter()
        .filter(|v| v.person.is_some() && v.rule != Rule::CoverageGap)
        .filter(|v| v.interval.end > from && v.interval.start < to)
        .collect();
    let when = |t: Instant| civil::local(zone, t).format("%a %-d %b %H:%M").to_string();
    // Every row's items over the whole window: (start, end, text, class, title).
    let mut rows: Vec<Row0> = Vec::new();
    for (i, layer) in rota.layers.iter().enumerate() {
        let mut items = Vec::new();
        for s in all.iter().filter(|s| s.layer == i) {
            items.push(shift_item(rota, s, &flags, zone));
        }
        if layer.restricted() {
            let on = layer.active_windows(&rota.zone, from, to);
            for off in interval::subtract(&[Interval::new(from, to)], &on) {
                items.push(Item {
                    start: off.start,
                    end: off.end,
                    text: String::new(),
                    class: "off".into(),
                    title: format!(
                        "{}: outside its hours, {} – {}",
                        layer.name,
                        when(off.start),
                        when(off.end)
                    ),
                    shift: None,
                    zone: None,
                });
            }
        }
        rows.push((layer.name.clone(), layer.role.clone(), false, items));
    }
    let roles = shifts::effective(rota, &all);
    let several = roles.len() > 1;
    for (role, kept) in roles {
        let optional = rota
            .layers
            .iter()
            .enumerate()
            .filter(|(_, l)| l.role == role)
            .all(|(i, _)| rota.checks.coverage_optional.contains(&i));
        let mut items: Vec<Item> = kept
            .iter()
            .map(|s| {
                let p = &rota.people[s.person];
                Item {
                    start: s.start,
                    end: s.end,
                    text: p.name.clone(),
                    class: "paged".into(),
                    title: format!(
                        "{} is paged · from layer {} · {} – {}",
                        p.name,
                        rota.layers[s.layer].name,
                        when(s.start),
                        when(s.end)
                    ),
                    shift: None,
                    zone: None,
                }
            })
            .collect();
        let covered = interval::union(kept.iter().map(|s| s.interval()).collect());
        let gaps = interval::subtract(&[Interval::new(from, to)], &covered);
        // Outside every layer's hours the gap is declared, not a problem.
        let hours = interval::union(
            rota.layers
                .iter()
                .filter(|l| l.role == role)
                .flat_map(|l| l.active_windows(&rota.zone, from, to))
                .collect(),
        );
        let (open, declared) = (
            interval::intersect(&gaps, &hours),
            interval::subtract(&gaps, &hours),
        );
        for (g, red) in open
            .iter()
            .map(|g| (g, !optional))
            .chain(declared.iter().map(|g| (g, false)))
        {
            let why = if red { "" } else { " (a declared gap)" };
            items.push(Item {
                start: g.start,
                end: g.end,
                text: if red { "nobody".into() } else { String::new() },
                class: if red { "gap" } else { "gap-optional" }.into(),
                title: format!("Nobody is paged: {} – {}{why}", when(g.start), when(g.end)),
                shift: None,
                zone: None,
            });
        }
        let label = if several {
            format!("Paged ({role})")
        } else {
            "Paged".to_string()
        };
        rows.push((label, "who is paged".into(), true, items));
    }
    weeks_of(&rows, zone, first, &starts, now)
}

/// The rows cut into weeks and placed (shared by the rota and the person
/// views).
fn weeks_of(
    rows: &[Row0],
    zone: &Zone,
    first: NaiveDate,
    starts: &[Instant],
    now: Instant,
) -> Vec<Week> {
    let weeks = (starts.len() - 1) / 7;
    let rota_local = |i: &Item| {
        i.zone.as_ref().map(|z| {
            (
                civil::local(z, i.start)
                    .format("%Y-%m-%dT%H:%M")
                    .to_string(),
                civil::local(z, i.end).format("%Y-%m-%dT%H:%M").to_string(),
            )
        })
    };
    let today = civil::local(zone, now).date();
    (0..weeks)
        .map(|w| {
            let (a, b) = (7 * w, 7 * w + 7);
            let x = |t: Instant| -> f64 {
                if t <= starts[a] {
                    return 0.0;
                }
                if t >= starts[b] {
                    return 100.0;
                }
                let d = (a..b).find(|&d| t < starts[d + 1]).unwrap_or(b - 1);
                let secs = civil::local(zone, t).time().num_seconds_from_midnight() as f64;
                ((d - a) as f64 + (secs / 86_400.0).clamp(0.0, 1.0)) / 7.0 * 100.0
            };
            let days = (a..b)
                .map(|d| {
                    let date = first + Duration::days(d as i64);
                    DayHead {
                        label: date.format("%a %-d").to_string(),
                        date: date.to_string(),
                        today: date == today,
                        weekend: date.weekday().number_from_monday() >= 6,
                    }
                })
                .collect();
            let rows = rows
                .iter()
                .map(|(label, sub, paged, items)| Row {
                    label: label.clone(),
                    sub: sub.clone(),
                    paged: *paged,
                    bars: items
                        .iter()
                        .filter(|i| i.end > starts[a] && i.start < starts[b])
                        .map(|i| {
                            let left = x(i.start);
                            Bar {
                                x: left,
                                w: (x(i.end) - left).max(0.0),
                                text: i.text.clone(),
                                class: i.class.clone(),
                                title: i.title.clone(),
                                shift: i.shift.as_ref().zip(rota_local(i)).map(
                                    |((layer, person), (start, end))| ShiftRef {
                                        layer: layer.clone(),
                                        person: person.clone(),
                                        start,
                                        end,
                                    },
                                ),
                            }
                        })
                        .collect(),
                })
                .collect();
            let now_x = (starts[a] <= now && now < starts[b]).then(|| x(now));
            let starts = starts[a..=b].iter().map(|t| t.timestamp_millis()).collect();
            Week {
                starts,
                days,
                rows,
                now_x,
            }
        })
        .collect()
}

/// A row before it is placed: label, sub-label, whether it is a paged row,
/// and its items over the whole window.
type Row0 = (String, String, bool, Vec<Item>);

/// A person's shift as a bar: marked by source and by the fatigue rules
/// it breaks.
fn shift_item(rota: &Rota, s: &Shift, flags: &[checks::Violation], zone: &Zone) -> Item {
    let when = |t: Instant| civil::local(zone, t).format("%a %-d %b %H:%M").to_string();
    let layer = &rota.layers[s.layer];
    let p = &rota.people[s.person];
    let mut title = format!(
        "{} · {} · {} – {} ({})",
        p.name,
        layer.name,
        when(s.start),
        when(s.end),
        s.source.as_str()
    );
    let mut class = match s.source {
        Source::Rotation => "rotation",
        Source::Override => "override",
        Source::Swap => "swap",
    }
    .to_string();
    let broken: Vec<&checks::Violation> = flags
        .iter()
        .filter(|v| v.person.as_deref() == Some(p.id.as_str()))
        // A rest period touches the shifts around it: they count.
        .filter(|v| v.interval.end >= s.start && v.interval.start <= s.end)
        .collect();
    if !broken.is_empty() {
        class.push_str(" flagged");
        for v in broken {
            title.push_str(&format!("\n⚠ {}: {}", v.rule.as_str(), v.message_in(zone)));
        }
    }
    Item {
        start: s.start,
        end: s.end,
        text: p.name.clone(),
        class,
        title,
        shift: Some((layer.name.clone(), p.id.clone())),
        zone: Some(rota.zone.clone()),
    }
}

/// The days from `first` in `zone`, `weeks` weeks of them, as the instants
/// they start at (and the day after the last).
fn starts_of(zone: &Zone, first: NaiveDate, weeks: usize) -> Vec<Instant> {
    (0..=weeks * 7)
        .map(|d| civil::start_of_day(zone, first + Duration::days(d as i64)))
        .collect()
}

/// One person's shifts across `rotas` (label, rota): a row per rota and
/// layer they take part in, flagged by each rota's fatigue rules.
pub fn person_layout(
    rotas: &[(String, &Rota)],
    person: &str,
    zone: &Zone,
    first: NaiveDate,
    weeks: usize,
    now: Instant,
) -> Vec<Week> {
    let starts = starts_of(zone, first, weeks);
    let (from, to) = (starts[0], starts[weeks * 7]);
    let margin = Duration::days(CHECK_MARGIN_DAYS);
    let mut rows: Vec<Row0> = Vec::new();
    for (label, rota) in rotas {
        let Some(me) = rota.person(person) else {
            continue;
        };
        let flags: Vec<checks::Violation> = checks::check(rota, from - margin, to + margin)
            .into_iter()
            .filter(|v| v.person.as_deref() == Some(person) && v.rule != Rule::CoverageGap)
            .collect();
        let all = shifts::shifts_between(rota, from, to);
        for (i, layer) in rota.layers.iter().enumerate() {
            let takes_part = layer
                .rotations
                .iter()
                .any(|r| r.cadence.participants().contains(&me));
            let items: Vec<Item> = all
                .iter()
                .filter(|s| s.layer == i && s.person == me)
                .map(|s| shift_item(rota, s, &flags, zone))
                .collect();
            if takes_part || !items.is_empty() {
                rows.push((label.clone(), layer.name.clone(), false, items));
            }
        }
    }
    weeks_of(&rows, zone, first, &starts, now)
}

struct Item {
    start: Instant,
    end: Instant,
    text: String,
    class: String,
    title: String,
    /// (layer, person) of a shift.
    shift: Option<(String, String)>,
    /// The rota's zone, for a shift (what an override form takes).
    zone: Option<Zone>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rota(text: &str) -> Rota {
        let none = |_: &str| Err("no includes".to_string());
        crate::rota::file::parse_rota("t.toml", text, &none).expect("a rota")
    }

    #[test]
    fn a_week_across_the_dst_change_lines_up_by_day() {
        // New York leaves DST on Sunday 1 November 2026: that day is 25 h.
        let r = rota(
            r#"
[team]
name = "t"
timezone = "America/New_York"
[[people]]
id = "ann"
[[people]]
id = "bob"
[[layers]]
name = "primary"
[[layers.rotations]]
cadence = "daily"
handoff_time = "09:00"
start = "2026-01-05"
participants = ["ann", "bob"]
"#,
        );
        let zone: Zone = "America/New_York".parse().expect("zone");
        let first = NaiveDate::from_ymd_opt(2026, 10, 26).expect("date");
        let now = civil::resolve(
            &zone,
            first.and_hms_opt(12, 0, 0).expect("time") + Duration::days(6),
        );
        let weeks = layout(&r, &zone, first, 1, now);
        let w = &weeks[0];
        assert_eq!(w.days[0].label, "Mon 26");
        assert_eq!(w.rows.len(), 2, "the layer and the paged row");
        let bars = &w.rows[0].bars;
        // Handoffs at 09:00 local every day, also on the 25-hour Sunday.
        assert_eq!(bars.len(), 8, "7 handoffs in the week: 8 shifts");
        for (i, b) in bars.iter().enumerate().skip(1) {
            let want = ((i - 1) as f64 + 9.0 / 24.0) / 7.0 * 100.0;
            assert!((b.x - want).abs() < 1e-9, "bar {i} at {} not {want}", b.x);
        }
        assert!(w.rows[1].paged && w.rows[1].bars.iter().all(|b| b.class == "paged"));
        let now_x = w.now_x.expect("now is in this week");
        assert!(
            (now_x - (6.0 + 12.0 / 24.0) / 7.0 * 100.0).abs() < 1e-9,
            "{now_x}"
        );
        assert!(w.days[6].today && w.days[6].weekend);
    }
}
