//! Hostile rota documents: generated files with huge counts, lengths and
//! numbers must get a bounded answer (a result or a clear error, never a
//! panic) in bounded time and memory. Each case runs the real `vigil` binary
//! under an address-space limit of 1 GiB and a 20 s timeout, so a blow-up
//! fails the test instead of the machine.

use proptest::prelude::*;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `vigil ARGS` with at most 1 GiB of address space; returns its exit
/// code (None if killed) and standard error.
fn bounded(args: &[&str]) -> (Option<i32>, String, Duration) {
    let script = format!(
        "ulimit -v 1048576; exec timeout 20 \"{}\" \"$@\"",
        env!("CARGO_BIN_EXE_vigil")
    );
    let start = Instant::now();
    let out = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .arg("vigil")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("sh runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        start.elapsed(),
    )
}

#[derive(Debug, Clone)]
struct Doc {
    layers: usize,
    participants: usize,
    cadence: &'static str,
    every: u64,
    name_len: usize,
    start_year: u32,
    overrides: usize,
    restrictions: usize,
    hours_limit: f64,
}

fn doc() -> impl Strategy<Value = Doc> {
    (
        (
            1usize..60,
            1usize..400,
            prop::sample::select(vec![
                "daily",
                "weekly",
                "every_hours",
                "every_days",
                "day_night",
            ]),
        ),
        prop_oneof![
            Just(0u64),
            Just(1),
            2u64..100,
            Just(8784),
            Just(96_000_000),
            Just(u32::MAX as u64)
        ],
        prop_oneof![1usize..30, Just(65), Just(20_000)],
        prop_oneof![Just(2026u32), Just(1), Just(9999), 1900u32..2300],
        (0usize..12_000, 0usize..80),
        prop_oneof![Just(40.0f64), Just(1e20), Just(-1.0)],
    )
        .prop_map(
            |(
                (layers, participants, cadence),
                every,
                name_len,
                start_year,
                (overrides, restrictions),
                hours_limit,
            )| Doc {
                layers,
                participants,
                cadence,
                every,
                name_len,
                start_year,
                overrides,
                restrictions,
                hours_limit,
            },
        )
}

