//! An alert storm at the intake: more concurrent triggers than the database
//! pool has connections. Every request must be answered 202 within the
//! intake deadline, with one alert per distinct dedup key and one for a
//! shared key (issue 14: a transaction that waited for a second pooled
//! connection starved the pool on PostgreSQL and every request hung).

use super::{alert, fake::Fake, ladder, notify_for, service, timeline_kinds};
use crate::both;
use crate::server::{Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const POOL: u32 = 16;

async fn storm(app: &TestApp, key: &str, dedup: impl Fn(usize) -> String) {
    let n = 4 * POOL as usize;
    let mut tasks = Vec::new();
    for i in 0..n {
        let http = app.http.clone();
        let url = format!("{}/v2/enqueue", app.base);
        let body = json!({
            "routing_key": key, "event_action": "trigger", "dedup_key": dedup(i),
            "payload": { "summary": format!("storm {i}"), "source": "load", "severity": "critical" },
        });
        tasks.push(tokio::spawn(async move {
            let start = Instant::now();
            let r = http
                .post(url)
                .timeout(Duration::from_secs(30))
                .json(&body)
                .send()
                .await;
            (
                start.elapsed(),
                r.map(|r| r.status()).map_err(|e| e.to_string()),
            )
        }));
    }
    for t in tasks {
        let (took, status) = t.await.expect("task");
        assert_eq!(status, Ok(StatusCode::ACCEPTED), "answered after {took:?}");
        assert!(took < Duration::from_secs(2), "answered after {took:?}");
    }
}

async fn alerts_of(app: &TestApp) -> Vec<Value> {
    let (s, v) = app.get("/api/v1/alerts?service=web&limit=1000").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["alerts"].as_array().expect("alerts").clone()
}

async fn concurrent_triggers(backend: Backend) {
    let fake = Fake::start().await;
    let notify = notify_for(&fake);
    let app = TestApp::spawn_with(backend, |c| {
        c.notify = notify;
        c.pool.size = POOL;
    })
    .await;
    let key = service(&app, "web", ladder()).await;
    let n = 4 * POOL as usize;

    // Distinct dedup keys: one new alert each.
    storm(&app, &key, |i| format!("distinct-{i}")).await;
    let alerts = alerts_of(&app).await;
    assert_eq!(alerts.len(), n);
    let mut keys: Vec<&str> = alerts
        .iter()
        .map(|a| a["dedup_key"].as_str().expect("key"))
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n);
    // Opened in batches, written together: each has its own timeline and
    // its first page, as one opened alone would.
    for a in &alerts {
        let d = alert(&app, a["id"].as_str().expect("id")).await;
        let kinds = timeline_kinds(&d);
        assert_eq!(kinds[..2], ["created", "stage_paged"], "{d}");
        assert!(kinds[2..].iter().all(|k| k == "notified"), "{d}");
        let pages = d["notifications"].as_array().expect("notifications");
        assert!(!pages.is_empty(), "{d}");
        assert!(pages.iter().all(|p| p["stage"] == json!(1)), "{d}");
    }

    // One new dedup key shared by every trigger: one alert, counted n times.
    storm(&app, &key, |_| "shared".to_string()).await;
    let alerts = alerts_of(&app).await;
    let shared: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["dedup_key"] == "shared")
        .collect();
    assert_eq!(shared.len(), 1, "one alert for the shared key");
    assert_eq!(shared[0]["count"], json!(n));
    assert_eq!(alerts.len(), n + 1);
    let d = alert(&app, shared[0]["id"].as_str().expect("id")).await;
    let kinds = timeline_kinds(&d);
    assert_eq!(kinds[..2], ["created", "stage_paged"], "{d}");
    assert_eq!(kinds.iter().filter(|k| *k == "deduplicated").count(), n - 1);
    let others = kinds[2..]
        .iter()
        .filter(|k| *k != "deduplicated" && *k != "notified");
    assert_eq!(others.count(), 0, "{kinds:?}");
    app.stop().await;
}

both!(
    concurrent_triggers_answer_in_time_sqlite,
    concurrent_triggers_answer_in_time_postgres,
    concurrent_triggers
);

