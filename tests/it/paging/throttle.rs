//! The per-number throttle is one budget for every instance: two instances
//! on one PostgreSQL database, each paging the same person for different
//! alerts, send no more SMS to that number in a minute than the limit
//! allows (issue 9: each instance kept its own count in memory, so two
//! instances sent twice the limit, and a restart forgot it).

use super::{Fake, notify_for, phone, service};
use crate::server::{Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::json;

const LIMIT: usize = 3;

fn tweak(fake: &Fake) -> impl FnOnce(&mut vigil::config::Config) {
    let notify = notify_for(fake);
    move |c| {
        c.notify = notify;
        c.dispatch.throttle.clear();
        c.dispatch.throttle.insert("sms".into(), LIMIT);
    }
}

#[tokio::test]
async fn two_instances_share_one_sms_budget_per_number() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let fake = Fake::start().await;
    let a = TestApp::spawn_with(backend, tweak(&fake)).await;
    let dir = std::env::temp_dir().join(format!("vigil-throttle-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).expect("dir");
    let b = TestApp::spawn_on_with(&a.db_url, dir, tweak(&fake)).await;
    // Alice is reached by SMS only, at once.
    let admin = a.admin.clone();
    let person = json!({ "name": "Alice", "phone": phone("alice"),
        "rules": { "P1": ["sms"] } });
    let (s, v) = a
        .call(
            Method::PUT,
            "/api/v1/people/alice",
            Some(&admin),
            Some(person),
        )
        .await;
    assert!(s.is_success(), "{v}");
    let ladder =
        json!({ "ladder": { "stages": [{ "timeout": "30m", "targets": ["person:alice"] }] } });
    let key = service(&a, "payments-api", ladder).await;
    // Eight alerts, alternately through each instance, each dispatcher
    // settled after its trigger: eight separate messages to one number.
    for i in 0..8 {
        let app = if i % 2 == 0 { &a } else { &b };
        let body = json!({ "service": "payments-api", "summary": format!("disk {i} full"),
            "priority": "P1", "dedup_key": format!("disk-{i}") });
        let (s, _, v) = app
            .call_full(
                Method::POST,
                "/api/v1/alerts",
                None,
                Some(body),
                &[("X-Vigil-Integration-Key", &key)],
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        app.dispatch.settle().await;
        a.dispatch.settle().await;
        b.dispatch.settle().await;
    }
    let sent = fake.to("sms", &phone("alice"));
    assert_eq!(
        sent.len(),
        LIMIT,
        "within the minute, both instances together sent the limit and no more: {:?}",
        sent.iter().map(|m| &m.text).collect::<Vec<_>>()
    );
    // Once the window frees up, what was held goes (bundled), within the limit.
    for app in [&a, &b] {
        app.clock.advance(chrono::Duration::seconds(61));
    }
    for _ in 0..3 {
        a.dispatch.settle().await;
        b.dispatch.settle().await;
    }
    let later = fake.to("sms", &phone("alice"));
    assert!(
        later.len() > LIMIT && later.len() <= 2 * LIMIT,
        "the held pages went in the next window: {} messages",
        later.len()
    );
    let text: String = later.iter().map(|m| m.text.clone()).collect();
    for i in 0..8 {
        assert!(
            text.contains(&format!("disk {i} full")),
            "alert {i} reached alice: {text}"
        );
    }
    b.stop().await;
    a.stop().await;
}
