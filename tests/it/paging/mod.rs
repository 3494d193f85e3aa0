//! Paging stories: the real server with a manual clock, fake Twilio and
//! Slack on loopback, and a dispatcher the test waits for (`settle`) after
//! each step, so every assertion is on what a responder would have seen.

mod crash;
mod fake;
mod faults;
mod handoffs;
mod instances;
mod intake;
mod integrations;
mod metrics;
mod nobody;
mod procs;
mod replies;
mod reports;
mod slack_dm;
mod sms_forms;
mod stories;
mod swap_notices;
mod throttle;

pub use fake::{Fake, FakeSmtp};

use crate::server::{Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use vigil::config::NotifyConfig;

pub const TWILIO_TOKEN: &str = "twilio-auth-token";
pub const SLACK_SECRET: &str = "slack-signing-secret";
pub const PEOPLE: [&str; 6] = ["alice", "bob", "carol", "dave", "erin", "dana"];

/// A P1 alert body for payments-api.
pub fn p1(summary: &str) -> Value {
    json!({ "service": "payments-api", "summary": summary, "priority": "P1" })
}

pub fn phone(h: &str) -> String {
    let i = PEOPLE.iter().position(|p| *p == h).expect("a known person");
    format!("+1555010000{i}")
}

pub fn chat(h: &str) -> String {
    format!("U{}", h.to_uppercase())
}

pub fn notify_for(fake: &Fake) -> NotifyConfig {
    NotifyConfig {
        twilio_api_url: fake.url.clone(),
        twilio_account_sid: Some("AC1".into()),
        twilio_auth_token: Some(TWILIO_TOKEN.into()),
        twilio_from: Some("+15550000000".into()),
        slack_api_url: fake.url.clone(),
        slack_bot_token: Some("xoxb-test".into()),
        slack_signing_secret: Some(SLACK_SECRET.into()),
        // The fakes listen on loopback.
        allow_private_webhooks: true,
        ..NotifyConfig::default()
    }
}

/// A server wired to a fresh fake provider, with every payments person
/// reachable by SMS, voice and Slack.
pub async fn paging_app(backend: Backend) -> (TestApp, Fake) {
    paging_app_with(backend, |_| {}).await
}

/// `paging_app` with its config adjusted further by `tweak`.
pub async fn paging_app_with(
    backend: Backend,
    tweak: impl FnOnce(&mut vigil::config::Config),
) -> (TestApp, Fake) {
    let fake = Fake::start().await;
    let notify = notify_for(&fake);
    let app = TestApp::spawn_with(backend, |c| {
        c.notify = notify;
        c.dispatch.send_timeout = std::time::Duration::from_secs(2);
        c.dispatch.retry = vec![std::time::Duration::from_secs(1); 3];
        tweak(c);
    })
    .await;
    for h in PEOPLE {
        let (s, v) = app
            .call(
                Method::PUT,
                &format!("/api/v1/people/{h}"),
                Some(&app.admin.clone()),
                Some(json!({ "name": h, "phone": phone(h), "chat": chat(h), "timezone": "America/New_York" })),
            )
            .await;
        assert!(s.is_success(), "{v}");
    }
    (app, fake)
}

/// Creates service `id` for payments with `ladder` (None = the default)
/// and returns an integration key.
pub async fn service(app: &TestApp, id: &str, body: Value) -> String {
    let mut b = body;
    b["team"] = json!("payments");
    let (s, v) = app
        .call(
            Method::PUT,
            &format!("/api/v1/services/{id}"),
            Some(&app.admin.clone()),
            Some(b),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .call(
            Method::POST,
            &format!("/api/v1/services/{id}/keys"),
            Some(&app.admin.clone()),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["key"].as_str().expect("key").to_string()
}

/// The two-stage ladder most stories use: primary, then secondary, then the lead.
pub fn ladder() -> Value {
    json!({ "ladder": { "stages": [
        { "timeout": "5m", "targets": ["oncall:*/primary"] },
        { "timeout": "5m", "targets": ["oncall:*/secondary"] },
        { "timeout": "5m", "targets": ["lead"] },
    ]}})
}

pub async fn trigger(app: &TestApp, key: &str, body: Value) -> (StatusCode, Value) {
    let (s, _, v) = app
        .call_full(
            Method::POST,
            "/api/v1/alerts",
            None,
            Some(body),
            &[("X-Vigil-Integration-Key", key)],
        )
        .await;
    app.dispatch.settle().await;
    (s, v)
}

pub async fn advance(app: &TestApp, secs: i64) {
    app.clock.advance(chrono::Duration::seconds(secs));
    app.dispatch.settle().await;
}

/// Who holds `layer` of the payments rota now.
pub async fn on_call(app: &TestApp, layer: &str) -> String {
    let (_, v) = app
        .get("/api/v1/teams/payments/rotas/payments-weekly/oncall")
        .await;
    v["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .find(|l| l["layer"] == layer)
        .and_then(|l| l["on_call"][0]["person"].as_str())
        .expect("someone on call")
        .to_string()
}

pub async fn alert(app: &TestApp, id: &str) -> Value {
    let (s, v) = app.get(&format!("/api/v1/alerts/{id}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

pub fn timeline_kinds(a: &Value) -> Vec<String> {
    a["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or("").to_string())
        .collect()
}

/// Posts a Twilio-style form to `path`, signed with `token` as Twilio would.
pub async fn twilio_post(
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
    token: &str,
) -> (StatusCode, String) {
    let params: Vec<(String, String)> = form
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let sig =
        vigil::delivery::links::twilio_signature(token, &format!("{}{path}", app.base), &params);
    let resp = app
        .http
        .post(format!("{}{path}", app.base))
        .header("X-Twilio-Signature", sig)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(&params).expect("form"))
        .send()
        .await
        .expect("sent");
    let s = resp.status();
    let text = resp.text().await.unwrap_or_default();
    app.dispatch.settle().await;
    (s, text)
}

/// The code in an SMS ("… reply \"ack 4821\" …").
pub fn code_in(text: &str) -> String {
    let i = text.find("\"ack ").expect("an ack code in the SMS") + 5;
    text[i..i + 4].to_string()
}

/// A server with the SMS throttle off whose person alice (`alice` holds her
/// fields besides her handle) is paged alone by service `svc`, keyed.
pub async fn alice_app(alice: Value, svc: &str, timeout: &str) -> (TestApp, Fake, String) {
    let fake = Fake::start().await;
    let notify = notify_for(&fake);
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.notify = notify;
        c.dispatch.throttle.insert("sms".into(), 100_000);
    })
    .await;
    let (s, v) = app
        .call(
            Method::PUT,
            "/api/v1/people/alice",
            Some(&app.admin.clone()),
            Some(alice),
        )
        .await;
    assert!(s.is_success(), "{v}");
    let one =
        json!({ "ladder": { "stages": [{ "timeout": timeout, "targets": ["person:alice"] }] } });
    let key = service(&app, svc, one).await;
    (app, fake, key)
}

/// The path of the delivery-report callback Twilio was given with `sms`.
pub fn status_callback(app: &TestApp, sms: &fake::Received) -> String {
    let url = sms
        .body
        .as_array()
        .expect("form")
        .iter()
        .find(|p| p[0] == "StatusCallback")
        .and_then(|p| p[1].as_str())
        .expect("a StatusCallback");
    url.strip_prefix(&app.base).expect("our URL").to_string()
}
