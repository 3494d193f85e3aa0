//! Rota engine benchmarks (issue: "The rota engine"). Targets:
//! - `on_call_at`, 3 layers, 20 people, 500 overrides: median ≤ 1 µs
//! - `shifts_between`, one year of a 12-hour rota (730 shifts): ≤ 200 µs
//! - `check` over a year: ≤ 5 ms
//!
//! Run: `cargo bench --bench rota`; summary: `python3 benches/summarize.py`.

use chrono::{DateTime, Duration, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use std::fmt::Write;
use std::hint::black_box;
use vigil::rota::file::parse_rota;
use vigil::rota::{Rota, checks, on_call_at, shifts_between};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("literal")
        .with_timezone(&Utc)
}

fn parse(text: &str) -> Rota {
    let none = |_: &str| Err("no includes".to_string());
    parse_rota("bench.toml", text, &none).unwrap_or_else(|e| panic!("{e}"))
}

/// 3 layers over 20 people (weekly primary, 12-hour secondary, business-hours
/// daily layer) with 500 overrides spread over 2027, New York time.
fn big_rota() -> Rota {
    let mut s = String::from("[team]\nname = \"bench\"\ntimezone = \"America/New_York\"\n");
    for i in 0..20 {
        let _ = writeln!(s, "[[people]]\nid = \"p{i}\"");
    }
    let ps = |range: std::ops::Range<usize>| {
        range
            .map(|i| format!("\"p{i}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = write!(
        s,
        "[[layers]]\nname = \"primary\"\n[[layers.rotations]]\ncadence = \"weekly\"\nhandoff_day = \"monday\"\nhandoff_time = \"09:00\"\nstart = \"2026-01-05\"\nparticipants = [{}]\n\
         [[layers]]\nname = \"secondary\"\n[[layers.rotations]]\ncadence = \"day_night\"\nhandoff_times = [\"09:00\", \"21:00\"]\nstart = \"2026-01-05\"\nparticipants = [{}]\n\
         [[layers]]\nname = \"office\"\n[[layers.rotations]]\ncadence = \"daily\"\nhandoff_time = \"08:00\"\nstart = \"2026-01-05\"\nparticipants = [{}]\n\
         [[layers.restrictions]]\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]\nfrom = \"08:00\"\nto = \"18:00\"\n",
        ps(0..8),
        ps(8..16),
        ps(16..20)
    );
    // 500 overrides: per layer, back-to-back non-overlapping intervals of
    // 10–30 h through the year.
    let start = t("2027-01-01T00:00:00Z");
    for i in 0..500 {
        let layer = ["primary", "secondary", "office"][i % 3];
        let slot = (i / 3) as i64;
        let from = start + Duration::hours(slot * 52 + (i % 3) as i64);
        let to = from + Duration::hours(10 + (i % 21) as i64);
        let _ = write!(
            s,
            "[[overrides]]\nlayer = \"{layer}\"\nstart = \"{}\"\nend = \"{}\"\nperson = \"p{}\"\n",
            from.to_rfc3339(),
            to.to_rfc3339(),
            (i * 7) % 20
        );
    }
    s.push_str("[checks]\nmax_consecutive_shifts = 7\nmin_rest_hours = 8\nmax_hours_per_7_days = 120\ntwo_layers_at_once = false\n[[checks.critical]]\nname = \"release\"\ndays = [\"tuesday\"]\nfrom = \"10:00\"\nto = \"12:00\"\nmin_people = 2\n");
    parse(&s)
}

fn twelve_hour_rota() -> Rota {
    parse(
        "[team]\nname = \"sre\"\ntimezone = \"America/New_York\"\n[[people]]\nid = \"a\"\n[[people]]\nid = \"b\"\n[[people]]\nid = \"c\"\n[[people]]\nid = \"d\"\n[[people]]\nid = \"e\"\n\
         [[layers]]\nname = \"on-call\"\n[[layers.rotations]]\ncadence = \"day_night\"\nhandoff_times = [\"09:00\", \"21:00\"]\nstart = \"2026-01-05\"\nparticipants = [\"a\", \"b\", \"c\", \"d\", \"e\"]\n\
         [checks]\nmin_rest_hours = 24\nmax_consecutive_shifts = 3\nmax_hours_per_7_days = 48\n",
    )
}

fn benches(c: &mut Criterion) {
    let big = big_rota();
    assert_eq!(
        big.layers
            .iter()
            .map(|l| l.overrides().len())
            .sum::<usize>(),
        500
    );
    // 4096 instants spread over 2027 (a fixed, deterministic walk).
    let instants: Vec<DateTime<Utc>> = (0..4096i64)
        .map(|i| t("2027-01-01T00:00:00Z") + Duration::seconds((i * 7_703_231) % 31_536_000))
        .collect();
    let mut i = 0usize;
    c.bench_function("on_call_at/3_layers_20_people_500_overrides", |b| {
        b.iter(|| {
            i = (i + 1) % instants.len();
            black_box(on_call_at(black_box(&big), instants[i]))
        })
    });

    let sre = twelve_hour_rota();
    // 09:00 EST on 1 January to the same a year later: exactly 730 shifts.
    let (from, to) = (t("2027-01-01T14:00:00Z"), t("2028-01-01T14:00:00Z"));
    assert_eq!(shifts_between(&sre, from, to).len(), 730);
    c.bench_function("shifts_between/12_hour_rota_one_year_730_shifts", |b| {
        b.iter(|| black_box(shifts_between(black_box(&sre), from, to)))
    });

    c.bench_function("check/12_hour_rota_one_year", |b| {
        b.iter(|| black_box(checks::check(black_box(&sre), from, to)))
    });
    c.bench_function("check/3_layers_20_people_500_overrides_one_year", |b| {
        b.iter(|| black_box(checks::check(black_box(&big), from, to)))
    });
    c.bench_function("shifts_between/3_layers_500_overrides_one_year", |b| {
        b.iter(|| black_box(shifts_between(black_box(&big), from, to)))
    });
}

criterion_group!(rota, benches);
criterion_main!(rota);
