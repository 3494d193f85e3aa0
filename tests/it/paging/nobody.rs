//! A ladder that resolves to nobody is an alert, never a silence: targets
//! that name nothing are refused on write, deleting what a ladder pages
//! through is refused unless something replaces it, an alert whose whole
//! ladder is empty pages the team's lead, and `GET /api/v1/coverage` and
//! `vigil doctor` show where a page would reach nobody.

use super::{Fake, advance, alert, notify_for, phone, service, timeline_kinds, trigger};
use crate::server::{Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn call(app: &TestApp, m: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    app.call(m, path, Some(&app.admin.clone()), body).await
}

#[tokio::test]
async fn ladder_targets_that_name_nothing_are_refused_with_the_field() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let put = |ladder: Value| {
        call(
            &app,
            Method::PUT,
            "/api/v1/services/web",
            Some(json!({ "team": "payments", "ladder": ladder })),
        )
    };
    let (s, v) = put(json!({ "stages": [
        { "timeout": "5m", "targets": ["oncall:*/primary"] },
        { "timeout": "5m", "targets": ["oncall:nope/primary"] },
    ]}))
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["field"], "ladder.stages[1].targets[0]");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("no rota nope"),
        "{v}"
    );
    let (s, v) =
        put(json!({ "stages": [{ "timeout": "5m", "targets": ["oncall:payments-weekly/night"] }]}))
            .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = put(json!({ "stages": [{ "timeout": "5m", "targets": ["person:nobody"] }]})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    // A new team has no lead (and no rotas): "lead" names nothing there.
    let (s, v) = call(
        &app,
        Method::PUT,
        "/api/v1/teams/ops",
        Some(json!({ "timezone": "UTC" })),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = call(
        &app,
        Method::PUT,
        "/api/v1/services/helpdesk",
        Some(json!({ "team": "ops", "ladder": { "stages": [{ "timeout": "5m", "targets": ["lead"] }] } })),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("has no lead"),
        "{v}"
    );
    let (s, v) = put(
        json!({ "stages": [{ "timeout": "5m", "targets": ["oncall:payments-weekly/primary"] }]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    app.stop().await;
}

#[tokio::test]
async fn deleting_what_a_ladder_pages_through_needs_a_replacement() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    // `checkout` (payments-weekly.toml) pages the rota's primary, then its secondary.
    let (s, v) = call(&app, Method::DELETE, "/api/v1/teams/payments", None).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("checkout"),
        "{v}"
    );
    let rota = "/api/v1/teams/payments/rotas/payments-weekly";
    let (s, v) = call(&app, Method::DELETE, rota, None).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["details"][0]["service"], "checkout");
    let (s, v) = call(
        &app,
        Method::DELETE,
        &format!("{rota}/layers/secondary"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (s, v) = call(
        &app,
        Method::DELETE,
        &format!("{rota}?replace_with=nope"),
        None,
    )
    .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("replace_with")),
        "{v}"
    );

    // A copy of the rota takes its place: the ladder is rewritten to it.
    let (_, doc) = app.get(rota).await;
    let (s, v) = call(
        &app,
        Method::PUT,
        "/api/v1/teams/payments/rotas/payments-copy",
        Some(json!({ "document": doc["document"], "accept_violations": true })),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = call(
        &app,
        Method::DELETE,
        &format!("{rota}?replace_with=payments-copy"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let (_, svc) = app.get("/api/v1/services/checkout").await;
    let targets = svc["ladder"]["stages"][0]["targets"].to_string();
    assert!(targets.contains("oncall:payments-copy/primary"), "{svc}");

    // A person a ladder names, and the lead a ladder pages.
    let (s, _) = call(
        &app,
        Method::PUT,
        "/api/v1/people/zoe",
        Some(json!({ "name": "Zoe" })),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let ladder = json!({ "team": "payments", "ladder": { "stages": [{ "timeout": "5m", "targets": ["person:zoe", "lead"] }] } });
    let (s, v) = call(&app, Method::PUT, "/api/v1/services/web", Some(ladder)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = call(&app, Method::DELETE, "/api/v1/people/zoe", None).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap_or("").contains("web"),
        "{v}"
    );
    let (s, v) = call(
        &app,
        Method::DELETE,
        "/api/v1/people/zoe?replace_with=erin",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let (_, svc) = app.get("/api/v1/services/web").await;
    assert!(svc["ladder"].to_string().contains("person:erin"), "{svc}");
    let (s, v) = call(
        &app,
        Method::PUT,
        "/api/v1/teams/payments",
        Some(json!({ "timezone": "America/New_York" })),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "taking the lead away: {v}");
    app.stop().await;
}

/// A weekend-only rota pages nobody on a Friday: the stage is skipped at
/// once and, the whole ladder being empty, the team's lead is paged; the
/// timeline, the log and /metrics say so. Coverage and `vigil doctor`
/// showed the gap ahead of time.
#[tokio::test]
async fn an_empty_ladder_pages_the_lead_and_is_reported_ahead() {
    let fake = Fake::start().await;
    let notify = notify_for(&fake);
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.notify = notify).await;
    let (s, v) = call(
        &app,
        Method::PUT,
        "/api/v1/people/dana",
        Some(json!({ "name": "Dana", "phone": phone("dana"), "rules": { "P1": ["sms"] } })),
    )
    .await;
    assert!(s.is_success(), "{v}");
    let doc = json!({ "layers": [{ "name": "primary",
        "rotations": [{ "cadence": "weekly", "handoff_day": "monday", "handoff_time": "09:00", "start": "2026-11-02", "participants": ["bob"] }],
        "restrictions": [{ "days": ["saturday", "sunday"], "from": "00:00", "to": "24:00" }] }] });
    let (s, v) = call(
        &app,
        Method::PUT,
        "/api/v1/teams/payments/rotas/weekend",
        Some(json!({ "document": doc, "accept_violations": true })),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let key = service(
        &app,
        "batch",
        json!({ "ladder": { "stages": [{ "timeout": "5m", "targets": ["oncall:weekend/primary"] }] } }),
    )
    .await;
    // Ahead of time: the next 14 days have weekday gaps (2026-11-27 is a Friday).
    let (s, cov) = app.get("/api/v1/coverage").await;
    assert_eq!(s, StatusCode::OK, "{cov}");
    let batch = cov["services"]
        .as_array()
        .expect("services")
        .iter()
        .find(|x| x["service"] == "batch")
        .cloned()
        .expect("batch is reported");
    assert_eq!(batch["gaps"][0]["start"], "2026-11-27T12:00:00Z");
    assert_eq!(
        batch["gaps"][0]["end"], "2026-11-28T05:00:00Z",
        "Saturday 00:00 in New York"
    );

    let (s, a) = trigger(
        &app,
        &key,
        json!({ "service": "batch", "summary": "Nightly batch failed", "priority": "P1" }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let sms = fake.to("sms", &phone("dana"));
    assert_eq!(sms.len(), 1, "the lead is paged: {:?}", fake.all());
    let a = alert(&app, a["id"].as_str().expect("id")).await;
    let kinds = timeline_kinds(&a);
    assert!(kinds.contains(&"stage_empty".to_string()), "{kinds:?}");
    assert!(kinds.contains(&"ladder_empty".to_string()), "{kinds:?}");
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
        metrics.contains(r#"vigil_pages_to_nobody_total{kind="ladder_empty"} 1"#),
        "{metrics}"
    );
    advance(&app, 600).await;
    let to_dana = |what: &str| -> Vec<String> {
        fake.to("sms", &phone("dana"))
            .into_iter()
            .map(|m| m.text)
            .filter(|t| t.contains(what))
            .collect()
    };
    assert_eq!(to_dana("Nightly batch failed").len(), 1, "paged once");
    // The lead was also warned of the gap ahead, once per problem however
    // often coverage is checked.
    let warned = to_dana("would page nobody");
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(
        warned[0].contains("service batch (team payments) would page nobody from Fri 27 Nov 12:10 UTC to Sat 28 Nov 05:00 UTC"),
        "{}",
        warned[0]
    );
    advance(&app, 600).await;
    advance(&app, 600).await;
    assert_eq!(to_dana("would page nobody").len(), 1, "once per problem");

    // `vigil doctor` on the same database says the same, and exits 1.
    let out = crate::cli::vigil(&["doctor", "--database-url", &app.db_url]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("FAIL  service batch (team payments) pages nobody"),
        "{}",
        out.stdout
    );
    app.stop().await;
}
