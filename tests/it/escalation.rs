//! The escalation state machine with simulated time: stories and properties.

use crate::helpers::utc;
use chrono::Duration;
use proptest::prelude::*;
use vigil::escalation::{
    Alert, Effect, Event, Policy, Priority, Sla, Targets, apply, next_due, trigger,
};
use vigil::rota::Instant;

fn m(n: i64) -> Duration {
    Duration::minutes(n)
}

/// Three stages of 5 minutes for P1 (10, 30, 60 for P2–P4), twice round.
fn policy() -> Policy {
    let stage = [m(5), m(10), m(30), m(60)];
    Policy {
        timeouts: vec![stage, stage, stage],
        repeat: 2,
        targets: [Priority::P1, Priority::P2, Priority::P3, Priority::P4].map(Targets::default_for),
    }
}

fn t0() -> Instant {
    utc("2026-11-27T12:00:00Z")
}

fn pages(effects: &[Effect]) -> Vec<(usize, u32, i64)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Page { stage, round, at } => Some((*stage, *round, (*at - t0()).num_minutes())),
            _ => None,
        })
        .collect()
}

#[test]
fn unacknowledged_p1_climbs_the_ladder_and_is_acknowledged() {
    let p = policy();
    let (a, fx) = trigger(Priority::P1, t0());
    assert_eq!(pages(&fx), [(0, 0, 0)]);
    assert_eq!(
        next_due(&a, &p),
        Some(t0() + m(4)),
        "the ack warning at 80 % of 5 min"
    );
    let (a, fx) = apply(&a, &p, Event::Tick, t0() + m(4));
    assert_eq!(
        fx,
        [Effect::Warn {
            sla: Sla::Ack,
            at: t0() + m(4)
        }]
    );
    let (a, fx) = apply(&a, &p, Event::Tick, t0() + m(5));
    assert!(fx.contains(&Effect::Breach {
        sla: Sla::Ack,
        at: t0() + m(5)
    }));
    assert_eq!(pages(&fx), [(1, 0, 5)], "stage 2 after stage 1's timeout");
    let (a, fx) = apply(&a, &p, Event::Ack, t0() + m(7));
    assert_eq!(fx, [Effect::StopPaging]);
    // Nothing more is paged, however long we wait (short of the resolve target).
    let (a, fx) = apply(&a, &p, Event::Tick, t0() + m(200));
    assert!(pages(&fx).is_empty(), "{fx:?}");
    let (_, fx) = apply(&a, &p, Event::Resolve, t0() + m(210));
    assert_eq!(fx, [Effect::StopPaging]);
}

#[test]
fn the_ladder_repeats_then_stops() {
    let p = policy();
    let (a, _) = trigger(Priority::P1, t0());
    let (a, fx) = apply(&a, &p, Event::Tick, t0() + m(60));
    // Stages 2 and 3 of round 1, then all three of round 2; then silence.
    assert_eq!(
        pages(&fx),
        [(1, 0, 5), (2, 0, 10), (0, 1, 15), (1, 1, 20), (2, 1, 25)]
    );
    let (_, fx) = apply(&a, &p, Event::Tick, t0() + m(120));
    assert!(pages(&fx).is_empty());
}

#[test]
fn a_missed_resolve_target_engages_the_next_stage_once() {
    let p = policy();
    let (a, _) = trigger(Priority::P1, t0());
    let (a, _) = apply(&a, &p, Event::Ack, t0() + m(1));
    let (a, fx) = apply(&a, &p, Event::Tick, t0() + m(240));
    assert!(fx.contains(&Effect::Breach {
        sla: Sla::Resolve,
        at: t0() + m(240)
    }));
    assert_eq!(pages(&fx), [(1, 0, 240)]);
    let (_, fx) = apply(&a, &p, Event::Tick, t0() + m(480));
    assert!(pages(&fx).is_empty(), "once");
}

