//! Dispatcher benchmark (`cargo bench --bench dispatch -- [sqlite|postgres URL]`):
//! the real server in-process on the system clock, a fake webhook receiver on
//! loopback, and load from this process.
//!
//! 1. Steady 100 alerts/s for 30 s: from the POST's answer to the fake
//!    receiving the page (p50, p99); each alert has a 1 s first stage, so
//!    the second page measures timer lateness (due instant → received).
//! 2. PagerDuty-compatible intake of deduplicated events: 32 clients send
//!    the same trigger for 10 s; events per second.
//! 3. Resident memory (VmRSS of this process: server, fake and load
//!    together, so an upper bound) with 100,000 open alerts, each holding a
//!    pending timer.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use vigil::app::App;
use vigil::clock::SystemClock;

mod common;

type Seen = Arc<Mutex<HashMap<(String, String), Instant>>>;

async fn receive(State(seen): State<Seen>, uri: axum::http::Uri, body: Bytes) -> &'static str {
    let now = Instant::now();
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let id = v["alerts"][0]["id"].as_str().unwrap_or("").to_string();
    seen.lock()
        .expect("lock")
        .entry((uri.path().to_string(), id))
        .or_insert(now);
    "ok"
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return f64::NAN;
    }
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (dir, db) = common::database("dispatch_bench").await?;
    let seen: Seen = Default::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let fake = format!("http://{}", listener.local_addr()?);
    let app_fake = Router::new().fallback(receive).with_state(seen.clone());
    tokio::spawn(async move { axum::serve(listener, app_fake).await });

    let mut cfg = common::config(&dir, &db)?;
    // The fake receiver listens on loopback.
    cfg.notify.allow_private_webhooks = true;
    let app = App::build(&cfg, Arc::new(SystemClock)).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stop_rx.await;
    }));
    let admin = std::fs::read_to_string(dir.join("admin-token"))?
        .trim()
        .to_string();
    let http = reqwest::Client::new();
    let r = http
        .put(format!("{base}/api/v1/services/bench"))
        .bearer_auth(&admin)
        .json(&json!({ "team": "payments", "ladder": { "stages": [
            { "timeout": "1s", "targets": [format!("webhook:{fake}/stage-1")] },
            { "timeout": "1h", "targets": [format!("webhook:{fake}/stage-2")] } ] } }))
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "service: {}", r.text().await?);
    let key: Value = http
        .post(format!("{base}/api/v1/services/bench/keys"))
        .bearer_auth(&admin)
        .json(&json!({}))
        .send()
        .await?
        .json()
        .await?;
    let key = key["key"].as_str().unwrap_or("").to_string();

    // VIGIL_BENCH_ONLY=steady,pd,memory (any of them) runs only those parts.
    let only = std::env::var("VIGIL_BENCH_ONLY").unwrap_or_default();
    let part = |name: &str| only.is_empty() || only.split(',').any(|p| p == name);

    // 1. 100 alerts/s for 30 s.
    if part("steady") {
        let accepted: Arc<Mutex<HashMap<String, Instant>>> = Default::default();
        let mut tick = tokio::time::interval(Duration::from_millis(10));
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..3000 {
            tick.tick().await;
            let (http, base, key, accepted) =
                (http.clone(), base.clone(), key.clone(), accepted.clone());
            tasks.spawn(async move {
            let r = http
                .post(format!("{base}/api/v1/alerts"))
                .header("X-Vigil-Integration-Key", key)
                .json(&json!({ "service": "bench", "summary": format!("bench {i}"), "priority": "P2", "dedup_key": format!("b{i}") }))
                .send()
                .await
                .expect("sent");
            let at = Instant::now();
            let v: Value = r.json().await.expect("json");
            accepted.lock().expect("lock").insert(v["id"].as_str().unwrap_or("").to_string(), at);
        });
        }
        tasks.join_all().await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        let (mut first, mut late) = (Vec::new(), Vec::new());
        {
            let seen = seen.lock().expect("lock");
            for (id, at) in accepted.lock().expect("lock").iter() {
                if let Some(t) = seen.get(&("/stage-1".to_string(), id.clone())) {
                    first.push(t.saturating_duration_since(*at).as_secs_f64() * 1000.0);
                }
                if let Some(t) = seen.get(&("/stage-2".to_string(), id.clone())) {
                    let due = *at + Duration::from_secs(1);
                    late.push(t.saturating_duration_since(due).as_secs_f64() * 1000.0);
                }
            }
        }
        println!(
            "backend: {}",
            if db.starts_with("postgres") {
                "postgres"
            } else {
                "sqlite"
            }
        );
        println!(
            "steady 100/s x 30 s: {} alerts, first page received for {}; POST→first page p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            accepted.lock().expect("lock").len(),
            first.len(),
            pct(&mut first, 0.5),
            pct(&mut first, 0.99),
            pct(&mut first, 1.0)
        );
        println!(
            "timer lateness (stage 2 due → received), {} pages: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            late.len(),
            pct(&mut late, 0.5),
            pct(&mut late, 0.99),
            pct(&mut late, 1.0)
        );
    }

    // 2. Deduplicated PagerDuty events.
    if part("pd") {
        let body = json!({ "routing_key": key, "event_action": "trigger", "dedup_key": "same",
        "payload": { "summary": "flapping", "severity": "warning", "source": "bench" } });
        let end = Instant::now() + Duration::from_secs(10);
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..32 {
            let (http, base, body) = (http.clone(), base.clone(), body.clone());
            tasks.spawn(async move {
                let mut n = 0u64;
                while Instant::now() < end {
                    let r = http
                        .post(format!("{base}/v2/enqueue"))
                        .json(&body)
                        .send()
                        .await
                        .expect("sent");
                    if r.status().as_u16() == 202 {
                        n += 1;
                    }
                }
                n
            });
        }
        let total: u64 = tasks.join_all().await.into_iter().sum();
        println!(
            "PagerDuty v2 deduplicated events: {:.0} events/s (32 clients, 10 s)",
            total as f64 / 10.0
        );
    }

    // 3. 100,000 open alerts with pending timers (a 1 h stage 2 each).
    let rss = || {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines().find(|l| l.starts_with("VmRSS:")).map(|l| {
                    l.split_whitespace()
                        .nth(1)
                        .unwrap_or("0")
                        .parse::<u64>()
                        .unwrap_or(0)
                })
            })
            .unwrap_or(0)
    };
    if part("memory") {
        let before = rss();
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for c in 0..32 {
            let (http, base, key) = (http.clone(), base.clone(), key.clone());
            tasks.spawn(async move {
            for i in (c..100_000).step_by(32) {
                let r = http
                    .post(format!("{base}/api/v1/alerts"))
                    .header("X-Vigil-Integration-Key", &key)
                    .json(&json!({ "service": "bench", "summary": format!("open {i}"), "priority": "P4", "dedup_key": format!("o{i}") }))
                    .send()
                    .await
                    .expect("sent");
                assert!(r.status().is_success());
            }
        });
        }
        tasks.join_all().await;
        let took = started.elapsed();
        tokio::time::sleep(Duration::from_secs(5)).await;
        println!(
            "100,000 open alerts created in {:.1} s ({:.0}/s); VmRSS {} MB before, {} MB after",
            took.as_secs_f64(),
            100_000.0 / took.as_secs_f64(),
            before / 1024,
            rss() / 1024
        );
    }
    let _ = stop_tx.send(());
    let _ = server.await;
    common::cleanup("dispatch_bench", &dir).await;
    Ok(())
}
