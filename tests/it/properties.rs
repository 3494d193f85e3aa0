//! Property tests over random rotas (GoAlert-style brute force, plus the
//! invariants the engine promises): random zones including DST-heavy ones,
//! random handoff times including ones inside gaps and overlaps, random
//! restrictions, overrides and effective-dated edits, over a year.

use chrono::{Duration, NaiveDate, NaiveTime};
use proptest::prelude::*;
use vigil::rota::civil::TimeOfDay;
use vigil::rota::interval::{self, Interval};
use vigil::rota::restriction::{self, Restriction};
use vigil::rota::{
    Cadence, CivilCadence, DstPolicy, FollowTheSun, Instant, Layer, Override, OverrideAction,
    Person, Rota, Rotation, Shift, Source, SunGroup, on_call_at, shifts_between,
};
use vigil::tz::Zone as Tz;

const ZONES: &[&str] = &[
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Europe/Berlin",
    "America/Los_Angeles",
    "Pacific/Chatham",
    "America/St_Johns",
    "America/Santiago",
    "Asia/Kathmandu",
    "UTC",
];

/// Times of day biased towards DST gaps and overlaps (01:00–03:00 local).
fn time_of_day() -> impl Strategy<Value = TimeOfDay> {
    prop_oneof![
        3 => (0u32..24, prop::sample::select(vec![0u32, 15, 30, 45])).prop_map(|(h, m)| TimeOfDay::hm(h, m)),
        2 => (1u32..3, 0u32..60).prop_map(|(h, m)| TimeOfDay::hm(h, m)),
    ]
}

fn zone() -> impl Strategy<Value = Tz> {
    prop::sample::select(ZONES).prop_map(|z| z.parse::<Tz>().expect("listed zones parse"))
}

fn date() -> impl Strategy<Value = NaiveDate> {
    (0i64..400)
        .prop_map(|d| NaiveDate::from_ymd_opt(2025, 6, 1).expect("valid") + Duration::days(d))
}

fn civil(zone: Tz) -> impl Strategy<Value = Cadence> {
    let shape = prop_oneof![
        Just((Duration::days(7), vec![Duration::zero()])),
        Just((Duration::days(1), vec![Duration::zero()])),
        Just((
            Duration::days(1),
            vec![Duration::zero(), Duration::hours(12)]
        )),
        Just((
            Duration::days(1),
            vec![Duration::zero(), Duration::hours(8), Duration::hours(16)]
        )),
        (2i64..30).prop_map(|h| (Duration::hours(h), vec![Duration::zero()])),
        (2i64..5).prop_map(|d| (Duration::days(d), vec![Duration::zero()])),
    ];
    let policy = prop_oneof![3 => Just(DstPolicy::WallClock), 1 => Just(DstPolicy::FixedLength)];
    (
        shape,
        policy,
        date(),
        time_of_day(),
        prop::collection::vec(0usize..5, 1..5),
        0usize..4,
    )
        .prop_map(
            move |((period, offsets), policy, start, at, participants, first)| {
                let first = first % participants.len();
                Cadence::Civil(CivilCadence {
                    zone: zone.clone(),
                    policy,
                    anchor: at.on(start),
                    period,
                    offsets,
                    participants,
                    first,
                })
            },
        )
}

fn follow_the_sun() -> impl Strategy<Value = Cadence> {
    let group = (
        zone(),
        time_of_day(),
        prop::collection::vec(0usize..5, 1..3),
        1u32..8,
    )
        .prop_map(|(zone, handoff, participants, days)| SunGroup {
            name: zone.name().to_string(),
            zone,
            handoff,
            participants,
            first: 0,
            days_per_person: days,
        });
    (date(), prop::collection::vec(group, 2..4))
        .prop_map(|(start, groups)| Cadence::FollowTheSun(FollowTheSun { start, groups }))
        // The rota loader refuses shifts under 2 hours; so do we.
        .prop_filter("shifts of at least 2 hours", |c| {
            c.shortest_shift(3 * 740)
                .is_some_and(|(_, d)| d >= Duration::hours(2))
        })
}

fn cadence(zone: Tz) -> impl Strategy<Value = Cadence> {
    prop_oneof![4 => civil(zone), 1 => follow_the_sun()]
}

fn restrictions() -> impl Strategy<Value = Vec<Restriction>> {
    let one = (
        prop::collection::vec(any::<bool>(), 7),
        time_of_day(),
        time_of_day(),
    )
        .prop_map(|(days, from, to)| {
            let mut set = [false; 7];
            for (i, d) in days.into_iter().enumerate() {
                set[i] = d;
            }
            Restriction {
                days: set,
                from,
                to,
            }
        });
    prop_oneof![2 => Just(Vec::new()), 1 => prop::collection::vec(one, 1..3)]
}

#[derive(Debug, Clone)]
struct Spec {
    rota: Rota,
    from: Instant,
    to: Instant,
}

