//! Handoffs at fixed instants across DST transitions. Every expected instant
//! was worked out by hand from the zone's offsets, checked against `zdump -v`
//! of the system tzdata (independent of chrono-tz):
//!   America/New_York  2026-03-08 07:00Z EST→EDT; 2026-11-01 06:00Z EDT→EST
//!   Europe/London     2026-03-29 01:00Z GMT→BST; 2026-10-25 01:00Z BST→GMT
//!   Australia/Lord_Howe 2026-04-05: 02:00 +11 → 01:30 +10:30 (15:00Z);
//!                       2026-10-04: 02:00 +10:30 → 02:30 +11 (15:30Z)
//!   Europe/Berlin 2026-03-29 01:00Z; America/Los_Angeles 2026-03-08 10:00Z

use crate::helpers::{expect, one_layer, utc, window};
use vigil::rota::on_call_at;

const DAY_NIGHT: &str = r#"cadence = "day_night"
handoff_times = ["09:00", "21:00"]
start = "2026-03-01"
participants = ["a", "b"]"#;

#[test]
fn twelve_hour_new_york_spring_forward() {
    let r = one_layer("America/New_York", DAY_NIGHT);
    // The night shift of 2026-03-07 runs 21:00 EST → 09:00 EDT: 11 hours.
    assert_eq!(
        window(&r, "2026-03-07T14:00:00Z", "2026-03-09T01:00:00Z"),
        expect(&[
            ("a", "2026-03-07T14:00:00Z", "2026-03-08T02:00:00Z"),
            ("b", "2026-03-08T02:00:00Z", "2026-03-08T13:00:00Z"),
            ("a", "2026-03-08T13:00:00Z", "2026-03-09T01:00:00Z"),
        ])
    );
}

#[test]
fn twelve_hour_new_york_fall_back() {
    let r = one_layer("America/New_York", DAY_NIGHT);
    // The night shift of 2026-10-31 runs 21:00 EDT → 09:00 EST: 13 hours.
    assert_eq!(
        window(&r, "2026-10-31T13:00:00Z", "2026-11-02T02:00:00Z"),
        expect(&[
            ("a", "2026-10-31T13:00:00Z", "2026-11-01T01:00:00Z"),
            ("b", "2026-11-01T01:00:00Z", "2026-11-01T14:00:00Z"),
            ("a", "2026-11-01T14:00:00Z", "2026-11-02T02:00:00Z"),
        ])
    );
}

#[test]
fn twelve_hour_fixed_length_drifts_an_hour() {
    let r = one_layer(
        "America/New_York",
        &format!("{DAY_NIGHT}\ndst = \"fixed-length\""),
    );
    // Every shift is 12 h; after the change the handoffs are 10:00/22:00 EDT.
    assert_eq!(
        window(&r, "2026-03-08T02:00:00Z", "2026-03-08T14:00:00Z"),
        expect(&[("b", "2026-03-08T02:00:00Z", "2026-03-08T14:00:00Z"),])
    );
    assert_eq!(
        window(&r, "2026-03-08T14:00:00Z", "2026-03-09T02:00:00Z"),
        expect(&[("a", "2026-03-08T14:00:00Z", "2026-03-09T02:00:00Z")])
    );
}

const WEEKLY_LONDON: &str = r#"cadence = "weekly"
handoff_day = "monday"
handoff_time = "09:00"
start = "2026-03-16"
participants = ["a", "b", "c"]"#;

#[test]
fn weekly_london_into_summer_time() {
    let r = one_layer("Europe/London", WEEKLY_LONDON);
    // Mon 23 Mar 09:00 GMT → Mon 30 Mar 09:00 BST: 167 hours.
    assert_eq!(
        window(&r, "2026-03-24T00:00:00Z", "2026-03-31T00:00:00Z"),
        expect(&[
            ("b", "2026-03-23T09:00:00Z", "2026-03-30T08:00:00Z"),
            ("c", "2026-03-30T08:00:00Z", "2026-04-06T08:00:00Z"),
        ])
    );
}

#[test]
fn weekly_london_out_of_summer_time() {
    let r = one_layer("Europe/London", WEEKLY_LONDON);
    // Mon 19 Oct 09:00 BST → Mon 26 Oct 09:00 GMT: 169 hours. 2026-10-19 is
    // 31 weeks after 2026-03-16, so shift 31 → participant 31 mod 3 = 1 (b).
    assert_eq!(
        window(&r, "2026-10-20T00:00:00Z", "2026-10-27T00:00:00Z"),
        expect(&[
            ("b", "2026-10-19T08:00:00Z", "2026-10-26T09:00:00Z"),
            ("c", "2026-10-26T09:00:00Z", "2026-11-02T09:00:00Z"),
        ])
    );
}

