//! Each check rule: a rota that trips it and one that passes it.

use crate::helpers::{rota, utc};
use vigil::rota::checks::{Rule, Violation, check};

const PEOPLE: &str = r#"
[[people]]
id = "a"
[[people]]
id = "b"
[[people]]
id = "c"
[[people]]
id = "d"
"#;

fn file(layers: &str, checks: &str) -> String {
    format!(
        "[team]\nname = \"t\"\ntimezone = \"Europe/London\"\n{PEOPLE}\n{layers}\n[checks]\n{checks}\n"
    )
}

fn run(layers: &str, checks: &str) -> Vec<Violation> {
    let r = rota(&file(layers, checks));
    check(&r, utc("2026-06-01T00:00:00Z"), utc("2026-07-01T00:00:00Z"))
}

fn rules(v: &[Violation]) -> Vec<Rule> {
    let mut r: Vec<Rule> = v.iter().map(|v| v.rule).collect();
    r.dedup();
    r
}

fn weekly(name: &str, people: &str, first: &str) -> String {
    format!(
        "[[layers]]\nname = \"{name}\"\n[[layers.rotations]]\ncadence = \"weekly\"\nhandoff_day = \"monday\"\nhandoff_time = \"09:00\"\nstart = \"2026-01-05\"\nparticipants = [{people}]\nfirst = \"{first}\"\n"
    )
}

const DAY_NIGHT_2: &str = "[[layers]]\nname = \"ops\"\n[[layers.rotations]]\ncadence = \"day_night\"\nhandoff_times = [\"08:00\", \"20:00\"]\nstart = \"2026-01-05\"\nparticipants = [\"a\", \"b\"]\n";
const DAY_NIGHT_4: &str = "[[layers]]\nname = \"ops\"\n[[layers.rotations]]\ncadence = \"day_night\"\nhandoff_times = [\"08:00\", \"20:00\"]\nstart = \"2026-01-05\"\nparticipants = [\"a\", \"b\", \"c\", \"d\"]\n";

#[test]
fn coverage_gap_trips_on_a_removed_day_and_passes_without() {
    let base = weekly("primary", "\"a\", \"b\", \"c\"", "a");
    assert!(run(&base, "").is_empty());
    let removed = format!(
        "{base}\n[[overrides]]\nlayer = \"primary\"\nkind = \"remove\"\nstart = \"2026-06-10T12:00\"\nend = \"2026-06-11T12:00\"\n"
    );
    let v = run(&removed, "");
    assert_eq!(rules(&v), [Rule::CoverageGap]);
    assert_eq!(
        (v[0].interval.start, v[0].interval.end),
        (utc("2026-06-10T11:00:00Z"), utc("2026-06-11T11:00:00Z"))
    );
    assert_eq!(v[0].layer.as_deref(), Some("primary"));
    assert!(
        v[0].message.contains("nobody is on call in layer primary"),
        "{}",
        v[0].message
    );
    // A layer marked optional is not checked for gaps.
    let optional = removed.replace(
        "name = \"primary\"\n[[layers.rotations]]",
        "name = \"primary\"\ncoverage_required = false\n[[layers.rotations]]",
    );
    assert!(run(&optional, "").is_empty());
}

#[test]
fn coverage_gap_respects_restriction_windows() {
    let layer = "[[layers]]\nname = \"office\"\n[[layers.rotations]]\ncadence = \"daily\"\nhandoff_time = \"09:00\"\nstart = \"2026-01-05\"\nparticipants = [\"a\", \"b\"]\n[[layers.restrictions]]\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]\nfrom = \"09:00\"\nto = \"17:00\"\n";
    assert!(
        run(layer, "").is_empty(),
        "outside the windows is not a gap"
    );
    // The rotation is 24/7, so every window is covered until a remove cuts one.
    let removed = format!(
        "{layer}[[overrides]]\nlayer = \"office\"\nkind = \"remove\"\nstart = \"2026-06-13T00:00\"\nend = \"2026-06-16T00:00\"\n"
    );
    let v = run(&removed, "");
    // Sat 13 and Sun 14 are outside the windows; only Monday 15 09:00–17:00 counts.
    assert_eq!(v.len(), 1);
    assert_eq!(
        (v[0].interval.start, v[0].interval.end),
        (utc("2026-06-15T08:00:00Z"), utc("2026-06-15T16:00:00Z"))
    );
}

#[test]
fn max_consecutive_shifts() {
    // Two people on 12-hour shifts: each works every day with 12 h of rest.
    let v = run(
        DAY_NIGHT_2,
        "max_consecutive_shifts = 5\nweekend_spread = -1",
    );
    assert_eq!(rules(&v), [Rule::MaxConsecutiveShifts]);
    assert!(
        v[0].message.contains("consecutive shifts"),
        "{}",
        v[0].message
    );
    // Four people: 36 h between shifts, so no shift is consecutive.
    assert!(run(DAY_NIGHT_4, "max_consecutive_shifts = 1").is_empty());
}