fn t0() -> Instant {
    vigil::rota::civil::resolve(
        &Tz::utc(),
        NaiveDate::from_ymd_opt(2025, 9, 1)
            .expect("valid")
            .and_time(NaiveTime::MIN),
    )
}

/// Overrides at hour offsets from the window start; non-add ones never
/// overlap each other (the rota loader refuses contradictions).
fn overrides() -> impl Strategy<Value = Vec<Override>> {
    let one = (0i64..8760, 1i64..240, 0u8..4, 0usize..5, 0usize..5);
    prop::collection::vec(one, 0..8).prop_map(|v| {
        let mut out: Vec<Override> = Vec::new();
        for (at, len, kind, p, q) in v {
            let iv = Interval::new(t0() + Duration::hours(at), t0() + Duration::hours(at + len));
            let action = match kind {
                0 => OverrideAction::Replace {
                    replaces: None,
                    by: p,
                },
                1 => OverrideAction::Replace {
                    replaces: Some(q),
                    by: p,
                },
                2 => OverrideAction::Remove,
                _ => OverrideAction::Add { person: p },
            };
            let is_add = matches!(action, OverrideAction::Add { .. });
            let clash = out.iter().any(|o| {
                o.interval.overlaps(&iv)
                    && !(is_add && matches!(o.action, OverrideAction::Add { .. }))
            });
            if !clash {
                out.push(Override {
                    interval: iv,
                    action,
                    source: Source::Override,
                });
            }
        }
        out
    })
}

fn layer() -> impl Strategy<Value = (Tz, Layer)> {
    zone().prop_flat_map(|z| {
        (cadence(z.clone()), restrictions(), overrides()).prop_map(move |(c, rs, os)| {
            let mut l = Layer::new(
                "l",
                vec![Rotation {
                    name: "r".into(),
                    effective_from: None,
                    cadence: c,
                    restrictions: None,
                }],
            );
            l.restrictions = rs;
            l.set_overrides(os);
            (z.clone(), l)
        })
    })
}

fn spec() -> impl Strategy<Value = Spec> {
    prop::collection::vec(layer(), 1..3).prop_map(|layers| {
        let zone = layers[0].0.clone();
        let mut ls: Vec<Layer> = layers.into_iter().map(|(_, l)| l).collect();
        for (i, l) in ls.iter_mut().enumerate() {
            l.name = format!("layer{i}");
            l.role = l.name.clone();
        }
        let people = (0..5)
            .map(|i| Person {
                id: format!("p{i}"),
                name: format!("P{i}"),
                zone: None,
            })
            .collect();
        let rota = Rota {
            name: "prop".into(),
            zone,
            people,
            lead: None,
            layers: ls,
            checks: Default::default(),
            fairness: Default::default(),
            handoffs: Default::default(),
        };
        Spec {
            rota,
            from: t0(),
            to: t0() + Duration::days(365),
        }
    })
}

fn is_add(s: &Shift, rota: &Rota) -> bool {
    s.source != Source::Rotation
        && rota.layers[s.layer].overrides().iter().any(|o| {
            matches!(o.action, OverrideAction::Add { person } if person == s.person)
                && o.interval == s.interval()
        })
}

