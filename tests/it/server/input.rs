//! Bad input gets the right status and a JSON error, and changes nothing.

use super::{Backend, TestApp};
use crate::both;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn bad_input_changes_nothing(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin.clone();
    let snapshot = |app: &TestApp| {
        let app_base = app.base.clone();
        let token = admin.clone();
        let http = app.http.clone();
        async move {
            let mut all = String::new();
            for p in [
                "/api/v1/teams",
                "/api/v1/people",
                "/api/v1/teams/payments/rotas",
                "/api/v1/teams/payments/rotas/payments-weekly/overrides",
            ] {
                let r = http
                    .get(format!("{app_base}{p}"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .expect("get");
                all.push_str(&r.text().await.unwrap_or_default());
            }
            all
        }
    };
    let before = snapshot(&app).await;
    let raw = |body: &'static str, path: &'static str, method: Method| {
        let req = app
            .http
            .request(method, format!("{}{path}", app.base))
            .bearer_auth(&admin)
            .header("content-type", "application/json")
            .body(body);
        async move {
            let r = req.send().await.expect("send");
            (
                r.status(),
                r.json::<serde_json::Value>().await.unwrap_or_default(),
            )
        }
    };
    // Malformed JSON.
    let (s, v) = raw("{\"timezone\": ", "/api/v1/teams/payments", Method::PUT).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "bad_request");
    // Wrong types.
    let (s, v) = raw("{\"timezone\": 42}", "/api/v1/teams/payments", Method::PUT).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    // Unknown zone, named.
    let (s, v) = app
        .call(
            Method::PUT,
            "/api/v1/teams/payments",
            Some(&admin),
            Some(json!({ "timezone": "Europe/Atlantis" })),
        )
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("timezone")),
        "{v}"
    );
    // A rota document with an unknown zone inside a follow-the-sun group, and an unknown person.
    let doc = json!({ "document": { "layers": [{ "name": "p", "rotations": [{ "cadence": "daily", "handoff_time": "09:00", "start": "2026-01-05", "participants": ["nobody"] }] }] } });
    let (s, v) = app
        .call(
            Method::PUT,
            "/api/v1/teams/payments/rotas/bad",
            Some(&admin),
            Some(doc),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(
        v["error"]["field"],
        "document.layers[0].rotations[0].participants[0]"
    );
    // Inverted intervals.
    let o = json!({ "layer": "primary", "person": "bob", "start": "2026-12-05T00:00:00Z", "end": "2026-12-04T00:00:00Z" });
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/teams/payments/rotas/payments-weekly/overrides",
            Some(&admin),
            Some(o),
        )
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("end")),
        "{v}"
    );
    let (s, v) = app.get("/api/v1/teams/payments/rotas/payments-weekly/shifts?from=2026-12-05T00:00:00Z&to=2026-12-04T00:00:00Z").await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("to")),
        "{v}"
    );
    let (s, v) = app
        .get("/api/v1/teams/payments/rotas/payments-weekly/oncall?at=tomorrow")
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("at")),
        "{v}"
    );
    // A bad phone number.
    let (s, v) = app
        .call(
            Method::PUT,
            "/api/v1/people/alice",
            Some(&admin),
            Some(json!({ "name": "Alice", "phone": "555-0100" })),
        )
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("phone")),
        "{v}"
    );
    // A 10 MB body.
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(10 * 1024 * 1024));
    let r = app
        .http
        .put(format!("{}/api/v1/people/alice", app.base))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let v: serde_json::Value = r.json().await.unwrap_or_default();
    assert_eq!(v["error"]["code"], "too_large");
    // Unknown routes and fields.
    let (s, v) = app.get("/api/v1/nothing-here").await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (s, _) = app
        .call(
            Method::PUT,
            "/api/v1/teams/payments",
            Some(&admin),
            Some(json!({ "timezone": "UTC", "colour": "red" })),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(snapshot(&app).await, before, "nothing changed");
    app.stop().await;
}
both!(
    bad_input_sqlite,
    bad_input_postgres,
    bad_input_changes_nothing
);

/// Hostile rota documents over the API: over a limit is 422 naming the
/// field (not a panic that drops the connection, nor minutes of work).
#[tokio::test]
async fn hostile_rota_documents_are_refused_by_name() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin.clone();
    let put = |doc: serde_json::Value| {
        app.call(
            Method::PUT,
            "/api/v1/teams/payments/rotas/hostile",
            Some(&admin),
            Some(json!({ "document": doc, "accept_violations": true })),
        )
    };
    let rotation = |cadence: &str, every: u64| json!({ "cadence": cadence, "every": every, "handoff_time": "09:00", "start": "2026-11-02", "participants": ["alice", "bob"] });
    let (s, v) = put(
        json!({ "layers": [{ "name": "x".repeat(200_000), "rotations": [rotation("daily", 1)] }] }),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["field"], "document.layers[0].name");
    let (s, v) = put(json!({ "layers": [{ "name": "l", "rotations": [rotation("every_hours", u32::MAX as u64)] }] })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["field"], "document.layers[0].rotations[0].every");
    let (s, v) = put(
        json!({ "layers": [{ "name": "l", "rotations": [rotation("every_days", 96_000_000)] }] }),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let many: Vec<serde_json::Value> = (0..200)
        .map(|i| json!({ "name": format!("l{i}"), "rotations": [rotation("daily", 1)] }))
        .collect();
    let (s, v) = put(json!({ "layers": many })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["field"], "document.layers");
    let (s, v) = app
        .get("/api/v1/teams/payments/rotas/payments-weekly/shifts?from=2026-01-01T00:00:00Z&to=9999-12-31T00:00:00Z")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    app.stop().await;
}
