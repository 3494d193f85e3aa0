//! Who may do what: overrides by members only, the bearer scheme in any
//! case, webhooks kept out of private networks, and two override writes
//! against one rota version cannot both land.

use super::{Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::json;

fn cover(person: &str, day: u32) -> serde_json::Value {
    json!({ "layer": "primary", "kind": "add", "person": person,
            "start": format!("2027-01-{day:02}T10:00:00Z"), "end": format!("2027-01-{day:02}T12:00:00Z"),
            "accept_violations": true })
}

#[tokio::test]
async fn a_responder_overrides_only_their_own_teams_rotas() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    // bob takes part in payments; the platform team's rota is not his.
    let bob = app.token("responder", &[], Some("bob")).await;
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/teams/platform/rotas/follow-the-sun/overrides",
            Some(&bob),
            Some(cover("bob", 5)),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/teams/payments/rotas/payments-weekly/overrides",
            Some(&bob),
            Some(cover("bob", 5)),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    app.stop().await;
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let r = app
            .http
            .get(format!("{}/api/v1/teams", app.base))
            .header("authorization", format!("{scheme} {}", app.admin))
            .send()
            .await
            .expect("sent");
        assert_eq!(r.status(), StatusCode::OK, "{scheme}");
    }
    app.stop().await;
}

#[tokio::test]
async fn webhooks_stay_out_of_private_networks_unless_allowed() {
    let app =
        TestApp::spawn_with(Backend::Sqlite, |c| c.notify.allow_private_webhooks = false).await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.1.2.3/x",
        "http://[::1]/x",
        "http://[fe80::1]/x",
        "https://localhost/x",
    ] {
        let (s, v) = app
            .call(
                Method::PUT,
                "/api/v1/services/vendor",
                Some(&app.admin.clone()),
                Some(json!({ "team": "payments", "ladder": { "stages": [{ "timeout": "5m", "targets": [format!("webhook:{url}")] }] } })),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {v}");
        assert_eq!(v["error"]["field"], "ladder.stages[0].targets[0]");
    }
    let (s, v) = app
        .call(
            Method::PUT,
            "/api/v1/services/vendor",
            Some(&app.admin.clone()),
            Some(json!({ "team": "payments", "ladder": { "stages": [{ "timeout": "5m", "targets": ["webhook:https://vendor.example/page"] }] } })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    app.stop().await;
}

/// At send time a name is resolved without its private addresses, so a
/// name that points at this machine reaches nothing.
#[tokio::test]
async fn a_webhook_name_that_resolves_privately_is_refused_at_send_time() {
    use vigil::delivery::plan::{Item, Message};
    use vigil::escalation::Priority;
    use vigil::escalation::rules::Channel;
    use vigil::notify::{Notifier, Outgoing};
    // A name of this machine other than "localhost" (refused by its text
    // alone), as /etc/hosts maps it to loopback.
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    let Some(name) = hosts
        .lines()
        .filter(|l| l.trim_start().starts_with("127."))
        .flat_map(|l| l.split_whitespace().skip(1))
        .find(|n| !n.contains("localhost"))
        .map(str::to_string)
    else {
        eprintln!("skipping: /etc/hosts names no loopback host besides localhost");
        return;
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let hook = vigil::notify::webhook::Webhook::new(
        reqwest::Client::new(),
        "secret".into(),
        std::time::Duration::from_secs(2),
        false,
    );
    let item = Item {
        id: "pg_1".into(),
        alert: "alt_1".into(),
        service: "web".into(),
        priority: Priority::P1,
        summary: "down".into(),
        source: "api".into(),
        link: None,
        open: true,
        channel: Channel::Webhook,
        address: format!("http://{name}:9/hook"),
        person: None,
        code: "1234".into(),
        attempts: 1,
        due_ms: 0,
        stage: 0,
        round: 0,
        triggered_ms: None,
    };
    let out = Outgoing {
        text: "down".into(),
        ack_url: String::new(),
        resolve_url: String::new(),
        console_url: String::new(),
        voice_callback: String::new(),
        status_callback: String::new(),
        idempotency_key: "pg_1".into(),
        now_ms: 0,
        message: Message {
            channel: Channel::Webhook,
            address: item.address.clone(),
            person: None,
            code: "1234".into(),
            items: vec![item],
        },
    };
    let err = hook.send(&out).await.expect_err("refused");
    assert!(format!("{err:?}").contains("private"), "{err:?}");
}

#[tokio::test]
async fn two_override_writes_against_one_version_give_one_201_and_one_409() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let path = "/api/v1/teams/payments/rotas/payments-weekly";
    let (_, h, _) = app
        .call_full(Method::GET, path, Some(&app.admin.clone()), None, &[])
        .await;
    let etag = h
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("etag")
        .to_string();
    let send = |day: u32| {
        let req = app
            .http
            .post(format!("{}{path}/overrides", app.base))
            .bearer_auth(&app.admin)
            .header("if-match", etag.clone())
            .json(&cover("erin", day));
        async move { req.send().await.expect("sent").status() }
    };
    let (a, b) = tokio::join!(send(6), send(7));
    let mut got = [a, b];
    got.sort();
    assert_eq!(got, [StatusCode::CREATED, StatusCode::CONFLICT]);
    app.stop().await;
}

/// Overrides take local times in the rota's zone, as rota files do.
#[tokio::test]
async fn overrides_take_local_times_in_the_rotas_zone() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let path = "/api/v1/teams/payments/rotas/payments-weekly/overrides";
    let body = |start: &str, end: &str| json!({ "layer": "primary", "kind": "add", "person": "erin", "start": start, "end": end, "accept_violations": true });
    let (s, v) = app
        .call(
            Method::POST,
            path,
            Some(&app.admin.clone()),
            Some(body("2027-01-12T09:00", "2027-01-12T17:00")),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["start"], "2027-01-12T14:00:00Z", "09:00 in New York");
    assert_eq!(v["end"], "2027-01-12T22:00:00Z");
    // 02:30 on 2027-03-14 does not exist in New York.
    let (s, v) = app
        .call(
            Method::POST,
            path,
            Some(&app.admin.clone()),
            Some(body("2027-03-14T02:30", "2027-03-14T05:00")),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["field"], "start");
    app.stop().await;
}