/// Why a layer may have nobody at `t`: restricted out, removed, or before
/// its rotation started.
fn gap_is_declared(rota: &Rota, layer: usize, t: Instant) -> bool {
    let l = &rota.layers[layer];
    let restricted =
        !l.restrictions.is_empty() && !restriction::active_at(&rota.zone, &l.restrictions, t);
    let removed = l
        .overrides()
        .iter()
        .any(|o| o.action == OverrideAction::Remove && o.interval.contains(t));
    let not_started = l.rotations[0].cadence.handoff(0) > t;
    restricted || removed || not_started
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 96,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// Per layer, the shifts of a year never overlap (adds aside) and every
    /// gap between them is declared.
    #[test]
    fn shifts_tile_the_year(s in spec()) {
        let all = shifts_between(&s.rota, s.from, s.to);
        for (li, _) in s.rota.layers.iter().enumerate() {
            let mine: Vec<&Shift> = all.iter().filter(|x| x.layer == li && !is_add(x, &s.rota)).collect();
            let mut edge = s.from;
            for x in &mine {
                prop_assert!(x.start < x.end, "empty shift {:?}", x);
                prop_assert!(x.start >= edge || edge == s.from, "overlap at {:?}", x);
                if x.start > edge {
                    for t in [edge, edge + (x.start - edge) / 2, x.start - Duration::seconds(1)] {
                        prop_assert!(gap_is_declared(&s.rota, li, t), "undeclared gap in layer {} at {}", li, t);
                    }
                }
                edge = edge.max(x.end);
            }
            if edge < s.to {
                prop_assert!(gap_is_declared(&s.rota, li, edge), "undeclared gap at end {}", edge);
            }
        }
    }

    /// `on_call_at` agrees with `shifts_between` at random instants and at
    /// every shift edge.
    #[test]
    fn on_call_at_agrees_with_shifts_between(s in spec(), offsets in prop::collection::vec(0i64..31_536_000, 150)) {
        let all = shifts_between(&s.rota, s.from, s.to);
        let mut instants: Vec<Instant> = offsets.iter().map(|o| s.from + Duration::seconds(*o)).collect();
        instants.extend(all.iter().take(200).flat_map(|x| [x.start, x.end - Duration::seconds(1)]));
        for t in instants.into_iter().filter(|t| *t >= s.from && *t < s.to) {
            let mut got: Vec<(usize, usize, Source)> =
                on_call_at(&s.rota, t).iter().map(|o| (o.layer, o.person, o.source)).collect();
            let mut want: Vec<(usize, usize, Source)> =
                all.iter().filter(|x| x.interval().contains(t)).map(|x| (x.layer, x.person, x.source)).collect();
            got.sort();
            want.sort();
            prop_assert_eq!(got, want, "at {}", t);
        }
    }

    /// An override changes coverage only inside its interval.
    #[test]
    fn an_override_acts_only_inside_its_interval(s in spec(), at in 0i64..8700, len in 1i64..300, kind in 0u8..3, p in 0usize..5) {
        let iv = Interval::new(s.from + Duration::hours(at), s.from + Duration::hours(at + len));
        let action = match kind {
            0 => OverrideAction::Replace { replaces: None, by: p },
            1 => OverrideAction::Remove,
            _ => OverrideAction::Add { person: p },
        };
        let mut with = s.rota.clone();
        let mut os = with.layers[0].overrides().to_vec();
        os.push(Override { interval: iv, action, source: Source::Override });
        with.layers[0].set_overrides(os);
        let outside = |r: &Rota| -> Vec<(usize, usize, Source, Interval)> {
            let mut v: Vec<_> = shifts_between(r, s.from, s.to)
                .into_iter()
                .flat_map(|x| {
                    // Compared inside the queried window: a piece cut off
                    // beyond it is (rightly) not returned.
                    let inside = x.interval().intersect(&Interval::new(s.from, s.to));
                    interval::subtract(&inside.into_iter().collect::<Vec<_>>(), &[iv])
                        .into_iter()
                        .map(move |i| (x.layer, x.person, x.source, i))
                })
                .collect();
            v.sort();
            v
        };
        prop_assert_eq!(outside(&s.rota), outside(&with));
    }

    /// An effective-dated edit (a new cadence, and new hours or the
    /// layer's) leaves every earlier shift unchanged, and `on_call_at`
    /// still agrees with the shifts after it.
    #[test]
    fn an_edit_never_rewrites_the_past(s in spec(), at in 24i64..8700, c in zone().prop_flat_map(civil), rs in prop::option::of(restrictions()), probes in prop::collection::vec(0i64..2_000_000, 40)) {
        let edit = s.from + Duration::hours(at);
        let mut edited = s.rota.clone();
        edited.layers[0].rotations.push(Rotation { name: "edit".into(), effective_from: Some(edit), cadence: c, restrictions: rs });
        let after = shifts_between(&edited, edit, s.to);
        for t in probes.iter().map(|o| edit + Duration::seconds(*o)).filter(|t| *t < s.to) {
            let mut got: Vec<(usize, usize, Source)> =
                on_call_at(&edited, t).iter().map(|o| (o.layer, o.person, o.source)).collect();
            let mut want: Vec<(usize, usize, Source)> =
                after.iter().filter(|x| x.interval().contains(t)).map(|x| (x.layer, x.person, x.source)).collect();
            got.sort();
            want.sort();
            prop_assert_eq!(got, want, "at {}", t);
        }
        let before = |r: &Rota| -> Vec<Shift> { shifts_between(r, s.from, edit) };
        let (old, new) = (before(&s.rota), before(&edited));
        // Every shift that ended by the edit is still there…
        for x in old.iter().filter(|x| x.end <= edit) {
            prop_assert!(new.contains(x), "lost {:?}", x);
        }
        // …nothing new ends before it (a shift running through the edit may
        // now end exactly at it)…
        for x in new.iter().filter(|x| x.end < edit) {
            prop_assert!(old.contains(x), "invented {:?}", x);
        }
        // …and the coverage before the edit is the same, person by person.
        let cover = |r: &Rota| -> Vec<(usize, Vec<Interval>)> {
            let mut by: std::collections::BTreeMap<usize, Vec<Interval>> = Default::default();
            for x in shifts_between(r, s.from, edit).into_iter().filter(|x| x.layer == 0) {
                if let Some(i) = x.interval().intersect(&Interval::new(s.from, edit)) {
                    by.entry(x.person).or_default().push(i);
                }
            }
            by.into_iter().map(|(p, v)| (p, interval::union(v))).collect()
        };
        prop_assert_eq!(cover(&s.rota), cover(&edited));
    }
}
