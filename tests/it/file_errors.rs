//! Mistakes in rota files are reported with file, line and field.

use vigil::rota::file::{FileError, parse_rota};

fn errors(text: &str) -> Vec<FileError> {
    let inc = |_: &str| Err("not found".to_string());
    match parse_rota("team.toml", text, &inc) {
        Ok(_) => panic!("expected errors"),
        Err(e) => e.0,
    }
}

const HEAD: &str = "[team]\nname = \"t\"\ntimezone = \"America/New_York\"\n[[people]]\nid = \"a\"\n[[people]]\nid = \"b\"\n";
const LAYER: &str = "[[layers]]\nname = \"primary\"\n[[layers.rotations]]\ncadence = \"weekly\"\nhandoff_day = \"monday\"\nhandoff_time = \"09:00\"\nstart = \"2026-01-05\"\nparticipants = [\"a\", \"b\"]\n";

fn one(text: &str) -> FileError {
    let e = errors(text);
    assert_eq!(e.len(), 1, "{e:?}");
    e.into_iter().next().expect("one")
}

#[test]
fn unknown_person() {
    let e = one(&format!(
        "{HEAD}{}",
        LAYER.replace("[\"a\", \"b\"]", "[\"a\", \"zed\"]")
    ));
    assert_eq!(
        (e.line, e.field.as_str()),
        (15, "layers[0].rotations[0].participants[1]")
    );
    assert!(e.message.contains("unknown person \"zed\""));
    assert!(e.to_string().starts_with("team.toml:15:"), "{e}");
}

#[test]
fn unknown_time_zone() {
    let e = one(&format!(
        "{}{LAYER}",
        HEAD.replace("America/New_York", "America/New_Yrok")
    ));
    assert_eq!((e.line, e.field.as_str()), (3, "team.timezone"));
    assert!(e.message.contains("unknown time zone \"America/New_Yrok\""));
}

#[test]
fn a_time_that_does_not_exist() {
    let o = "[[overrides]]\nlayer = \"primary\"\nstart = \"2026-03-08T02:30\"\nend = \"2026-03-08T06:00\"\nperson = \"b\"\n";
    let e = one(&format!("{HEAD}{LAYER}{o}"));
    assert_eq!((e.line, e.field.as_str()), (18, "overrides[0].start"));
    assert!(
        e.message.contains("does not exist in America/New_York"),
        "{}",
        e.message
    );
    let bad_time = one(&format!(
        "{HEAD}{}",
        LAYER.replace("\"09:00\"", "\"25:00\"")
    ));
    assert_eq!(bad_time.field, "layers[0].rotations[0].handoff_time");
    assert!(bad_time.message.contains("is not a time of day"));
}

#[test]
fn an_override_outside_any_layer() {
    let o = "[[overrides]]\nlayer = \"secondary\"\nstart = \"2026-03-10T09:00\"\nend = \"2026-03-11T09:00\"\nperson = \"b\"\n";
    let e = one(&format!("{HEAD}{LAYER}{o}"));
    assert_eq!((e.line, e.field.as_str()), (17, "overrides[0].layer"));
    assert!(e.message.contains("there is no layer \"secondary\""));
}

#[test]
fn overlapping_overrides_that_contradict() {
    let o = "[[overrides]]\nlayer = \"primary\"\nstart = \"2026-03-10T09:00\"\nend = \"2026-03-12T09:00\"\nperson = \"b\"\n\
             [[overrides]]\nlayer = \"primary\"\nkind = \"remove\"\nstart = \"2026-03-11T09:00\"\nend = \"2026-03-13T09:00\"\n";
    let e = one(&format!("{HEAD}{LAYER}{o}"));
    assert_eq!((e.line, e.field.as_str()), (24, "overrides[1]"));
    assert!(
        e.message.contains("overlaps overrides[0] (line 18)"),
        "{}",
        e.message
    );
    // Two adds of different people may overlap.
    let adds = "[[overrides]]\nlayer = \"primary\"\nkind = \"add\"\nstart = \"2026-03-10T09:00\"\nend = \"2026-03-12T09:00\"\nperson = \"b\"\n\
                [[overrides]]\nlayer = \"primary\"\nkind = \"add\"\nstart = \"2026-03-11T09:00\"\nend = \"2026-03-13T09:00\"\nperson = \"a\"\n";
    let inc = |_: &str| Err("none".to_string());
    assert!(parse_rota("t.toml", &format!("{HEAD}{LAYER}{adds}"), &inc).is_ok());
}

#[test]
fn swaps_must_trade_shifts_people_hold() {
    // From 2026-01-05, 2026-03-09 is week 9 (b's) and 2026-03-16 week 10 (a's).
    let ok = "[[swaps]]\nlayer = \"primary\"\na = { person = \"b\", start = \"2026-03-09T09:00\", end = \"2026-03-16T09:00\" }\nb = { person = \"a\", start = \"2026-03-16T09:00\", end = \"2026-03-23T09:00\" }\n";
    let inc = |_: &str| Err("none".to_string());
    let rota = parse_rota("t.toml", &format!("{HEAD}{LAYER}{ok}"), &inc).expect("valid swap");
    let at = |s: &str| -> String {
        let t = chrono::DateTime::parse_from_rfc3339(s)
            .expect("lit")
            .with_timezone(&chrono::Utc);
        let oc = vigil::rota::on_call_at(&rota, t);
        format!("{}:{}", rota.people[oc[0].person].id, oc[0].source.as_str())
    };
    assert_eq!(at("2026-03-10T12:00:00Z"), "a:swap");
    assert_eq!(at("2026-03-17T12:00:00Z"), "b:swap");
    let wrong = ok
        .replace(
            "person = \"b\", start = \"2026-03-09",
            "person = \"a\", start = \"2026-03-09",
        )
        .replace(
            "{ person = \"a\", start = \"2026-03-16",
            "{ person = \"b\", start = \"2026-03-16",
        );
    let e = errors(&format!("{HEAD}{LAYER}{wrong}"));
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(
        e[0].message.contains("a is not on call in layer primary"),
        "{}",
        e[0].message
    );
}

#[test]
fn unknown_fields_and_syntax_errors_name_the_line() {
    let e = one(&format!(
        "{HEAD}{}",
        LAYER.replace("cadence = \"weekly\"", "cadense = \"weekly\"")
    ));
    assert_eq!(e.field, "layers[0].rotations[0].cadense");
    assert_eq!(e.line, 11);
    let e = one(&format!(
        "{HEAD}{}",
        LAYER.replace("cadence = \"weekly\"", "cadence = \"fortnightly\"")
    ));
    assert_eq!(e.line, 11);
    assert!(
        e.message.contains("unknown variant `fortnightly`"),
        "{}",
        e.message
    );
}

#[test]
fn every_mistake_is_reported_at_once() {
    let text = format!(
        "{}{}",
        HEAD.replace("America/New_York", "Nowhere/Land"),
        LAYER.replace("\"b\"]", "\"zed\"]")
    );
    assert_eq!(errors(&text).len(), 2);
}
