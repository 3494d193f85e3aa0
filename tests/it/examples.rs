//! The example rotas in `schedules/`: each parses, passes `vigil rota check`,
//! has its 14-day preview pinned by a snapshot, and its ICS feed round-trips
//! through an independent parser (the `ical` crate) with every shift intact.

use crate::cli::vigil;
use crate::helpers::{utc, z};
use std::path::PathBuf;
use vigil::rota::{Rota, shifts_between};

fn examples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/schedules"))
        .expect("schedules/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    v.sort();
    assert!(v.len() >= 4, "at least four example rotas");
    v
}

fn load(p: &std::path::Path) -> Rota {
    vigil::cli::load(p).unwrap_or_else(|e| panic!("{e}"))
}

/// A 14-day window per example that shows what it demonstrates.
fn preview_window(name: &str) -> (&'static str, &'static str) {
    match name {
        "payments-weekly" => ("2026-12-21", "2027-01-04"),
        "sre-day-night" => ("2026-03-01", "2026-03-15"),
        "follow-the-sun" => ("2026-03-23", "2026-04-06"),
        "support-business-hours" => ("2026-03-23", "2026-04-06"),
        other => panic!("add a preview window for the new example {other}"),
    }
}

#[test]
fn every_example_passes_check() {
    for p in examples() {
        let path = p.to_str().expect("utf-8 path");
        // From a fixed date once every example has started (before its first
        // handoff a rotation has a gap, which check rightly reports), and from
        // today (the default window).
        let fixed = vigil(&[
            "rota",
            "check",
            path,
            "--from",
            "2026-01-12",
            "--to",
            "2027-06-30",
        ]);
        assert_eq!(fixed.code, 0, "{path}:\n{}{}", fixed.stdout, fixed.stderr);
        let today = vigil(&["rota", "check", path]);
        assert_eq!(today.code, 0, "{path}:\n{}{}", today.stdout, today.stderr);
    }
    let dir = vigil(&[
        "rota",
        "check",
        concat!(env!("CARGO_MANIFEST_DIR"), "/schedules"),
    ]);
    assert_eq!(dir.code, 0, "{}", dir.stdout);
}

#[test]
fn fourteen_day_previews_are_pinned() {
    for p in examples() {
        let name = p
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_string();
        let (from, to) = preview_window(&name);
        let out = vigil(&[
            "rota",
            "preview",
            p.to_str().expect("utf-8"),
            "--from",
            from,
            "--to",
            to,
            "--format",
            "json",
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        insta::assert_snapshot!(format!("preview-{name}"), out.stdout);
    }
}

#[test]
fn ics_round_trips_through_a_parser() {
    for p in examples() {
        let rota = load(&p);
        let (from, to) = (utc("2026-01-01T00:00:00Z"), utc("2027-01-01T00:00:00Z"));
        let shifts = shifts_between(&rota, from, to);
        let stamp = utc("2026-11-27T12:00:00Z");
        let text = vigil::ics::render(&rota, &shifts, "feed", stamp);

        for line in text.split("\r\n") {
            assert!(line.len() <= 75, "line over 75 octets: {line:?}");
            assert!(!line.contains('\n'), "bare LF in {line:?}");
        }
        let cals: Vec<_> = ical::IcalParser::new(text.as_bytes())
            .collect::<Result<_, _>>()
            .expect("parses");
        assert_eq!(cals.len(), 1);
        let cal = &cals[0];
        assert_eq!(
            cal.properties.iter().filter(|p| p.name == "PRODID").count(),
            1
        );
        assert_eq!(cal.events.len(), shifts.len(), "{}", p.display());
        for (ev, s) in cal.events.iter().zip(&shifts) {
            let prop = |n: &str| {
                ev.properties
                    .iter()
                    .find(|p| p.name == n)
                    .and_then(|p| p.value.clone())
                    .unwrap_or_default()
            };
            let basic =
                |t| chrono::DateTime::<chrono::Utc>::format(&t, "%Y%m%dT%H%M%SZ").to_string();
            assert_eq!(prop("DTSTART"), basic(s.start));
            assert_eq!(prop("DTEND"), basic(s.end));
            assert_eq!(prop("DTSTAMP"), "20261127T120000Z");
            assert_eq!(prop("UID"), vigil::ics::uid(&rota, s));
            assert_eq!(prop("TRANSP"), "TRANSPARENT");
            let who = &rota.people[s.person].name;
            assert!(
                prop("SUMMARY").contains(who.as_str()),
                "{} lacks {who}",
                prop("SUMMARY")
            );
        }
    }
}

#[test]
fn uids_are_stable_when_regenerated() {
    let rota = load(&examples()[0]);
    let a = shifts_between(
        &rota,
        utc("2026-03-01T00:00:00Z"),
        utc("2026-05-01T00:00:00Z"),
    );
    let b = shifts_between(
        &rota,
        utc("2026-03-20T00:00:00Z"),
        utc("2026-06-01T00:00:00Z"),
    );
    let shared: Vec<_> = a.iter().filter(|s| b.contains(s)).collect();
    assert!(shared.len() >= 5, "windows overlap");
    for s in shared {
        let again = b.iter().find(|t| *t == s).expect("shared");
        assert_eq!(vigil::ics::uid(&rota, s), vigil::ics::uid(&rota, again));
    }
    let uids: std::collections::HashSet<String> =
        a.iter().map(|s| vigil::ics::uid(&rota, s)).collect();
    assert_eq!(uids.len(), a.len(), "UIDs are unique");
    // The text escaping of the writer: commas and semicolons in names.
    let mut odd = rota.clone();
    odd.people[0].name = "Ann, the; \"boss\"".into();
    let text = vigil::ics::render(&odd, &a, "feed", utc("2026-01-01T00:00:00Z"));
    assert!(text.contains("Ann\\, the\\; \"boss\""), "escaped TEXT");
    let _ = z(utc("2026-01-01T00:00:00Z"));
}