fn render(d: &Doc) -> String {
    let mut t = String::from("[team]\nname = \"t\"\ntimezone = \"America/New_York\"\n");
    for i in 0..d.participants {
        t.push_str(&format!("[[people]]\nid = \"p{i}\"\n"));
    }
    t.push_str(&format!(
        "[checks]\nmax_hours_per_7_days = {:?}\n",
        d.hours_limit
    ));
    let long = "x".repeat(d.name_len);
    for l in 0..d.layers {
        t.push_str(&format!("[[layers]]\nname = \"{long}{l}\"\n"));
        t.push_str("[[layers.rotations]]\n");
        t.push_str(&format!(
            "cadence = \"{}\"\nstart = \"{:04}-01-05\"\nhandoff_time = \"09:00\"\nhandoff_day = \"monday\"\nhandoff_times = [\"09:00\", \"21:00\"]\nevery = {}\n",
            d.cadence, d.start_year, d.every
        ));
        let ps: Vec<String> = (0..d.participants).map(|i| format!("\"p{i}\"")).collect();
        t.push_str(&format!("participants = [{}]\n", ps.join(", ")));
        for r in 0..d.restrictions {
            t.push_str(&format!(
                "[[layers.restrictions]]\nfrom = \"{:02}:00\"\nto = \"{:02}:30\"\n",
                r % 24,
                (r + 3) % 24
            ));
        }
    }
    for o in 0..d.overrides {
        t.push_str(&format!(
            "[[overrides]]\nlayer = \"{long}0\"\nkind = \"add\"\nperson = \"p0\"\nstart = \"2026-02-{:02}T10:00:00Z\"\nend = \"2026-02-{:02}T11:00:00Z\"\n",
            o % 28 + 1,
            o % 28 + 1
        ));
    }
    t
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn hostile_rota_files_get_a_bounded_answer(d in doc()) {
        let dir = std::env::temp_dir().join(format!("vigil-hostile-{}-{:x}", std::process::id(), rand::random::<u64>()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("hostile.toml");
        std::fs::File::create(&path)
            .and_then(|mut f| f.write_all(render(&d).as_bytes()))
            .expect("write");
        let p = path.to_str().expect("utf-8");
        for args in [
            vec!["rota", "check", p, "--from", "2026-01-01", "--to", "2028-03-01"],
            vec!["rota", "preview", p, "--from", "2026-01-01", "--to", "2028-03-01", "--format", "ics"],
            vec!["rota", "who", p, "--at", "2027-06-01T12:00:00Z"],
        ] {
            let (code, stderr, took) = bounded(&args);
            prop_assert!(matches!(code, Some(0..=2)), "{args:?} ended with {code:?} after {took:?}: {stderr}");
            prop_assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// The inputs found by hand before the limits: each is refused with the
/// field named, or answered, well within bounds.
#[test]
fn known_hostile_inputs_are_refused_by_name() {
    let dir = std::env::temp_dir().join(format!("vigil-hostile-known-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write");
        p.to_str().expect("utf-8").to_string()
    };
    let head = "[team]\nname = \"t\"\ntimezone = \"UTC\"\n[[people]]\nid = \"a\"\n[[layers]]\nname = \"l\"\n[[layers.rotations]]\nstart = \"2026-01-05\"\nhandoff_time = \"09:00\"\nparticipants = [\"a\"]\n";
    let every_hours = write(
        "h.toml",
        &format!("{head}cadence = \"every_hours\"\nevery = 4294967295\n"),
    );
    let (code, err, _) = bounded(&["rota", "check", &every_hours]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("layers[0].rotations[0].every"), "{err}");
    let every_days = write(
        "d.toml",
        &format!("{head}cadence = \"every_days\"\nevery = 96000000\n"),
    );
    let (code, err, _) = bounded(&["rota", "who", &every_days]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("every is 1 to 366 days"), "{err}");
    let one = write(
        "one.toml",
        &format!("{head}cadence = \"every_hours\"\nevery = 1\n"),
    );
    let (_, err, _) = bounded(&["rota", "check", &one]);
    assert!(
        err.contains("layers[0].rotations[0].every"),
        "every = 1 names every: {err}"
    );
    let zero = write(
        "zero.toml",
        &format!("{head}cadence = \"daily\"\n[fairness]\nholidays_ics = \"/dev/zero\"\n"),
    );
    let (code, err, took) = bounded(&["rota", "check", &zero]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("not a regular file"), "{err}");
    assert!(took < Duration::from_secs(5));
    let daily = write("daily.toml", &format!("{head}cadence = \"daily\"\n"));
    let (code, err, _) = bounded(&["rota", "preview", &daily, "--to", "9999-12-31"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("at most 800 days"), "{err}");
    let long_head = head.replace(
        "name = \"l\"",
        &format!("name = \"{}\"", "n".repeat(200_000)),
    );
    let long = write("long.toml", &format!("{long_head}cadence = \"daily\"\n"));
    let (code, err, _) = bounded(&["rota", "check", &long]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("layers[0].name: at most 64 characters"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A file whose mistakes multiply (every override contradicts every other)
/// gets the first 200 listed and a count of the rest, at once.
#[test]
fn a_file_with_thousands_of_mistakes_lists_200_and_counts_the_rest() {
    let dir = std::env::temp_dir().join(format!("vigil-hostile-many-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let mut text = String::from(
        "[team]\nname = \"t\"\ntimezone = \"UTC\"\n[[people]]\nid = \"a\"\n[[people]]\nid = \"b\"\n[[layers]]\nname = \"l\"\n[[layers.rotations]]\ncadence = \"daily\"\nstart = \"2026-01-05\"\nhandoff_time = \"09:00\"\nparticipants = [\"a\", \"b\"]\n",
    );
    for i in 0..300 {
        let who = if i % 2 == 0 { "a" } else { "b" };
        text.push_str(&format!(
            "[[overrides]]\nlayer = \"l\"\nstart = \"2026-02-01T00:00\"\nend = \"2026-02-02T00:00\"\nperson = \"{who}\"\n"
        ));
    }
    let path = dir.join("many.toml");
    std::fs::write(&path, text).expect("write");
    let (code, err, took) = bounded(&["rota", "check", path.to_str().expect("utf-8")]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(err.lines().count(), 201, "{took:?}");
    assert!(
        err.contains("more mistakes not listed (the first 200 are)"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
