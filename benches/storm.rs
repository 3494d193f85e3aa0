//! Alert storms and scale-out (`cargo bench --bench storm -- [postgres URL]`):
//! the real server in-process on the system clock, a fake Twilio SMS API on
//! loopback that stamps each message as it arrives, 1,300 people each
//! paged by SMS by a service of their own, and load from this process
//! through the PagerDuty Events API (`/v2/enqueue`), every trigger a new
//! dedup key.
//!
//! 1. `intake`: 16 clients post new alerts for 10 s; accepted alerts per
//!    second, and when the last of their pages reached the provider.
//! 2. `storm`: 10,000 new alerts from 64 clients as fast as they are taken;
//!    time from the first post to the last page at the provider.
//! 3. `latency`: a steady 100 new alerts/s for 30 s to distinct people;
//!    from the moment each trigger is sent to its SMS reaching the fake
//!    (p50, p99).
//! 4. `wake` (PostgreSQL): a second instance, the only one dispatching,
//!    pages alerts the first takes in; from the send to the SMS (p50, max).
//!
//! VIGIL_BENCH_ONLY=intake,intake64,storm,latency,wake picks parts
//! (intake64, the intake from 64 clients, runs only when named).

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use vigil::app::App;
use vigil::clock::SystemClock;

mod common;

const PEOPLE: usize = 1300;

/// Arrivals at the fake: summary token → first arrival, and a count.
#[derive(Clone, Default)]
struct Fake {
    seen: Arc<Mutex<HashMap<String, Instant>>>,
    count: Arc<AtomicUsize>,
    last: Arc<Mutex<Option<Instant>>>,
}

async fn receive(State(f): State<Fake>, body: Bytes) -> (axum::http::StatusCode, String) {
    let now = Instant::now();
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let text = form.get("Body").cloned().unwrap_or_default();
    {
        let mut seen = f.seen.lock().expect("lock");
        // Every token "#name#" in the text: a bundle names several alerts.
        for tok in text.split('#').skip(1).step_by(2) {
            seen.entry(tok.to_string()).or_insert(now);
        }
    }
    f.count.fetch_add(1, Ordering::SeqCst);
    *f.last.lock().expect("lock") = Some(now);
    let n = f.count.load(Ordering::SeqCst);
    (
        axum::http::StatusCode::CREATED,
        json!({ "sid": format!("SM{n}") }).to_string(),
    )
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return f64::NAN;
    }
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

struct Bench {
    http: reqwest::Client,
    base: String,
    keys: Vec<String>,
    fake: Fake,
}

impl Bench {
    /// Posts one new alert for person `i % PEOPLE` named `name`.
    async fn post(&self, i: usize, name: &str) -> bool {
        let body = json!({ "routing_key": self.keys[i % PEOPLE], "event_action": "trigger",
            "dedup_key": name, "payload": { "summary": format!("#{name}#"), "source": "bench", "severity": "critical" } });
        match self
            .http
            .post(format!("{}/v2/enqueue", self.base))
            .json(&body)
            .send()
            .await
        {
            Ok(r) => r.status().is_success(),
            Err(_) => false,
        }
    }