/// SQLite with its write lock held by another process (here: another
/// connection): intake answers 503 with Retry-After at the intake deadline
/// instead of holding the sender for the busy timeout, counts it in
/// /metrics, and takes the event once the lock is free.
#[tokio::test]
async fn a_locked_database_answers_503_with_retry_after() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.intake_timeout = Duration::from_millis(500);
    })
    .await;
    let key = service(&app, "web", ladder()).await;
    let other = vigil::store::Store::connect(&app.db_url)
        .await
        .expect("second connection");
    let tx = other.tx().await.expect("transaction");
    tx.audit(0, "test", "lock", "db", json!({}))
        .await
        .expect("a write takes the lock");
    let body = json!({
        "routing_key": key, "event_action": "trigger", "dedup_key": "locked",
        "payload": { "summary": "disk full", "source": "db-1", "severity": "critical" },
    });
    let start = Instant::now();
    let r = app
        .http
        .post(format!("{}/v2/enqueue", app.base))
        .json(&body)
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(
        r.headers().get("retry-after").and_then(|v| v.to_str().ok()),
        Some("5")
    );
    let ready = app
        .http
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .expect("readyz");
    assert_eq!(
        ready.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "not ready while the write lock is held elsewhere"
    );
    drop(tx);
    other.close().await;
    let ready = app
        .http
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), StatusCode::OK);
    let metrics = app
        .http
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics
            .contains(r#"vigil_intake_events_total{source="pagerduty",outcome="unavailable"} 1"#),
        "{metrics}"
    );
    // The sender retries once the database is free again.
    let r = app
        .http
        .post(format!("{}/v2/enqueue", app.base))
        .timeout(Duration::from_secs(15))
        .json(&body)
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    app.stop().await;
}

/// The intake keeps services' ladders, teams and people between batches:
/// a ladder edit and a changed phone number must reach the very next
/// trigger (a cache kept past a write would page the old person, or the
/// old number).
async fn edits_reach_the_next_trigger(backend: Backend) {
    let (app, _fake) = super::paging_app(backend).await;
    let to = |who: &str| json!({ "ladder": { "stages": [{ "timeout": "5m", "targets": [format!("person:{who}")] }] } });
    let key = service(&app, "web", to("alice")).await;
    // Who the alert of `dedup` paged first: "person address" per notification.
    let enqueue_and_see = |dedup: &'static str| {
        let (app, key) = (&app, key.clone());
        async move {
            let r = app
                .http
                .post(format!("{}/v2/enqueue", app.base))
                .json(&json!({
                    "routing_key": key, "event_action": "trigger", "dedup_key": dedup,
                    "payload": { "summary": dedup, "source": "test", "severity": "critical" },
                }))
                .send()
                .await
                .expect("sent");
            assert_eq!(r.status(), StatusCode::ACCEPTED);
            let a = alerts_of(app)
                .await
                .into_iter()
                .find(|a| a["dedup_key"] == dedup)
                .expect("the alert");
            let d = alert(app, a["id"].as_str().expect("id")).await;
            d["notifications"]
                .as_array()
                .expect("notifications")
                .iter()
                .map(|n| {
                    format!(
                        "{} {}",
                        n["person"].as_str().unwrap_or(""),
                        n["address"].as_str().unwrap_or("")
                    )
                })
                .collect::<Vec<String>>()
        }
    };
    let first = enqueue_and_see("one").await;
    assert!(
        !first.is_empty() && first.iter().all(|p| p.starts_with("alice ")),
        "{first:?}"
    );

    // The ladder now pages bob: the next trigger pages bob.
    let mut body = to("bob");
    body["team"] = json!("payments");
    let admin = app.admin.clone();
    let (s, v) = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/services/web",
            Some(&admin),
            Some(body),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let second = enqueue_and_see("two").await;
    assert!(
        !second.is_empty() && second.iter().all(|p| p.starts_with("bob ")),
        "{second:?}"
    );

    // Bob's number changes: the next page goes to the new number.
    let (s, v) = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/people/bob",
            Some(&admin),
            Some(json!({ "name": "bob", "phone": "+15557654321", "timezone": "America/New_York" })),
        )
        .await;
    assert!(s.is_success(), "{v}");
    let third = enqueue_and_see("three").await;
    let numbers: Vec<&String> = third.iter().filter(|p| p.contains('+')).collect();
    assert!(!numbers.is_empty(), "{third:?}");
    assert!(
        numbers.iter().all(|p| *p == "bob +15557654321"),
        "{third:?}"
    );
    app.stop().await;
}

both!(
    edits_reach_the_next_trigger_sqlite,
    edits_reach_the_next_trigger_postgres,
    edits_reach_the_next_trigger
);
