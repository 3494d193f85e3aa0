//! The delivery policy (PURE): retries, bundling and throttling.

use chrono::Duration;
use std::collections::HashMap;
use vigil::delivery::plan::{self, Item, Limit};
use vigil::delivery::retry::{Next, SendError, classify, next_attempt};
use vigil::escalation::Priority;
use vigil::escalation::rules::Channel;

fn s(n: i64) -> Duration {
    Duration::seconds(n)
}

#[test]
fn retries_follow_the_schedule_and_an_outage_never_ends_a_page() {
    let schedule = [s(5), s(15), s(30)];
    let down = SendError::Retryable("HTTP 503".into());
    // ±25 % jitter around the scheduled delay; jitter 0.5 is the delay itself.
    assert_eq!(
        next_attempt(&schedule, 1, &down, 0.5, true),
        Next::RetryIn(s(5))
    );
    assert_eq!(
        next_attempt(&schedule, 2, &down, 0.0, true),
        Next::RetryIn(Duration::milliseconds(11_250))
    );
    // Schedule used up: give up (and fall back) only when that is acceptable…
    assert_eq!(next_attempt(&schedule, 4, &down, 0.5, true), Next::GiveUp);
    // …else keep trying at the last interval.
    assert_eq!(
        next_attempt(&schedule, 9, &down, 0.5, false),
        Next::RetryIn(s(30))
    );
    // A permanent error stops at once; Retry-After is honoured within bounds.
    assert_eq!(
        next_attempt(
            &schedule,
            1,
            &SendError::Permanent("HTTP 400".into()),
            0.5,
            false
        ),
        Next::GiveUp
    );
    let slow = SendError::RateLimited {
        retry_after: Some(s(3600)),
        reason: "429".into(),
    };
    assert_eq!(
        next_attempt(&schedule, 1, &slow, 0.5, true),
        Next::RetryIn(s(300))
    );
    assert!(matches!(classify(503, None, ""), SendError::Retryable(_)));
    assert!(matches!(classify(404, None, ""), SendError::Permanent(_)));
    assert!(matches!(
        classify(429, Some(s(2)), ""),
        SendError::RateLimited { .. }
    ));
}

fn item(id: &str, p: Priority, channel: Channel, to: &str, due: i64) -> Item {
    Item {
        id: id.into(),
        alert: format!("alt_{id}"),
        service: "checkout".into(),
        priority: p,
        summary: format!("summary {id}"),
        source: "db-1".into(),
        link: None,
        open: true,
        channel,
        address: to.into(),
        person: Some("alice".into()),
        code: format!("10{id}"),
        attempts: 1,
        due_ms: due,
        stage: 0,
        round: 0,
        triggered_ms: None,
    }
}

#[test]
fn due_items_for_one_address_are_bundled_highest_priority_first_and_throttled() {
    let items = vec![
        item("1", Priority::P3, Channel::Sms, "+1555", 10),
        item("2", Priority::P1, Channel::Sms, "+1555", 20),
        item("3", Priority::P2, Channel::Webhook, "https://v", 5),
        item("4", Priority::P2, Channel::Webhook, "https://v", 6),
    ];
    let msgs = plan::bundle(items);
    // P1 first; the two webhooks stay separate.
    assert_eq!(msgs.len(), 3);
    assert_eq!(msgs[0].channel, Channel::Sms);
    let ids: Vec<&str> = msgs[0].items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["2", "1"]);
    assert_eq!(msgs[0].code, "102", "the bundle's code is its first item's");
    assert!(plan::text(&msgs[0]).starts_with("[Vigil] 2 new alerts (1 P1, 1 P3)"));
    // Two SMS a minute: the third waits until the oldest leaves the window.
    let limit = |c: Channel| {
        (c == Channel::Sms).then_some(Limit {
            count: 2,
            window_ms: 60_000,
        })
    };
    let mut sent = HashMap::new();
    sent.insert((Channel::Sms, "+1555".to_string()), vec![1_000, 30_000]);
    let (go, hold) = plan::throttle(msgs, &sent, limit, 40_000);
    assert_eq!(go.len(), 2, "webhooks are not throttled");
    assert_eq!(hold.len(), 1);
    assert_eq!(hold[0].1, 61_000);
}

fn one(channel: Channel, summary: &str, link: Option<&str>) -> vigil::delivery::plan::Message {
    let mut i = item("7", Priority::P1, channel, "+15550100", 0);
    i.summary = summary.into();
    i.link = link.map(str::to_string);
    vigil::delivery::plan::Message {
        channel,
        address: i.address.clone(),
        person: i.person.clone(),
        code: "4821".into(),
        items: vec![i],
    }
}

#[test]
fn a_page_carries_priority_service_source_console_and_runbook_links_within_two_sms_segments() {
    use vigil::delivery::plan::{SMS_MAX, page_text};
    let console = "https://vigil.example.com/alerts/alt_7";
    let runbook = "https://runbooks.example.com/disk";
    let sms = page_text(
        &one(Channel::Sms, "Disk full on db-1", Some(runbook)),
        console,
    );
    for part in [
        "[Vigil P1]",
        "checkout",
        "Disk full on db-1",
        "(from db-1)",
        console,
        runbook,
        "\"ack 4821\"",
    ] {
        assert!(sms.contains(part), "{part} in {sms}");
    }
    assert!(sms.chars().count() <= SMS_MAX);
    // A long summary: the runbook link goes first, then the summary is cut.
    let long = "x".repeat(400);
    let sms = page_text(&one(Channel::Sms, &long, Some(runbook)), console);
    assert_eq!(sms.chars().count(), SMS_MAX, "{sms}");
    assert!(sms.contains(console) && sms.contains("\"ack 4821\"") && sms.contains('…'));
    assert!(!sms.contains(runbook));
    // Chat keeps everything; a call speaks the priority and the summary.
    let chat = page_text(&one(Channel::Chat, &long, Some(runbook)), console);
    assert!(chat.contains(runbook) && chat.contains(console) && chat.contains(&long));
    let voice = page_text(&one(Channel::Voice, "Disk full", Some(runbook)), console);
    assert_eq!(voice, "Vigil page. Priority 1, checkout: Disk full");
}

#[test]
fn the_runbook_link_is_preferred_and_only_web_links_count() {
    use vigil::delivery::plan::first_link;
    let links = r#"[{"href":"https://grafana.example.com/d/1","text":"Dashboard"},
                    {"href":"https://wiki.example.com/x","text":"Runbook"}]"#;
    assert_eq!(
        first_link(links).as_deref(),
        Some("https://wiki.example.com/x")
    );
    assert_eq!(
        first_link(r#"[{"href":"javascript:alert(1)"},{"href":"https://a.example/b"}]"#).as_deref(),
        Some("https://a.example/b")
    );
    assert_eq!(first_link("[]"), None);
    assert_eq!(first_link("not json"), None);
}