    /// Waits until every name in `names` reached the fake (or `within`
    /// passes); returns when the last one arrived and how many are missing.
    async fn delivered(&self, names: &[String], within: Duration) -> (Option<Instant>, usize) {
        let until = Instant::now() + within;
        loop {
            let (last, missing) = {
                let seen = self.fake.seen.lock().expect("lock");
                let mut last = None::<Instant>;
                let mut missing = 0;
                for n in names {
                    match seen.get(n) {
                        Some(t) => last = Some(last.map_or(*t, |l| l.max(*t))),
                        None => missing += 1,
                    }
                }
                (last, missing)
            };
            if missing == 0 || Instant::now() > until {
                return (last, missing);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn start(
    cfg: &vigil::config::Config,
) -> anyhow::Result<(
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
)> {
    let app = App::build(cfg, Arc::new(SystemClock)).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stop_rx.await;
    }));
    Ok((base, stop_tx, server))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let postgres = std::env::args().skip(1).any(|a| a.starts_with("postgres"));
    let (dir, db) = common::database("storm_bench").await?;
    let fake = Fake::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let fake_url = format!("http://{}", listener.local_addr()?);
    let app_fake = Router::new().fallback(receive).with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, app_fake).await });

    let mut cfg = common::config(&dir, &db)?;
    cfg.notify.twilio_api_url = fake_url.clone();
    cfg.notify.twilio_account_sid = Some("AC1".into());
    cfg.notify.twilio_auth_token = Some("bench-token".to_string().into());
    cfg.notify.twilio_from = Some("+15550000000".into());
    // One page per alert: no per-number budget in the way.
    cfg.dispatch.throttle.insert("sms".into(), 1_000_000);
    let only = std::env::var("VIGIL_BENCH_ONLY").unwrap_or_default();
    let part = |name: &str| only.is_empty() || only.split(',').any(|p| p == name);
    let mut first_cfg = cfg.clone();
    if postgres && part("wake") && only == "wake" {
        // Only the second instance dispatches (see part 4).
        first_cfg.dispatch.enabled = false;
    }
    let (base, stop_tx, server) = start(&first_cfg).await?;
    let admin = std::fs::read_to_string(dir.join("admin-token"))?
        .trim()
        .to_string();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;

    // 1,300 people reachable by SMS only, a service and key each.
    let t = Instant::now();
    let mut keys = Vec::with_capacity(PEOPLE);
    for p in 0..PEOPLE {
        let r = http
            .put(format!("{base}/api/v1/people/p{p:04}"))
            .bearer_auth(&admin)
            .json(&json!({ "name": format!("P {p}"), "phone": format!("+1555{:07}", 1_000_000 + p), "rules": { "P1": ["sms"] } }))
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "person: {}", r.text().await?);
        let r = http
            .put(format!("{base}/api/v1/services/s{p:04}"))
            .bearer_auth(&admin)
            .json(&json!({ "team": "payments", "ladder": { "stages": [
                { "timeout": "1h", "targets": [format!("person:p{p:04}")] } ] } }))
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "service: {}", r.text().await?);
        let k: Value = http
            .post(format!("{base}/api/v1/services/s{p:04}/keys"))
            .bearer_auth(&admin)
            .json(&json!({}))
            .send()
            .await?
            .json()
            .await?;
        keys.push(k["key"].as_str().unwrap_or("").to_string());
    }
    println!(
        "setup: {PEOPLE} people, services and keys in {:.1} s ({})",
        t.elapsed().as_secs_f64(),
        if postgres { "PostgreSQL" } else { "SQLite" }
    );
    let b = Arc::new(Bench {
        http: http.clone(),
        base: base.clone(),
        keys,
        fake: fake.clone(),
    });

    // 1. Sustained intake for 10 s from 16 clients (`intake64`: from 64).
    for (name, clients) in [("intake", 16), ("intake64", 64)] {
        if !part(name) || (name == "intake64" && only.is_empty()) {
            continue;
        }
        let start = Instant::now();
        let until = start + Duration::from_secs(10);
        let mut tasks = tokio::task::JoinSet::new();
        for c in 0..clients {
            let b = b.clone();
            tasks.spawn(async move {
                let mut names = Vec::new();
                let mut n = 0;
                while Instant::now() < until {
                    let name = format!("in-{c}-{n}");
                    if b.post(c + clients * n, &name).await {
                        names.push(name);
                    }
                    n += 1;
                }
                names
            });
        }
        let names: Vec<String> = tasks.join_all().await.into_iter().flatten().collect();
        let took = start.elapsed().as_secs_f64();
        let (last, missing) = b.delivered(&names, Duration::from_secs(120)).await;
        println!(
            "{name}: {} new alerts accepted in {took:.1} s = {:.0}/s ({clients} clients); last page at the provider {:.1} s after the first post; {missing} never paged",
            names.len(),
            names.len() as f64 / took,
            last.map_or(f64::NAN, |l| l.duration_since(start).as_secs_f64()),
        );
    }

    // 2. A storm: 10,000 new alerts from 64 clients.
    if part("storm") {
        let next = Arc::new(AtomicUsize::new(0));
        let retried = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..64 {
            let (b, next, retried) = (b.clone(), next.clone(), retried.clone());
            tasks.spawn(async move {
                let mut names = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= 10_000 {
                        break;
                    }
                    let name = format!("st-{i}");
                    while !b.post(i, &name).await {
                        retried.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    names.push(name);
                }
                names
            });
        }
        let names: Vec<String> = tasks.join_all().await.into_iter().flatten().collect();
        let taken = start.elapsed().as_secs_f64();
        let (last, missing) = b.delivered(&names, Duration::from_secs(120)).await;
        println!(
            "storm: 10,000 new alerts to {PEOPLE} people taken in {taken:.2} s ({} posts answered 503 and sent again); last page at the provider {:.2} s after the first post; {missing} never paged",
            retried.load(Ordering::SeqCst),
            last.map_or(f64::NAN, |l| l.duration_since(start).as_secs_f64()),
        );
    }

    // 3. 100 new alerts/s for 30 s, each to a person not paged for 13 s.
    if part("latency") {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let sent: Arc<Mutex<Vec<(String, Instant)>>> = Default::default();
        let mut tick = tokio::time::interval(Duration::from_millis(10));
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..3000 {
            tick.tick().await;
            let (b, sent) = (b.clone(), sent.clone());
            tasks.spawn(async move {
                let name = format!("lat-{i}");
                let at = Instant::now();
                if b.post(i, &name).await {
                    sent.lock().expect("lock").push((name, at));
                }
            });
        }
        tasks.join_all().await;
        let sent = sent.lock().expect("lock").clone();
        let names: Vec<String> = sent.iter().map(|(n, _)| n.clone()).collect();
        let (_, missing) = b.delivered(&names, Duration::from_secs(30)).await;
        let mut ms: Vec<f64> = {
            let seen = fake.seen.lock().expect("lock");
            sent.iter()
                .filter_map(|(n, at)| {
                    seen.get(n)
                        .map(|t| t.duration_since(*at).as_secs_f64() * 1000.0)
                })
                .collect()
        };
        println!(
            "latency: trigger sent → SMS at the provider, 100/s for 30 s: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms (n={}, {missing} missing)",
            pct(&mut ms, 0.5),
            pct(&mut ms, 0.9),
            pct(&mut ms, 0.99),
            pct(&mut ms, 1.0),
            ms.len()
        );
    }

    // 4. Cross-instance wake-up: instance A (not dispatching) takes alerts,
    //    instance B dispatches.
    if part("wake") && postgres {
        let mut b_cfg = cfg.clone();
        b_cfg.dispatch.instance = "bench-b".into();
        let (_b_base, b_stop, b_server) = start(&b_cfg).await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let mut ms = Vec::new();
        if only != "wake" {
            println!(
                "wake: run with VIGIL_BENCH_ONLY=wake so that only the second instance dispatches"
            );
        }
        for i in 0..30 {
            let name = format!("wake-{i}");
            let at = Instant::now();
            anyhow::ensure!(b.post(i, &name).await, "trigger refused");
            let (t, missing) = b
                .delivered(std::slice::from_ref(&name), Duration::from_secs(10))
                .await;
            if missing == 0
                && let Some(t) = t
            {
                ms.push(t.duration_since(at).as_secs_f64() * 1000.0);
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        println!(
            "wake: trigger on one instance → SMS sent by the other: p50 {:.1} ms, p90 {:.1} ms, max {:.1} ms (n={})",
            pct(&mut ms, 0.5),
            pct(&mut ms, 0.9),
            pct(&mut ms, 1.0),
            ms.len()
        );
        let _ = b_stop.send(());
        let _ = b_server.await;
    }

    let _ = stop_tx.send(());
    let _ = server.await;
    common::cleanup("storm_bench", &dir).await;
    Ok(())
}