#[test]
fn daily_handoff_in_the_skipped_hour_moves_forward_by_the_gap() {
    let r = one_layer(
        "America/New_York",
        "cadence = \"daily\"\nhandoff_time = \"02:30\"\nstart = \"2026-03-06\"\nparticipants = [\"a\", \"b\", \"c\"]",
    );
    // 02:30 on 8 March does not exist; the handoff is 03:30 EDT = 07:30Z,
    // the same UTC instant as 02:30 EST the day before: a 24 h, then 23 h day.
    assert_eq!(
        window(&r, "2026-03-07T08:00:00Z", "2026-03-09T07:00:00Z"),
        expect(&[
            ("b", "2026-03-07T07:30:00Z", "2026-03-08T07:30:00Z"),
            ("c", "2026-03-08T07:30:00Z", "2026-03-09T06:30:00Z"),
            ("a", "2026-03-09T06:30:00Z", "2026-03-10T06:30:00Z"),
        ])
    );
}

#[test]
fn daily_handoff_in_the_repeated_hour_takes_the_first() {
    let r = one_layer(
        "America/New_York",
        "cadence = \"daily\"\nhandoff_time = \"01:30\"\nstart = \"2026-10-30\"\nparticipants = [\"a\", \"b\", \"c\"]",
    );
    // 01:30 on 1 November happens twice; the handoff is the first (EDT, 05:30Z).
    assert_eq!(
        window(&r, "2026-10-31T06:00:00Z", "2026-11-02T06:00:00Z"),
        expect(&[
            ("b", "2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z"),
            ("c", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"),
        ])
    );
}

const LORD_HOWE: &str = r#"cadence = "day_night"
handoff_times = ["09:00", "21:00"]
start = "2026-04-01"
participants = ["a", "b"]"#;

#[test]
fn lord_howe_half_hour_fall_back() {
    let r = one_layer("Australia/Lord_Howe", LORD_HOWE);
    // 4 Apr 09:00 +11 = 3 Apr 22:00Z; 21:00 +11 = 10:00Z; 5 Apr 09:00 +10:30
    // = 4 Apr 22:30Z (a 12.5 h night); 21:00 +10:30 = 5 Apr 10:30Z.
    // Shift index from 1 Apr 09:00: 4 Apr 09:00 is shift 6 (a).
    assert_eq!(
        window(&r, "2026-04-03T22:00:00Z", "2026-04-05T10:30:00Z"),
        expect(&[
            ("a", "2026-04-03T22:00:00Z", "2026-04-04T10:00:00Z"),
            ("b", "2026-04-04T10:00:00Z", "2026-04-04T22:30:00Z"),
            ("a", "2026-04-04T22:30:00Z", "2026-04-05T10:30:00Z"),
        ])
    );
}

#[test]
fn lord_howe_half_hour_spring_forward() {
    let r = one_layer("Australia/Lord_Howe", LORD_HOWE);
    // 3 Oct 09:00 +10:30 = 2 Oct 22:30Z; 21:00 = 3 Oct 10:30Z; 4 Oct 09:00 +11
    // = 3 Oct 22:00Z (an 11.5 h night); 21:00 +11 = 4 Oct 10:00Z.
    // 3 Oct 09:00 is day 185 after 1 Apr: shift 370 (a).
    assert_eq!(
        window(&r, "2026-10-02T22:30:00Z", "2026-10-04T10:00:00Z"),
        expect(&[
            ("a", "2026-10-02T22:30:00Z", "2026-10-03T10:30:00Z"),
            ("b", "2026-10-03T10:30:00Z", "2026-10-03T22:00:00Z"),
            ("a", "2026-10-03T22:00:00Z", "2026-10-04T10:00:00Z"),
        ])
    );
}

#[test]
fn lord_howe_handoffs_inside_gap_and_overlap() {
    // 02:15 on 4 Oct is skipped: read at +10:30 it is 3 Oct 15:45Z (02:45 +11).
    // 01:45 on 5 Apr repeats: the first is at +11, 4 Apr 14:45Z.
    let gap = one_layer(
        "Australia/Lord_Howe",
        "cadence = \"daily\"\nhandoff_time = \"02:15\"\nstart = \"2026-10-01\"\nparticipants = [\"a\", \"b\"]",
    );
    assert_eq!(
        window(&gap, "2026-10-03T15:00:00Z", "2026-10-03T16:00:00Z"),
        expect(&[
            ("a", "2026-10-02T15:45:00Z", "2026-10-03T15:45:00Z"),
            ("b", "2026-10-03T15:45:00Z", "2026-10-04T15:15:00Z"),
        ])
    );
    let overlap = one_layer(
        "Australia/Lord_Howe",
        "cadence = \"daily\"\nhandoff_time = \"01:45\"\nstart = \"2026-04-01\"\nparticipants = [\"a\", \"b\"]",
    );
    assert_eq!(
        window(&overlap, "2026-04-04T15:00:00Z", "2026-04-04T16:00:00Z"),
        expect(&[("a", "2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z")])
    );
}

fn follow_the_sun() -> vigil::rota::Rota {
    crate::helpers::rota(
        r#"
[team]
name = "fts"
timezone = "Europe/Berlin"
[[people]]
id = "in1"
[[people]]
id = "in2"
[[people]]
id = "de1"
[[people]]
id = "de2"
[[people]]
id = "us1"
[[people]]
id = "us2"
[[layers]]
name = "primary"
[[layers.rotations]]
cadence = "follow_the_sun"
start = "2026-01-05"
[[layers.rotations.groups]]
name = "Bengaluru"
timezone = "Asia/Kolkata"
handoff_time = "09:00"
participants = ["in1", "in2"]
[[layers.rotations.groups]]
name = "Berlin"
timezone = "Europe/Berlin"
handoff_time = "12:00"
participants = ["de1", "de2"]
[[layers.rotations.groups]]
name = "Los Angeles"
timezone = "America/Los_Angeles"
handoff_time = "11:00"
participants = ["us1", "us2"]
"#,
    )
}

#[test]
fn follow_the_sun_three_zones_through_the_year() {
    let r = follow_the_sun();
    // Winter (day 0, first members): 09:00 IST = 03:30Z, 12:00 CET = 11:00Z,
    // 11:00 PST = 19:00Z.
    assert_eq!(
        window(&r, "2026-01-05T03:30:00Z", "2026-01-06T03:30:00Z"),
        expect(&[
            ("in1", "2026-01-05T03:30:00Z", "2026-01-05T11:00:00Z"),
            ("de1", "2026-01-05T11:00:00Z", "2026-01-05T19:00:00Z"),
            ("us1", "2026-01-05T19:00:00Z", "2026-01-06T03:30:00Z"),
        ])
    );
    // 10 March: Los Angeles is on PDT (11:00 = 18:00Z), Berlin still on CET.
    // Day 64 → turn 64/7 = 9 → second members.
    assert_eq!(
        window(&r, "2026-03-10T03:30:00Z", "2026-03-11T03:30:00Z"),
        expect(&[
            ("in2", "2026-03-10T03:30:00Z", "2026-03-10T11:00:00Z"),
            ("de2", "2026-03-10T11:00:00Z", "2026-03-10T18:00:00Z"),
            ("us2", "2026-03-10T18:00:00Z", "2026-03-11T03:30:00Z"),
        ])
    );
    // 1 April: both on summer time (12:00 CEST = 10:00Z). Day 86 → turn 12.
    assert_eq!(
        window(&r, "2026-04-01T03:30:00Z", "2026-04-02T03:30:00Z"),
        expect(&[
            ("in1", "2026-04-01T03:30:00Z", "2026-04-01T10:00:00Z"),
            ("de1", "2026-04-01T10:00:00Z", "2026-04-01T18:00:00Z"),
            ("us1", "2026-04-01T18:00:00Z", "2026-04-02T03:30:00Z"),
        ])
    );
    let who = |t: &str| -> Vec<String> {
        on_call_at(&r, utc(t))
            .iter()
            .map(|o| r.people[o.person].id.clone())
            .collect()
    };
    assert_eq!(who("2026-03-10T17:59:59Z"), ["de2"]);
    assert_eq!(who("2026-03-10T18:00:00Z"), ["us2"]);
    assert_eq!(who("2026-01-05T03:29:59Z"), Vec::<String>::new()); // before the first handoff
}

/// British Columbia stays on UTC−7 from 2026-11-01 (tzdata 2026a and
/// later). A daily 09:00 Vancouver rota hands off at 16:00Z on 2026-11-02;
/// chrono-tz's baked-in 2025b said 17:00Z. Checked against the tz database
/// Vigil reads (the system's; `.ci/run` installs a current tzdata) and
/// against the bundled copy used where none is installed.
#[test]
fn vancouver_follows_the_current_tz_database() {
    const DAILY: &str = r#"cadence = "daily"
handoff_time = "09:00"
start = "2026-10-01"
participants = ["a", "b"]"#;
    let db = vigil::tz::database();
    match db.source.version() {
        Some(v) if v >= "2026a" => {
            let r = one_layer("America/Vancouver", DAILY);
            let shifts = window(&r, "2026-11-02T12:00:00Z", "2026-11-03T12:00:00Z");
            assert_eq!(shifts[1].1, "2026-11-02T16:00:00Z", "{shifts:?}");
        }
        other => eprintln!(
            "skipping the system-database check: tzdata {other:?} predates 2026a ({}); `apt-get install tzdata` upgrades it",
            db.source
        ),
    }
    let bundled = vigil::tz::Database::bundled();
    let zone = bundled.zone("America/Vancouver").expect("zone");
    let local = chrono::NaiveDate::from_ymd_opt(2026, 11, 2)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .expect("literal");
    assert_eq!(
        vigil::rota::civil::resolve(&zone, local),
        utc("2026-11-02T16:00:00Z")
    );
}
