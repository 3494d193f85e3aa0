//! Provider faults, on the real clock: the fake fails 30 % of requests with
//! 503 and hangs on 5 %; every page still lands inside its stage timeout.

use super::*;
use crate::server::Backend;
use std::time::Duration;

#[tokio::test]
async fn pages_land_within_the_stage_timeout_when_the_provider_fails_and_hangs() {
    if !crate::helpers::chaos(
        "pages_land_within_the_stage_timeout_when_the_provider_fails_and_hangs",
    ) {
        return;
    }
    let fake = Fake::start().await;
    {
        let mut f = fake.faults.lock().expect("lock");
        f.fail = 0.30;
        f.hang = 0.05;
    }
    let notify = notify_for(&fake);
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.notify = notify;
        c.dispatch.send_timeout = Duration::from_millis(500);
        c.dispatch.lease = Duration::from_secs(2);
        c.dispatch.retry = vec![
            Duration::from_millis(200),
            Duration::from_millis(400),
            Duration::from_millis(800),
            Duration::from_millis(800),
            Duration::from_millis(800),
            Duration::from_millis(800),
        ];
        c.dispatch.sweep = Duration::from_millis(200);
        // Throttling is tested elsewhere; here every alert gets its own SMS.
        c.dispatch.throttle.clear();
    })
    .await;
    // The test's clock is manual; this test needs time to pass for real
    // (retries, timeouts), so a helper moves it along with the wall clock.
    let clock = app.clock.clone();
    let ticker = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(20)).await;
            clock.advance(chrono::Duration::milliseconds(20));
        }
    });
    for h in PEOPLE {
        app.call(
            reqwest::Method::PUT,
            &format!("/api/v1/people/{h}"),
            Some(&app.admin.clone()),
            Some(serde_json::json!({ "name": h, "phone": phone(h), "rules": { "P2": ["sms"] } })),
        )
        .await;
    }
    // Stage timeout 60 s; the person's only channel is SMS.
    let key = service(&app, "payments-api", serde_json::json!({ "ladder": { "stages": [{ "timeout": "60s", "targets": ["oncall:*/primary"] }] } })).await;
    let n = 100;
    let started = std::time::Instant::now();
    for i in 0..n {
        let (s, _, v) = app.call_full(reqwest::Method::POST, "/api/v1/alerts", None,
            Some(serde_json::json!({ "service": "payments-api", "summary": format!("fault-{i:03}"), "priority": "P2", "dedup_key": format!("f{i}") })),
            &[("X-Vigil-Integration-Key", &key)]).await;
        assert_eq!(s, reqwest::StatusCode::CREATED, "{v}");
    }
    // Every alert's page is recorded sent within 60 s of its creation, and
    // the fake provider did receive each of those messages.
    let deadline = started + Duration::from_secs(70);
    let mut ids: Vec<String> = Vec::new();
    let (_, list) = app.get("/api/v1/alerts?limit=1000").await;
    for a in list["alerts"].as_array().expect("alerts") {
        ids.push(a["id"].as_str().expect("id").to_string());
    }
    assert_eq!(ids.len(), n);
    for id in &ids {
        loop {
            let a = alert(&app, id).await;
            let sent = a["notifications"]
                .as_array()
                .expect("notifications")
                .iter()
                .find(|o| o["status"] == "sent")
                .cloned();
            if let Some(o) = sent {
                let created = chrono::DateTime::parse_from_rfc3339(
                    a["created_at"].as_str().expect("created"),
                )
                .expect("rfc3339");
                let at =
                    chrono::DateTime::parse_from_rfc3339(o["sent_at"].as_str().expect("sent_at"))
                        .expect("rfc3339");
                assert!(
                    at - created <= chrono::Duration::seconds(60),
                    "{id} landed after {:?}",
                    at - created
                );
                let pid = o["provider_id"]
                    .as_str()
                    .expect("provider id")
                    .trim_start_matches("SM")
                    .to_string();
                assert!(
                    fake.all().iter().any(|r| r.idempotency_key == pid),
                    "the fake never received {pid}"
                );
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{id} was never sent ({} failures injected): {a}",
                fake.failed.lock().map(|f| *f).unwrap_or(0)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    eprintln!(
        "all {n} pages landed in {:?} with {} injected 503s",
        started.elapsed(),
        fake.failed.lock().map(|f| *f).unwrap_or(0)
    );
    ticker.abort();
    app.stop().await;
}
