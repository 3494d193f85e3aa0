//! Console benchmark (`cargo bench --bench console -- [sqlite|postgres URL]`):
//! the real server in-process on the system clock, 1,000 open alerts, and
//! from this process:
//!
//! 1. `GET /alerts` (the whole page, 1,000 alerts with their SLA clocks and
//!    who is being paged) 200 times in a row on one connection: latency
//!    percentiles. Loopback adds well under a millisecond, so this is server
//!    time to within that.
//! 2. SSE: an open `/events` stream; 100 times, an alert is acknowledged
//!    through the API and the time from the change's answer to the event's
//!    arrival is measured.
//!
//! 3. A rota's month calendar: a 3-layer rota (one with restricted hours)
//!    with 500 overrides inside the month, `GET /rotas/{team}/{rota}?view=month`
//!    200 times in a row: latency percentiles.
//!
//! 4. The Reports page over 10,000 alerts (the 1,000 above and 9,000 more,
//!    a fifth of them acknowledged and resolved), 100 times after 20
//!    warm-up: latency percentiles.
//!
//! The dispatcher is off (no sends), so the figures are the console's own.

use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use vigil::app::App;
use vigil::clock::SystemClock;

mod common;

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return f64::NAN;
    }
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn report(name: &str, v: &mut [f64]) {
    println!(
        "{name}: n={} p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        v.len(),
        pct(v, 0.5),
        pct(v, 0.9),
        pct(v, 0.99),
        pct(v, 1.0)
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (dir, db) = common::database("console_bench").await?;
    let mut cfg = common::config(&dir, &db)?;
    cfg.dispatch.enabled = false;
    let app = App::build(&cfg, Arc::new(SystemClock)).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stop_rx.await;
    }));
    let admin = std::fs::read_to_string(dir.join("admin-token"))?
        .trim()
        .to_string();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let r = http
        .put(format!("{base}/api/v1/services/bench"))
        .bearer_auth(&admin)
        .json(&json!({ "team": "payments", "ladder": { "stages": [
            { "timeout": "5m", "targets": ["oncall:*/primary"] },
            { "timeout": "5m", "targets": ["oncall:*/secondary"] } ] } }))
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "service: {}", r.text().await?);

    // 1,000 open alerts, all four priorities.
    let mut ids = Vec::new();
    for i in 0..1000 {
        let v: Value = http
            .post(format!("{base}/api/v1/alerts"))
            .bearer_auth(&admin)
            .json(
                &json!({ "service": "bench", "summary": format!("bench alert {i}: disk on db-{i}"),
                           "priority": format!("P{}", i % 4 + 1), "dedup_key": format!("c{i}") }),
            )
            .send()
            .await?
            .json()
            .await?;
        ids.push(v["id"].as_str().unwrap_or("").to_string());
    }

    // A console session (the admin token exchanged).
    let r = http
        .post(format!("{base}/login/token"))
        .form(&[("token", admin.as_str())])
        .send()
        .await?;
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or("")
        .to_string();
    anyhow::ensure!(!cookie.is_empty(), "no session");

    // 1. The Alerts page with 1,000 open alerts.
    let mut page = Vec::new();
    let mut size = 0;
    for i in 0..220 {
        let t = Instant::now();
        let r = http
            .get(format!("{base}/alerts"))
            .header("cookie", &cookie)
            .send()
            .await?;
        let body = r.bytes().await?;
        if i >= 20 {
            page.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        size = body.len();
    }
    println!("alerts page: {size} bytes, {} alert rows", 1000);
    report(
        "GET /alerts with 1,000 open alerts (200 runs after 20 warm-up)",
        &mut page,
    );

    // 2. SSE: change → event.
    let mut events = http
        .get(format!("{base}/events"))
        .header("cookie", &cookie)
        .send()
        .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Drain whatever the connection said first.
    while let Ok(Ok(Some(_))) =
        tokio::time::timeout(Duration::from_millis(300), events.chunk()).await
    {}
    let mut sse = Vec::new();
    for id in ids.iter().take(100) {
        let r = http
            .post(format!("{base}/api/v1/alerts/{id}/ack"))
            .bearer_auth(&admin)
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "ack: {}", r.status());
        let answered = Instant::now();
        let got = tokio::time::timeout(Duration::from_secs(5), events.chunk()).await;
        anyhow::ensure!(matches!(got, Ok(Ok(Some(_)))), "no event within 5 s");
        sse.push(answered.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(20)).await;
        while let Ok(Ok(Some(_))) =
            tokio::time::timeout(Duration::from_millis(5), events.chunk()).await
        {}
    }
    report(
        "acknowledgement answered → SSE event received (100 changes)",
        &mut sse,
    );

    // 3. A month calendar of a 3-layer rota with 500 overrides in the month.
    let month = vigil::clock::Clock::now(&SystemClock).date_naive();
    let first = chrono::Datelike::with_day(&month, 1).unwrap_or(month);
    let people = ["alice", "bob", "carol", "dave", "erin"];
    let overrides: Vec<Value> = (0..500)
        .map(|i| {
            let start = first.and_hms_opt(0, 0, 0).unwrap_or_default()
                + chrono::Duration::minutes(90 * i as i64);
            let end = start + chrono::Duration::hours(1);
            let layer = ["primary", "secondary", "nights"][i % 3];
            json!({ "layer": layer, "kind": "add",
                    "person": people[i % 5],
                    "start": start.format("%Y-%m-%dT%H:%M").to_string(),
                    "end": end.format("%Y-%m-%dT%H:%M").to_string() })
        })
        .collect();
    let weekly = |order: [&str; 4]| {
        json!([{ "cadence": "weekly", "handoff_day": "monday", "handoff_time": "09:00",
                 "start": "2026-01-05", "participants": order }])
    };
    let doc = json!({ "layers": [
        { "name": "primary", "rotations": weekly(["alice", "bob", "carol", "dave"]) },
        { "name": "secondary", "rotations": weekly(["carol", "dave", "alice", "bob"]) },
        { "name": "nights", "rotations": [{ "cadence": "daily", "handoff_time": "18:00",
            "start": "2026-01-05", "participants": ["erin", "bob"] }],
          "restrictions": [{ "from": "18:00", "to": "08:00" }] } ],
        "overrides": overrides });
    let r = http
        .put(format!("{base}/api/v1/teams/payments/rotas/bench-calendar"))
        .bearer_auth(&admin)
        .json(&json!({ "document": doc, "accept_violations": true }))
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "rota: {}", r.text().await?);
    let mut cal = Vec::new();
    let mut size = 0;
    for i in 0..220 {
        let t = Instant::now();
        let r = http
            .get(format!(
                "{base}/rotas/payments/bench-calendar?view=month&start={first}"
            ))
            .header("cookie", &cookie)
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "calendar: {}", r.status());
        let body = r.bytes().await?;
        if i >= 20 {
            cal.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        size = body.len();
    }
    println!("calendar page: {size} bytes");
    report(
        "GET a month calendar, 3 layers, 500 overrides in the month (200 runs after 20 warm-up)",
        &mut cal,
    );

    // 4. The Reports page over 10,000 alerts.
    for i in 1000..10_000 {
        let v: Value = http
            .post(format!("{base}/api/v1/alerts"))
            .bearer_auth(&admin)
            .json(
                &json!({ "service": "bench", "summary": format!("report alert {i}"),
                           "priority": format!("P{}", i % 4 + 1), "dedup_key": format!("r{i}") }),
            )
            .send()
            .await?
            .json()
            .await?;
        if i % 5 == 0 {
            let id = v["id"].as_str().unwrap_or("");
            for action in ["ack", "resolve"] {
                http.post(format!("{base}/api/v1/alerts/{id}/{action}"))
                    .bearer_auth(&admin)
                    .send()
                    .await?;
            }
        }
    }
    let today = vigil::clock::Clock::now(&SystemClock).date_naive();
    let from = today - chrono::Duration::days(27);
    let mut rep = Vec::new();
    let mut size = 0;
    for i in 0..120 {
        let t = Instant::now();
        let r = http
            .get(format!("{base}/reports?from={from}&to={today}"))
            .header("cookie", &cookie)
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "reports: {}", r.status());
        let body = r.bytes().await?;
        if i >= 20 {
            rep.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        size = body.len();
    }
    println!("reports page: {size} bytes");
    report(
        "GET /reports over 10,000 alerts, 4 weeks (100 runs after 20 warm-up)",
        &mut rep,
    );

    let _ = stop_tx.send(());
    let _ = server.await;
    common::cleanup("console_bench", &dir).await;
    Ok(())
}