#[test]
fn retriggers_count_without_paging_and_escalate_now_pages() {
    let p = policy();
    let (a, _) = trigger(Priority::P3, t0());
    let (a, fx) = apply(&a, &p, Event::Retrigger, t0() + m(1));
    assert_eq!((a.count, pages(&fx).len()), (2, 0));
    let (_, fx) = apply(&a, &p, Event::EscalateNow, t0() + m(2));
    assert_eq!(pages(&fx), [(1, 0, 2)]);
}

/// Escalating an acknowledged alert hands it back: triggered again, the
/// next stage paged, and the ladder's timers running from there (GoAlert's
/// smoke tests check the same). Before, the alert stayed acknowledged and
/// no later stage ever followed.
#[test]
fn escalating_an_acknowledged_alert_restarts_the_ladder() {
    let p = policy();
    let (a, _) = trigger(Priority::P1, t0());
    let (a, _) = apply(&a, &p, Event::Ack, t0() + m(1));
    assert_eq!(a.state, vigil::escalation::State::Acknowledged);
    let (a, fx) = apply(&a, &p, Event::EscalateNow, t0() + m(2));
    assert_eq!(a.state, vigil::escalation::State::Triggered);
    assert_eq!(pages(&fx), [(1, 0, 2)]);
    assert_eq!(next_due(&a, &p), Some(t0() + m(7)), "stage 2's timeout");
    let (a, fx) = apply(&a, &p, Event::Tick, t0() + m(7));
    assert_eq!(pages(&fx), [(2, 0, 7)], "stage 3 follows");
    // The first acknowledgement stays the one the SLA counts.
    let (a, _) = apply(&a, &p, Event::Ack, t0() + m(8));
    assert_eq!(a.acked_at, Some(t0() + m(1)));
}

#[test]
fn waking_hours_rules_wait_for_the_morning_in_the_persons_zone() {
    use vigil::escalation::rules::{self, Channel, Contact, RulesSpec};
    let ny: vigil::tz::Zone = "America/New_York".parse().expect("zone");
    // 23:30 in New York waits for 07:00 the next day; midday goes at once.
    assert_eq!(
        rules::next_waking(utc("2026-11-28T04:30:00Z"), &ny),
        utc("2026-11-28T12:00:00Z")
    );
    assert_eq!(
        rules::next_waking(utc("2026-11-27T17:00:00Z"), &ny),
        utc("2026-11-27T17:00:00Z")
    );
    // The night the clocks go forward: 03:30 EDT waits for 07:00 EDT.
    assert_eq!(
        rules::next_waking(utc("2026-03-08T07:30:00Z"), &ny),
        utc("2026-03-08T11:00:00Z")
    );
    let contact = Contact {
        phone: Some("+15550100".into()),
        chat: Some("UALICE".into()),
        email: None,
        zone: Some(ny),
    };
    // The default P4 rules never wake anyone; P1 goes at once, voice after 2 minutes.
    let night = utc("2026-11-28T08:00:00Z"); // 03:00 in New York
    let p4 = rules::plan(&rules::rules_for(None, Priority::P4), &contact, night);
    assert_eq!(
        p4,
        vec![(
            Channel::Chat,
            "UALICE".to_string(),
            utc("2026-11-28T12:00:00Z")
        )]
    );
    let p1 = rules::plan(&rules::rules_for(None, Priority::P1), &contact, night);
    assert_eq!(p1[0], (Channel::Chat, "UALICE".to_string(), night));
    assert_eq!(
        p1[2],
        (Channel::Voice, "+15550100".to_string(), night + m(2))
    );
    // A person's own rule with /waking, and a mistake named by field.
    let mut spec = RulesSpec::new();
    spec.insert("P2".into(), vec!["sms@5m/waking".into()]);
    assert!(rules::validate(&spec).is_ok());
    let p2 = rules::plan(
        &rules::rules_for(Some(&spec), Priority::P2),
        &contact,
        night,
    );
    assert_eq!(
        p2,
        vec![(
            Channel::Sms,
            "+15550100".to_string(),
            utc("2026-11-28T12:00:00Z")
        )]
    );
    spec.insert("P3".into(), vec!["pager/waking".into()]);
    assert_eq!(
        rules::validate(&spec).map_err(|e| e.field),
        Err("rules.P3[0]".to_string())
    );
}

