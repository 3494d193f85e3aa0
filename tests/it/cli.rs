//! The `vigil` binary as a user runs it: exit codes, outputs, messages.

use std::process::Command;

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn vigil(args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .output()
        .expect("vigil runs");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn example(name: &str) -> String {
    format!("{}/schedules/{name}.toml", env!("CARGO_MANIFEST_DIR"))
}

fn temp_rota(name: &str, text: &str) -> (tempdir::Dir, String) {
    let dir = tempdir::Dir::new(name);
    let path = dir.path.join(format!("{name}.toml"));
    std::fs::write(&path, text).expect("write temp rota");
    let p = path.to_str().expect("utf-8").to_string();
    (dir, p)
}

/// A scratch directory removed on drop (std only; no crate needed for this).
mod tempdir {
    pub struct Dir {
        pub path: std::path::PathBuf,
    }
    impl Dir {
        pub fn new(name: &str) -> Self {
            let path =
                std::env::temp_dir().join(format!("vigil-test-{}-{name}", std::process::id()));
            std::fs::create_dir_all(&path).expect("temp dir");
            Dir { path }
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

#[test]
fn who_names_the_person_on_call_per_layer_and_role() {
    let out = vigil(&[
        "rota",
        "who",
        &example("support-business-hours"),
        "--at",
        "2026-12-01T10:00:00Z",
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(v["at"], "2026-12-01T10:00:00Z");
    assert_eq!(v["layers"][0]["on_call"][0]["person"], "rosa");
    assert_eq!(
        v["layers"][0]["on_call"][0]["since"],
        "2026-11-30T09:00:00Z"
    );
    assert_eq!(v["layers"][1]["on_call"][0]["person"], "olivia");
    assert_eq!(v["roles"][0]["role"], "support");
    assert_eq!(v["roles"][0]["on_call"][0]["person"], "olivia");
    // At night the business-hours layer is empty and the 24/7 person counts.
    let night = vigil(&[
        "rota",
        "who",
        &example("support-business-hours"),
        "--at",
        "2026-12-01T22:00:00Z",
    ]);
    assert!(
        night
            .stdout
            .contains("role support: rosa (via around-the-clock)"),
        "{}",
        night.stdout
    );
    assert!(
        night.stdout.contains("business-hours    (nobody)"),
        "{}",
        night.stdout
    );
}

#[test]
fn preview_json_is_the_documented_contract() {
    let out = vigil(&[
        "rota",
        "preview",
        &example("sre-day-night"),
        "--from",
        "2026-03-07T14:00:00Z",
        "--to",
        "2026-03-08T14:00:00Z",
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let first = &v["shifts"][0];
    let keys: Vec<&str> = first
        .as_object()
        .expect("object")
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(keys, ["end", "layer", "person", "source", "start"]);
    let spans: Vec<(String, String)> = v["shifts"]
        .as_array()
        .expect("array")
        .iter()
        .map(|s| {
            (
                s["start"].as_str().unwrap_or("").into(),
                s["end"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(
        spans,
        [
            ("2026-03-07T14:00:00Z".into(), "2026-03-08T02:00:00Z".into()),
            ("2026-03-08T02:00:00Z".into(), "2026-03-08T13:00:00Z".into()),
            ("2026-03-08T13:00:00Z".into(), "2026-03-09T01:00:00Z".into()),
        ]
    );
}

#[test]
fn preview_ics_and_table() {
    let ics = vigil(&[
        "rota",
        "preview",
        &example("payments-weekly"),
        "--from",
        "2026-12-21",
        "--to",
        "2027-01-04",
        "--format",
        "ics",
    ]);
    assert_eq!(ics.code, 0);
    assert!(ics.stdout.starts_with("BEGIN:VCALENDAR\r\n"));
    assert_eq!(ics.stdout.matches("BEGIN:VEVENT").count(), 7);
    let table = vigil(&[
        "rota",
        "preview",
        &example("payments-weekly"),
        "--from",
        "2026-12-21",
        "--to",
        "2027-01-04",
    ]);
    assert!(
        table.stdout.contains(
            "primary    bob     Thu 2026-12-24 17:00 EST  Mon 2026-12-28 09:00 EST  88.0   override"
        ),
        "{}",
        table.stdout
    );
}

#[test]
fn check_exits_1_with_violations_and_2_on_unreadable_files() {
    let text = std::fs::read_to_string(example("sre-day-night")).expect("example");
    let strict = text.replace("min_rest_hours = 24", "min_rest_hours = 60");
    let (_d, path) = temp_rota("strict", &strict);
    let out = vigil(&[
        "rota",
        "check",
        &path,
        "--from",
        "2026-06-01",
        "--to",
        "2026-06-08",
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let first = &v["files"][0]["violations"][0];
    assert_eq!(first["rule"], "min_rest");
    assert!(first["person"].is_string());
    assert!(
        first["message"]
            .as_str()
            .unwrap_or("")
            .contains("rests only 48.0 h"),
        "{first}"
    );

    let missing = vigil(&["rota", "check", "/nonexistent/rota.toml"]);
    assert_eq!(missing.code, 2);
    let (_e, broken) = temp_rota(
        "broken",
        "[team]\nname = \"x\"\ntimezone = \"Mars/Olympus\"\n[[layers]]\n",
    );
    let bad = vigil(&["rota", "check", &broken]);
    assert_eq!(bad.code, 2, "{}", bad.stdout);
}

#[test]
fn fairness_reports_hours_per_person() {
    let out = vigil(&[
        "rota",
        "fairness",
        &example("payments-weekly"),
        "--from",
        "2026-12-21",
        "--to",
        "2027-01-04",
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let row = |id: &str| {
        v["people"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["person"] == id)
            .cloned()
            .expect("row")
    };
    // carol: primary Mon 21 Dec 09:00 → Thu 24 Dec 17:00 EST (80 h), then bob.
    assert_eq!(row("carol")["total_hours"], 80.0);
    // bob covers Christmas Day (24 h of holiday from the ICS file) and holds
    // secondary over New Year's Day (holiday from the same file): 48 h.
    assert_eq!(row("bob")["holiday_hours"], 48.0);
    // dana leads and is on no rotation.
    assert_eq!(row("dana")["total_hours"], 0.0);
    let table = vigil(&[
        "rota",
        "fairness",
        &example("payments-weekly"),
        "--from",
        "2026-12-21",
        "--to",
        "2027-01-04",
    ]);
    assert!(
        table.stdout.starts_with("PERSON  SHIFTS  HOURS"),
        "{}",
        table.stdout
    );
}

#[test]
fn bad_arguments_get_clear_errors() {
    let out = vigil(&[
        "rota",
        "preview",
        &example("sre-day-night"),
        "--from",
        "next tuesday",
    ]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("--from: \"next tuesday\" is not a date"),
        "{}",
        out.stderr
    );
    let inverted = vigil(&[
        "rota",
        "preview",
        &example("sre-day-night"),
        "--from",
        "2026-03-09",
        "--to",
        "2026-03-08",
    ]);
    assert_eq!(inverted.code, 2);
    assert!(inverted.stderr.contains("--to must be after --from"));
    let gap = vigil(&[
        "rota",
        "who",
        &example("sre-day-night"),
        "--at",
        "2026-03-08T02:30",
    ]);
    assert_eq!(gap.code, 2);
    assert!(
        gap.stderr.contains("does not exist in America/New_York"),
        "{}",
        gap.stderr
    );
}

/// `rota check` validates the services of rota files too: a ladder target
/// that names no rota, layer or person of the files is a file error (exit
/// 2), and `schedules apply` refuses the directory before writing anything.
#[test]
fn rota_check_and_schedules_apply_refuse_ladders_that_name_nothing() {
    let text = std::fs::read_to_string(example("payments-weekly")).expect("example");
    let broken = text.replace(
        "targets = [\"oncall:payments-weekly/secondary\"]",
        "targets = [\"oncall:payments-weekly/tertiary\"]",
    );
    assert_ne!(text, broken, "the example pages its secondary layer");
    let (dir, path) = temp_rota("payments-weekly", &broken);
    let holidays = dir.path.join("holidays");
    std::fs::create_dir_all(&holidays).expect("dir");
    for f in std::fs::read_dir(format!("{}/schedules/holidays", env!("CARGO_MANIFEST_DIR")))
        .expect("dir")
    {
        let f = f.expect("entry").path();
        std::fs::copy(&f, holidays.join(f.file_name().expect("name"))).expect("copy");
    }
    let out = vigil(&["rota", "check", &path]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(
        all.contains("service checkout: ladder.stages[1].targets[0]: rota payments-weekly has no layer or role named tertiary"),
        "{all}"
    );
    let db = format!("sqlite://{}/v.db", dir.path.display());
    let apply = vigil(&[
        "schedules",
        "apply",
        dir.path.to_str().expect("utf-8"),
        "--database-url",
        &db,
    ]);
    assert_eq!(apply.code, 2, "{}{}", apply.stdout, apply.stderr);
    assert!(
        apply.stderr.contains("ladder.stages[1].targets[0]"),
        "{}",
        apply.stderr
    );
}

/// Every mistake of a file at once, with its line: here three unknown
/// fields in three tables (serde alone named only one).
#[test]
fn every_unknown_field_is_reported_at_once() {
    let text = "[team]\nname = \"t\"\ntimezone = \"UTC\"\ncolour = \"red\"\n[[people]]\nid = \"a\"\nnickname = \"A\"\n[[layers]]\nname = \"l\"\n[[layers.rotations]]\ncadence = \"daily\"\nstart = \"2026-01-05\"\nhandoff_time = \"09:00\"\nparticipants = [\"a\"]\nevry = 2\n";
    let (_d, path) = temp_rota("mistakes", text);
    let out = vigil(&["rota", "check", &path]);
    assert_eq!(out.code, 2);
    for (line, field) in [
        (4, "team.colour"),
        (7, "people[0].nickname"),
        (15, "layers[0].rotations[0].evry"),
    ] {
        assert!(
            out.stderr
                .contains(&format!("mistakes.toml:{line}:1: {field}: unknown field")),
            "{field} on line {line}: {}",
            out.stderr
        );
    }
}

/// A team can live entirely in its files: people's phone, email and Slack
/// id are applied from the file and written back by export.
#[test]
fn contact_details_live_in_rota_files() {
    let dir = tempdir::Dir::new("contacts");
    let text = std::fs::read_to_string(example("sre-day-night")).expect("example");
    let with = text.replacen(
        "[[people]]\nid = \"erin\"",
        "[[people]]\nid = \"erin\"\nphone = \"+15550100004\"\nemail = \"erin@example.com\"\nchat = \"UERIN\"",
        1,
    );
    assert_ne!(with, text, "the example lists erin first");
    std::fs::write(dir.path.join("sre-day-night.toml"), &with).expect("write");
    let db = format!("sqlite://{}/v.db", dir.path.display());
    let apply = vigil(&[
        "schedules",
        "apply",
        dir.path.to_str().expect("utf-8"),
        "--database-url",
        &db,
    ]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    let out = dir.path.join("export");
    let export = vigil(&[
        "schedules",
        "export",
        out.to_str().expect("utf-8"),
        "--database-url",
        &db,
    ]);
    assert_eq!(export.code, 0, "{}", export.stderr);
    let written = std::fs::read_to_string(out.join("sre-day-night.toml")).expect("exported");
    for want in [
        "phone = \"+15550100004\"",
        "email = \"erin@example.com\"",
        "chat = \"UERIN\"",
    ] {
        assert!(written.contains(want), "{want} in:\n{written}");
    }
    let bad = with.replace("+15550100004", "0800 123");
    std::fs::write(dir.path.join("sre-day-night.toml"), bad).expect("write");
    let check = vigil(&[
        "rota",
        "check",
        dir.path.join("sre-day-night.toml").to_str().expect("utf-8"),
    ]);
    assert_eq!(check.code, 2);
    assert!(check.stderr.contains("people[0].phone"), "{}", check.stderr);
}