#[test]
fn min_rest() {
    let v = run(DAY_NIGHT_2, "min_rest_hours = 13\nweekend_spread = -1");
    assert_eq!(rules(&v), [Rule::MinRest]);
    assert!(
        v[0].message.contains("rests only 12.0 h"),
        "{}",
        v[0].message
    );
    assert!(run(DAY_NIGHT_2, "min_rest_hours = 12\nweekend_spread = -1").is_empty());
}

#[test]
fn max_hours_per_7_days() {
    // a works 12 h of every 24: 84 h in any 7 days.
    let v = run(
        DAY_NIGHT_2,
        "max_hours_per_7_days = 80\nweekend_spread = -1",
    );
    assert_eq!(rules(&v), [Rule::MaxHoursPer7Days]);
    assert!(v.iter().any(|v| v.message.contains("84.0 h")), "{:?}", v);
    assert!(
        run(
            DAY_NIGHT_2,
            "max_hours_per_7_days = 84\nweekend_spread = -1"
        )
        .is_empty()
    );
}

#[test]
fn weekend_spread() {
    // Two people on weekly shifts: over June they alternate (2 and 2 weekends).
    let fair = weekly("primary", "\"a\", \"b\"", "a");
    assert!(run(&fair, "").is_empty());
    // Give a every weekend in June: a has 4, b has 0.
    let mut unfair = fair.clone();
    for (sat, mon) in [("06", "08"), ("13", "15"), ("20", "22"), ("27", "29")] {
        unfair.push_str(&format!(
            "[[overrides]]\nlayer = \"primary\"\nstart = \"2026-06-{sat}T00:00\"\nend = \"2026-06-{mon}T00:00\"\nperson = \"a\"\n"
        ));
    }
    let v = run(&unfair, "");
    assert_eq!(rules(&v), [Rule::WeekendSpread]);
    assert!(
        v[0].message.contains("a is on call 4 weekends"),
        "{}",
        v[0].message
    );
    assert!(run(&unfair, "weekend_spread = 4").is_empty());
}

#[test]
fn critical_window_needs_enough_people() {
    let two = format!(
        "{}{}",
        weekly("primary", "\"a\", \"b\"", "a"),
        weekly("secondary", "\"c\", \"d\"", "c")
    );
    let critical = "[[checks.critical]]\nname = \"release\"\ndays = [\"tuesday\"]\nfrom = \"10:00\"\nto = \"12:00\"\nmin_people = 2\n";
    assert!(run(&two, critical).is_empty());
    let one = weekly("primary", "\"a\", \"b\"", "a");
    let v = run(&one, critical);
    assert_eq!(rules(&v), [Rule::CriticalCoverage]);
    assert_eq!(v.len(), 5, "five Tuesdays in June 2026: {v:?}");
    assert_eq!(
        (v[0].interval.start, v[0].interval.end),
        (utc("2026-06-02T09:00:00Z"), utc("2026-06-02T11:00:00Z"))
    );
    // A one-off window outside the check window is not counted.
    let once = "[[checks.critical]]\nname = \"launch\"\nstart = \"2026-08-01T00:00\"\nend = \"2026-08-02T00:00\"\nmin_people = 3\n";
    assert!(run(&one, once).is_empty());
}

#[test]
fn two_layers_at_once() {
    // Same people in the same order: everyone holds both layers at once.
    let same = format!(
        "{}{}",
        weekly("primary", "\"a\", \"b\"", "a"),
        weekly("secondary", "\"a\", \"b\"", "a")
    );
    let v = run(&same, "");
    assert_eq!(rules(&v), [Rule::DoubleDuty]);
    assert!(
        v[0].message
            .contains("on call in both primary and secondary"),
        "{}",
        v[0].message
    );
    assert!(run(&same, "two_layers_at_once = true").is_empty());
    let offset = format!(
        "{}{}",
        weekly("primary", "\"a\", \"b\"", "a"),
        weekly("secondary", "\"a\", \"b\"", "b")
    );
    assert!(run(&offset, "").is_empty());
}

#[test]
fn layers_of_one_role_are_not_double_duty() {
    let stack = format!(
        "{}{}",
        weekly("night", "\"a\", \"b\"", "a")
            .replace("name = \"night\"", "name = \"night\"\nrole = \"support\""),
        weekly("day", "\"a\", \"b\"", "a")
            .replace("name = \"day\"", "name = \"day\"\nrole = \"support\"")
    );
    assert!(run(&stack, "").is_empty());
}
