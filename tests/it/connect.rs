//! The "Connect it" recipes in docs/connect.md, used as they stand: the
//! Alertmanager file against a real Alertmanager and a real server, the
//! Grafana payload and priority table, the Slack manifest, the systemd unit.

use crate::paging::{ladder, on_call, paging_app, phone, service};
use crate::server::{Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

const DOC: &str = include_str!("../../docs/connect.md");

/// The fenced block that follows `<!-- name -->` in the doc.
fn block(name: &str) -> String {
    let marker = format!("<!-- {name} -->");
    let at = DOC.find(&marker).expect("the marker is in docs/connect.md") + marker.len();
    let rest = &DOC[at..];
    let open = rest.find("```").expect("a fenced block");
    let body = &rest[open..];
    let start = body.find('\n').expect("fence line") + 1;
    let end = body[start..].find("```").expect("closing fence") + start;
    body[start..end].to_string()
}

async fn key(app: &TestApp, kind: &str) -> String {
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/services/web/keys",
            Some(&app.admin.clone()),
            Some(json!({ "kind": kind })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["key"].as_str().expect("key").to_string()
}

async fn alerts_of(app: &TestApp) -> Vec<Value> {
    let (_, v) = app.get("/api/v1/alerts?service=web").await;
    v["alerts"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn the_alertmanager_recipe_pages_through_a_real_alertmanager() {
    let Ok(am) = which("prometheus-alertmanager") else {
        eprintln!(
            "skipping the Alertmanager recipe test: prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager; .ci/run does)"
        );
        return;
    };
    let (app, fake) = paging_app(Backend::Sqlite).await;
    service(&app, "web", ladder()).await;
    let events = key(&app, "events").await;
    let webhook = key(&app, "alertmanager").await;
    let config = block("alertmanager.yml")
        .replace("https://vigil.example.com", &app.base)
        .replace("EVENTS_KEY", &events)
        .replace("ALERTMANAGER_KEY", &webhook);
    let dir = std::env::temp_dir().join(format!("vigil-am-{}", rand::random::<u32>()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("alertmanager.yml"), &config).expect("config");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let mut child = std::process::Command::new(am)
        .arg(format!(
            "--config.file={}",
            dir.join("alertmanager.yml").display()
        ))
        .arg(format!("--storage.path={}", dir.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(std::process::Stdio::null())
        .stderr(
            std::fs::File::create(dir.join("am.log"))
                .map(std::process::Stdio::from)
                .expect("log"),
        )
        .spawn()
        .expect("alertmanager starts");
    let am_url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..100 {
        if http
            .get(format!("{am_url}/-/ready"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = || std::fs::read_to_string(dir.join("am.log")).unwrap_or_default();
    assert!(ready, "alertmanager is not ready: {}", log());
    let fire = |ends: Option<String>| {
        let mut a = json!([
            { "labels": { "alertname": "DiskFull", "service": "db", "severity": "critical" },
              "annotations": { "summary": "Disk full on db-1" } },
            { "labels": { "alertname": "QueueBacklog", "route": "webhook", "severity": "critical" },
              "annotations": { "summary": "Queue backlog" } },
        ]);
        if let Some(e) = ends {
            for x in a.as_array_mut().expect("array") {
                x["endsAt"] = json!(e);
            }
        }
        a
    };
    let r = http
        .post(format!("{am_url}/api/v2/alerts"))
        .json(&fire(None))
        .send()
        .await
        .expect("post");
    assert!(
        r.status().is_success(),
        "{}",
        r.text().await.unwrap_or_default()
    );
    // Both routes open a P1 and page the primary.
    let primary = on_call(&app, "primary").await;
    let mut opened = Vec::new();
    for _ in 0..300 {
        app.dispatch.settle().await;
        opened = alerts_of(&app).await;
        if opened.len() == 2 && paged_by_sms(&app, &opened).await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        opened.len(),
        2,
        "both routes reach Vigil: {opened:?}\n{}",
        log()
    );
    for a in &opened {
        assert_eq!(a["priority"], "P1", "{a}");
        assert_eq!(a["status"], "triggered", "{a}");
    }
    let sources: Vec<&str> = opened.iter().filter_map(|a| a["source"].as_str()).collect();
    assert!(
        sources.contains(&"alertmanager"),
        "the webhook route: {sources:?}"
    );
    // Each was paged by SMS (two pages due together may share one message).
    assert!(paged_by_sms(&app, &opened).await, "both paged");
    assert!(
        !fake.to("sms", &phone(&primary)).is_empty(),
        "at the fake provider"
    );
    // Resolving in Alertmanager resolves both in Vigil.
    // Alertmanager runs on the wall clock: its alerts end now, by that clock.
    let now = vigil::clock::Clock::now(&vigil::clock::SystemClock)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let r = http
        .post(format!("{am_url}/api/v2/alerts"))
        .json(&fire(Some(now)))
        .send()
        .await
        .expect("post");
    assert!(r.status().is_success());
    let mut resolved = 0;
    for _ in 0..900 {
        resolved = alerts_of(&app)
            .await
            .iter()
            .filter(|a| a["status"] == "resolved")
            .count();
        if resolved == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(resolved, 2, "both resolved through Alertmanager: {}", log());
    let _ = std::fs::remove_dir_all(&dir);
    app.stop().await;
}

/// Whether every alert has a sent SMS notification.
async fn paged_by_sms(app: &TestApp, alerts: &[Value]) -> bool {
    for a in alerts {
        let id = a["id"].as_str().unwrap_or("");
        let d = crate::paging::alert(app, id).await;
        let sent = d["notifications"].as_array().is_some_and(|n| {
            n.iter()
                .any(|n| n["channel"] == "sms" && n["status"] == "sent")
        });
        if !sent {
            return false;
        }
    }
    true
}

fn which(name: &str) -> Result<String, ()> {
    for d in std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .chain(["/usr/bin"])
    {
        let p = std::path::Path::new(d).join(name);
        if p.is_file() {
            return Ok(p.display().to_string());
        }
    }
    Err(())
}

/// The rows of the Grafana priority table: (labels as `k=v`, priority).
fn priority_table() -> Vec<(Vec<(String, String)>, String)> {
    let at = DOC
        .find("| alert rule label | Vigil priority |")
        .expect("the table");
    let mut out = Vec::new();
    for line in DOC[at..].lines().skip(2) {
        if !line.starts_with('|') {
            break;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (labels, prio) = (cells[1], cells[2]);
        let ticks: Vec<&str> = labels.split('`').skip(1).step_by(2).collect();
        let mut key = "severity".to_string();
        let mut rows = Vec::new();
        for t in ticks {
            let (k, v) = match t.split_once('=') {
                Some((k, v)) => {
                    key = k.to_string();
                    (k.to_string(), v.to_string())
                }
                None => (key.clone(), t.to_string()),
            };
            rows.push((k, v));
        }
        if rows.is_empty() {
            out.push((Vec::new(), prio.to_string()));
        }
        for (k, v) in rows {
            let want = if prio.starts_with("that") {
                v.clone()
            } else {
                prio.to_string()
            };
            out.push((vec![(k, v)], want));
        }
    }
    out
}

#[tokio::test]
async fn the_grafana_recipe_gets_the_documented_priorities() {
    let (app, _fake) = paging_app(Backend::Sqlite).await;
    service(&app, "web", ladder()).await;
    let webhook = key(&app, "alertmanager").await;
    let payload: Value =
        serde_json::from_str(&block("grafana-payload")).expect("the documented payload is JSON");
    let table = priority_table();
    assert!(table.len() >= 10, "{table:?}");
    for (i, (labels, want)) in table.iter().enumerate() {
        let mut p = payload.clone();
        let mut set = json!({ "alertname": format!("Rule{i}") });
        for (k, v) in labels {
            set[k] = json!(v);
        }
        p["commonLabels"] = set.clone();
        p["alerts"][0]["labels"] = set;
        p["groupKey"] = json!(format!("{{}}:{{alertname=\"Rule{i}\"}}"));
        let (s, v) = app
            .call(
                Method::POST,
                &format!("/api/v1/integrations/alertmanager/{webhook}"),
                None,
                Some(p),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let a = alerts_of(&app).await;
        let got = a
            .iter()
            .find(|a| {
                a["summary"]
                    .as_str()
                    .is_some_and(|s| s.contains(&format!("Rule{i}")))
                    || a["dedup_key"]
                        .as_str()
                        .is_some_and(|k| k.contains(&format!("Rule{i}")))
            })
            .unwrap_or_else(|| panic!("an alert for row {i}: {a:?}"));
        assert_eq!(got["priority"], json!(want), "labels {labels:?}");
    }
    // The documented payload itself, as Grafana sends it: critical → P1.
    let (s, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/integrations/alertmanager/{webhook}"),
            None,
            Some(payload),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    app.stop().await;
}

#[test]
fn the_slack_manifest_names_the_interactivity_url_vigil_serves() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/contrib/slack-app-manifest.json"
    ))
    .expect("the manifest");
    let m: Value = serde_json::from_str(&text).expect("the manifest is JSON");
    let url = m["settings"]["interactivity"]["request_url"]
        .as_str()
        .expect("an interactivity URL");
    let path = url
        .strip_prefix("https://vigil.example.com")
        .expect("the documented host");
    assert!(
        vigil::api::route_table()
            .iter()
            .any(|(method, p)| *method == "post" && p == path),
        "Vigil serves POST {path}"
    );
    assert_eq!(m["settings"]["interactivity"]["is_enabled"], true);
    let events = m["settings"]["event_subscriptions"]["request_url"]
        .as_str()
        .and_then(|u| u.strip_prefix("https://vigil.example.com"))
        .expect("an events URL on the documented host");
    assert!(
        vigil::api::route_table()
            .iter()
            .any(|(method, p)| *method == "post" && p == events),
        "Vigil serves POST {events}"
    );
    let scopes = m["oauth_config"]["scopes"]["bot"]
        .as_array()
        .expect("bot scopes");
    for scope in ["chat:write", "im:history", "usergroups:write"] {
        assert!(scopes.contains(&json!(scope)), "{scope}: {scopes:?}");
    }
    assert!(DOC.contains("contrib/slack-app-manifest.json"));
}

#[test]
fn the_systemd_unit_verifies() {
    let unit = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/contrib/vigil.service"
    ))
    .expect("unit");
    assert!(unit.contains("ExecStart=/usr/local/bin/vigil serve"));
    let Ok(analyze) = which("systemd-analyze") else {
        eprintln!("skipping systemd-analyze verify: systemd-analyze is not installed");
        return;
    };
    // Verify checks that ExecStart exists: point it at the binary under test.
    let dir = std::env::temp_dir().join(format!("vigil-unit-{}", rand::random::<u32>()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("vigil.service");
    std::fs::write(
        &path,
        unit.replace("/usr/local/bin/vigil", env!("CARGO_BIN_EXE_vigil")),
    )
    .expect("unit");
    let out = std::process::Command::new(analyze)
        .arg("verify")
        .arg(&path)
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    let _ = std::fs::remove_dir_all(&dir);
    // Lines about the host (no systemd running in a container) are not the unit's.
    let about_unit: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("vigil.service"))
        .collect();
    assert!(
        out.status.success() && about_unit.is_empty(),
        "systemd-analyze verify: {err}"
    );
}

async fn doctor(db_url: &str, public_url: &str) -> (i32, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["doctor", "--database-url", db_url])
        .env("VIGIL_PUBLIC_URL", public_url)
        .output()
        .await
        .expect("vigil doctor runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test]
async fn doctor_checks_that_the_public_url_answers() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (_, out) = doctor(&app.db_url, &app.base).await;
    assert!(
        out.contains(&format!("ok    public_url {} answers", app.base)),
        "{out}"
    );
    let (code, out) = doctor(&app.db_url, "http://127.0.0.1:9").await;
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL  public_url http://127.0.0.1:9 does not answer from here"),
        "{out}"
    );
    let (_, out) = doctor(&app.db_url, "http://127.0.0.1:8080").await;
    assert!(out.contains("warn  public_url is not set"), "{out}");
    app.stop().await;
}

#[tokio::test]
async fn alertmanager_default_pagerduty_severity_yields_to_the_label_in_the_details() {
    let (app, _fake) = paging_app(Backend::Sqlite).await;
    service(&app, "web", ladder()).await;
    let events = key(&app, "events").await;
    for (i, details, want) in [
        (0, json!({ "severity": "critical", "firing": "…" }), "P1"),
        (1, json!({ "priority": "P4" }), "P4"),
        (2, json!({ "num_firing": "1" }), "P2"),
    ] {
        let (s, v) = app
            .call(
                Method::POST,
                "/v2/enqueue",
                None,
                Some(json!({
                    "routing_key": events, "event_action": "trigger", "dedup_key": format!("am-{i}"),
                    "payload": { "summary": format!("rule {i}"), "source": "alertmanager",
                                 "severity": "error", "custom_details": details },
                })),
            )
            .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{v}");
        let a = alerts_of(&app).await;
        let got = a
            .iter()
            .find(|a| a["dedup_key"] == format!("am-{i}"))
            .expect("the alert");
        assert_eq!(got["priority"], want, "{i}");
    }
    app.stop().await;
}