fn priority() -> impl Strategy<Value = Priority> {
    prop::sample::select(vec![Priority::P1, Priority::P2, Priority::P3, Priority::P4])
}

fn random_policy() -> impl Strategy<Value = Policy> {
    let stage = prop::array::uniform4(1i64..7200).prop_map(|a| a.map(Duration::seconds));
    (prop::collection::vec(stage, 1..5), 1u32..4).prop_map(|(timeouts, repeat)| Policy {
        timeouts,
        repeat,
        targets: [Priority::P1, Priority::P2, Priority::P3, Priority::P4].map(Targets::default_for),
    })
}

/// Events at increasing offsets (seconds) from the trigger.
fn events() -> impl Strategy<Value = Vec<(i64, Event)>> {
    let ev = prop_oneof![
        4 => Just(Event::Tick),
        1 => Just(Event::Ack),
        1 => Just(Event::Resolve),
        1 => Just(Event::Retrigger),
        1 => Just(Event::EscalateNow),
    ];
    prop::collection::vec((1i64..20_000, ev), 0..20).prop_map(|v| {
        let mut at = 0;
        v.into_iter()
            .map(|(d, e)| {
                at += d;
                (at, e)
            })
            .collect()
    })
}

fn run(a: Alert, p: &Policy, evs: &[(i64, Event)]) -> (Alert, Vec<Effect>) {
    let mut a = a;
    let mut all = Vec::new();
    for (at, e) in evs {
        let (next, fx) = apply(&a, p, e.clone(), t0() + Duration::seconds(*at));
        a = next;
        all.extend(fx);
    }
    (a, all)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// No page is lost to a late tick (a restart): one tick at the end emits
    /// the same pages, warnings and breaches as ticking every minute.
    #[test]
    fn a_late_tick_catches_up_exactly(pr in priority(), p in random_policy(), end in 60i64..400_000) {
        let (a, _) = trigger(pr, t0());
        let fine: Vec<(i64, Event)> = (1..=end / 60).map(|k| (k * 60, Event::Tick)).chain(std::iter::once((end, Event::Tick))).collect();
        let (fa, ffx) = run(a.clone(), &p, &fine);
        let (la, lfx) = run(a, &p, &[(end, Event::Tick)]);
        prop_assert_eq!(ffx, lfx);
        prop_assert_eq!(fa, la);
    }

    /// After an acknowledgement, pages come only from escalate-now or the
    /// one resolve-target escalation; after resolving, none at all; every
    /// SLA breaches at most once; nothing falls due before `next_due`.
    #[test]
    fn acknowledgement_stops_paging(pr in priority(), p in random_policy(), evs in events()) {
        let (mut a, _) = trigger(pr, t0());
        let mut escalations = 0;
        for (at, e) in &evs {
            let now = t0() + Duration::seconds(*at);
            if let Some(due) = next_due(&a, &p) && now < due {
                let (_, quiet) = apply(&a, &p, Event::Tick, now);
                prop_assert!(quiet.is_empty(), "effects before next_due: {:?}", quiet);
            }
            let before = a.state;
            let (next, fx) = apply(&a, &p, e.clone(), now);
            let paged = fx.iter().filter(|f| matches!(f, Effect::Page { .. })).count();
            match before {
                vigil::escalation::State::Resolved => prop_assert_eq!(paged, 0),
                vigil::escalation::State::Acknowledged => {
                    let manual = usize::from(matches!(e, Event::EscalateNow));
                    escalations += paged.saturating_sub(manual);
                    prop_assert!(escalations <= 1, "more than one resolve escalation");
                }
                vigil::escalation::State::Triggered => {}
            }
            a = next;
        }
        for sla in [Sla::Ack, Sla::Respond, Sla::Resolve] {
            prop_assert!(a.breached.iter().filter(|s| **s == sla).count() <= 1);
        }
    }
}
