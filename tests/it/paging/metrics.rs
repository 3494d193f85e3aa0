//! Operations signals: `/metrics` moves as a paging story does (requests
//! per route, intake, pages and first pages, provider errors, the outbox),
//! and JSON log lines parse and carry the alert through its send.

use super::*;
use reqwest::StatusCode;
use std::collections::HashMap;

/// `/metrics` as (name{labels} → value).
async fn scrape(app: &TestApp) -> HashMap<String, f64> {
    let (s, v) = app.get("/metrics").await;
    assert_eq!(s, StatusCode::OK);
    let text = v.as_str().expect("Prometheus text").to_string();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let (k, v) = l.rsplit_once(' ')?;
            Some((k.to_string(), v.parse::<f64>().ok()?))
        })
        .collect()
}

fn get(m: &HashMap<String, f64>, key: &str) -> f64 {
    m.get(key).copied().unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_move_as_a_paging_story_does() {
    let (app, fake) = paging_app(Backend::Sqlite).await;
    let key = service(&app, "payments-api", ladder()).await;
    let before = scrape(&app).await;
    assert!(
        get(&before, "process_resident_memory_bytes") > 0.0,
        "{before:?}"
    );
    assert!(before.contains_key("process_cpu_seconds_total"));
    assert!(get(&before, "process_open_fds") > 0.0);
    let (s, v) = trigger(&app, &key, p1("disk full")).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let first_sms = fake.all().iter().filter(|r| r.kind == "sms").count();
    assert!(first_sms >= 1, "the primary was paged by SMS");
    let m = scrape(&app).await;
    let route = r#"method="POST",route="/api/v1/alerts""#;
    assert_eq!(
        get(
            &m,
            &format!(r#"vigil_http_requests_total{{{route},status="2xx"}}"#)
        ),
        1.0,
        "{m:?}"
    );
    assert_eq!(
        get(
            &m,
            &format!("vigil_http_request_duration_seconds_count{{{route}}}")
        ),
        1.0
    );
    assert_eq!(
        get(
            &m,
            r#"vigil_intake_events_total{source="api",outcome="accepted"}"#
        ),
        1.0
    );
    let sms = r#"{channel="sms"}"#;
    assert_eq!(
        get(&m, &format!("vigil_page_latency_seconds_count{sms}")),
        first_sms as f64
    );
    assert_eq!(
        get(
            &m,
            &format!("vigil_trigger_to_first_page_seconds_count{sms}")
        ),
        first_sms as f64,
        "each first page is counted once"
    );
    // Nothing left due once the dispatcher settles.
    assert_eq!(get(&m, "vigil_outbox_due"), 0.0, "{m:?}");
    assert_eq!(get(&m, "vigil_outbox_oldest_due_age_seconds"), 0.0);

    // Nobody acknowledges: stage 2 pages the secondary. More pages, but
    // no more first pages.
    advance(&app, 6 * 60).await;
    let all_sms = fake.all().iter().filter(|r| r.kind == "sms").count();
    assert!(all_sms > first_sms, "stage 2 paged");
    let m2 = scrape(&app).await;
    assert_eq!(
        get(&m2, &format!("vigil_page_latency_seconds_count{sms}")),
        all_sms as f64
    );
    assert_eq!(
        get(
            &m2,
            &format!("vigil_trigger_to_first_page_seconds_count{sms}")
        ),
        first_sms as f64
    );
    // The scrapes themselves are counted under their route.
    assert!(
        get(
            &m2,
            r#"vigil_http_requests_total{method="GET",route="/metrics",status="2xx"}"#
        ) >= 2.0
    );

    // The provider fails: counted by class, and the page waits its retry.
    fake.faults.lock().expect("faults").fail = 1.0;
    let (s, _) = trigger(
        &app,
        &key,
        json!({ "service": "payments-api", "summary": "db down", "priority": "P1", "dedup_key": "db" }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let m3 = scrape(&app).await;
    assert!(
        get(
            &m3,
            r#"vigil_provider_errors_total{channel="sms",class="retryable"}"#
        ) >= 1.0,
        "{m3:?}"
    );
    assert!(
        get(&m3, "vigil_outbox_pending") >= 1.0,
        "the failed page waits"
    );
    // A request nobody routes is counted as unmatched, not by its path.
    let _ = app.get("/no/such/path/12345").await;
    let m4 = scrape(&app).await;
    assert_eq!(
        get(
            &m4,
            r#"vigil_http_requests_total{method="GET",route="unmatched",status="4xx"}"#
        ),
        1.0
    );
    assert!(!m4.keys().any(|k| k.contains("12345")));
    fake.faults.lock().expect("faults").fail = 0.0;
    app.stop().await;
}

/// With `VIGIL_LOG_FORMAT=json` every line `vigil serve` writes is a JSON
/// object, with no ANSI escapes, and the alert's id is on its trigger,
/// its paging and the send of its page (the `alert` and `send` spans).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_log_lines_parse_and_follow_a_page() {
    use super::procs::{Serve, post_until_accepted, setup};
    let fake = Fake::start().await;
    let dir = std::env::temp_dir().join(format!("vigil-logs-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).expect("dir");
    let (db_url, _) = crate::server::fresh_database(&Backend::Sqlite, &dir).await;
    let mut srv = Serve::start_with(
        &db_url,
        &dir,
        "logs",
        &fake,
        &[("VIGIL_LOG_FORMAT", "json"), ("RUST_LOG", "info")],
    );
    let http = reqwest::Client::new();
    let stages = json!([{ "timeout": "5m", "targets": ["oncall:*/primary"] }]);
    let (key, primary, _) = setup(&http, &srv.base, &srv.admin(), stages).await;
    post_until_accepted(&http, std::slice::from_ref(&srv.base), &key, "logged").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while fake.to("sms", &phone(&primary)).is_empty() {
        assert!(std::time::Instant::now() < deadline, "no SMS sent");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let alerts: serde_json::Value = http
        .get(format!("{}/api/v1/alerts", srv.base))
        .bearer_auth(srv.admin())
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let id = alerts["alerts"][0]["id"]
        .as_str()
        .expect("an alert")
        .to_string();
    srv.terminate();
    let log = std::fs::read_to_string(dir.join("serve-logs.log")).expect("log");
    let lines: Vec<serde_json::Value> = log
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            assert!(!l.contains('\u{1b}'), "no ANSI escapes: {l}");
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))
        })
        .collect();
    assert!(lines.len() >= 3, "{log}");
    for l in &lines {
        assert!(l["timestamp"].is_string() && l["level"].is_string(), "{l}");
    }
    let with_span = |name: &str, msg: &str| {
        lines.iter().any(|l| {
            l["fields"]["message"] == msg
                && l["span"]["name"] == name
                && (l["span"]["id"] == id.as_str() || l["span"]["alert"] == id.as_str())
        })
    };
    assert!(with_span("alert", "alert triggered"), "trigger: {log}");
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["message"] == "paging" && l["fields"]["alert"] == id.as_str()),
        "paging: {log}"
    );
    assert!(with_span("send", "sent"), "send: {log}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// On PostgreSQL an instance hears of work another one made at once (a
/// notification at commit), not at its next sweep: here the sweep is an
/// hour, the instance that takes the alert in does not dispatch, and the
/// other sends the page all the same.
#[tokio::test]
async fn another_instance_sends_at_once_what_one_took_in_on_postgres() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let fake = Fake::start().await;
    let a = TestApp::spawn_with(backend, |c| {
        c.notify = notify_for(&fake);
        c.dispatch.enabled = false;
        c.dispatch.sweep = std::time::Duration::from_secs(3600);
    })
    .await;
    let dir = std::env::temp_dir().join(format!("vigil-it-wake-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).expect("dir");
    let b = TestApp::spawn_on_with(&a.db_url, dir, |c| {
        c.notify = notify_for(&fake);
        c.dispatch.sweep = std::time::Duration::from_secs(3600);
        c.dispatch.instance = "b".into();
    })
    .await;
    for h in PEOPLE {
        let (s, v) = a
            .call(
                reqwest::Method::PUT,
                &format!("/api/v1/people/{h}"),
                Some(&a.admin.clone()),
                Some(json!({ "name": h, "phone": phone(h), "rules": { "P1": ["sms"] } })),
            )
            .await;
        assert!(s.is_success(), "{v}");
    }
    let key = service(&a, "payments-api", ladder()).await;
    // Let b's dispatcher finish its start-up pass and go to sleep.
    b.dispatch.settle().await;
    let before = fake.count();
    // (Not `trigger`: it waits for a's dispatcher, which is off.)
    let (s, _, v) = a
        .call_full(
            reqwest::Method::POST,
            "/api/v1/alerts",
            None,
            Some(p1("woken")),
            &[("X-Vigil-Integration-Key", &key)],
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while fake.count() == before {
        assert!(
            std::time::Instant::now() < deadline,
            "the other instance never sent the page (its sweep is an hour away)"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    b.stop().await;
    a.stop().await;
}
