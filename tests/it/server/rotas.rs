//! The rota API as a team lead uses it.

use super::{Backend, TestApp};
use crate::both;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A weekly rota over the example team `payments` (people alice…dave).
pub fn weekly_doc(participants: &[&str]) -> Value {
    json!({
        "layers": [{
            "name": "primary",
            "rotations": [{ "cadence": "weekly", "handoff_day": "monday", "handoff_time": "09:00",
                            "start": "2026-01-05", "participants": participants }]
        }]
    })
}

async fn examples_are_served(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (s, v) = app.get("/api/v1/teams").await;
    assert_eq!(s, StatusCode::OK);
    let slugs: Vec<&str> = v["teams"]
        .as_array()
        .expect("teams")
        .iter()
        .filter_map(|t| t["slug"].as_str())
        .collect();
    assert_eq!(slugs, ["payments", "platform", "sre", "support"]);
    // The same answer as the engine gives for the file (see the CLI tests).
    let (s, v) = app
        .get("/api/v1/teams/support/rotas/support-business-hours/oncall?at=2026-12-01T10:00:00Z")
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["layers"][0]["on_call"][0]["person"], "rosa");
    assert_eq!(
        v["layers"][0]["on_call"][0]["since"],
        "2026-11-30T09:00:00Z"
    );
    assert_eq!(v["roles"][0]["on_call"][0]["person"], "olivia");
    // The holiday ICS of payments was inlined when the file was loaded.
    let (_, rota) = app
        .get("/api/v1/teams/payments/rotas/payments-weekly")
        .await;
    let holidays = rota["document"]["fairness"]["holidays"]
        .as_array()
        .expect("holidays")
        .clone();
    assert!(holidays.contains(&json!("2026-12-25")), "{holidays:?}");
    // Shifts of the 12-hour example across the DST change.
    let (_, v) = app.get("/api/v1/teams/sre/rotas/sre-day-night/shifts?from=2026-03-07T14:00:00Z&to=2026-03-08T14:00:00Z").await;
    let spans: Vec<(String, String)> = v["shifts"]
        .as_array()
        .expect("shifts")
        .iter()
        .map(|s| {
            (
                s["start"].as_str().unwrap_or("").to_string(),
                s["end"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        spans[1],
        (
            "2026-03-08T02:00:00Z".to_string(),
            "2026-03-08T13:00:00Z".to_string()
        )
    );
    app.stop().await;
}
both!(
    examples_are_served_sqlite,
    examples_are_served_postgres,
    examples_are_served
);

async fn create_update_and_stale_writes(b: Backend) {
    let app = TestApp::spawn(b).await;
    let lead = app.token("lead", &["payments"], Some("dana")).await;
    let path = "/api/v1/teams/payments/rotas/oncall";
    let (s, h, v) = app
        .call_full(
            Method::PUT,
            path,
            Some(&lead),
            Some(json!({ "document": weekly_doc(&["alice", "bob"]) })),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(h["etag"], "\"1\"");
    assert_eq!(v["version"], 1);
    let (_, who) = app
        .get(&format!("{path}/oncall?at=2026-12-01T12:00:00Z"))
        .await;
    // 2026-11-30 is week 47 after 2026-01-05: odd → bob.
    assert_eq!(who["layers"][0]["on_call"][0]["person"], "bob");

    let edit = json!({ "document": weekly_doc(&["carol", "dave"]) });
    // No If-Match: refused, nothing changes.
    let (s, v) = app
        .call(Method::PUT, path, Some(&lead), Some(edit.clone()))
        .await;
    assert_eq!(s, StatusCode::PRECONDITION_REQUIRED, "{v}");
    assert_eq!(v["error"]["field"], "If-Match");
    // The right version: accepted.
    let (s, h, _) = app
        .call_full(
            Method::PUT,
            path,
            Some(&lead),
            Some(edit.clone()),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["etag"], "\"2\"");
    // A stale version: 409, and the rota keeps the second edit.
    let (s, v) = app
        .call_full(
            Method::PUT,
            path,
            Some(&lead),
            Some(json!({ "document": weekly_doc(&["alice"]) })),
            &[("if-match", "\"1\"")],
        )
        .await
        .into_pair();
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "conflict");
    let (_, who) = app
        .get(&format!("{path}/oncall?at=2026-12-01T12:00:00Z"))
        .await;
    assert_eq!(who["layers"][0]["on_call"][0]["person"], "dave");

    // Delete, then it is gone.
    let (s, _) = app.call(Method::DELETE, path, Some(&lead), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app.get(path).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    app.stop().await;
}
both!(
    create_update_sqlite,
    create_update_postgres,
    create_update_and_stale_writes
);

trait Pair {
    fn into_pair(self) -> (StatusCode, Value);
}
impl Pair for (StatusCode, reqwest::header::HeaderMap, Value) {
    fn into_pair(self) -> (StatusCode, Value) {
        (self.0, self.2)
    }
}

async fn effective_dated_edits_keep_history(b: Backend) {
    let app = TestApp::spawn(b).await;
    let path = "/api/v1/teams/payments/rotas/oncall";
    let admin = app.admin.clone();
    let (s, _) = app
        .call(
            Method::PUT,
            path,
            Some(&admin),
            Some(json!({ "document": weekly_doc(&["alice", "bob"]) })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let window = format!("{path}/shifts?from=2026-11-02T00:00:00Z&to=2026-12-28T00:00:00Z");
    let (_, before) = app.get(&window).await;
    // From Wednesday 2026-12-09 15:00Z on, carol and dave take over, on
    // weekdays 09:00-17:00 only.
    let mut doc = weekly_doc(&["carol", "dave"]);
    doc["layers"][0]["restrictions"] =
        json!([{ "days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:00" }]);
    let body = json!({ "document": doc, "effective_from": "2026-12-09T15:00:00Z" });
    let (s, v) = app
        .call_full(
            Method::PUT,
            path,
            Some(&admin),
            Some(body),
            &[("if-match", "\"1\"")],
        )
        .await
        .into_pair();
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, after) = app.get(&window).await;
    let list = |v: &Value| v["shifts"].as_array().expect("shifts").clone();
    let (b4, af) = (list(&before), list(&after));
    let edit = "2026-12-09T15:00:00Z";
    for s in b4
        .iter()
        .filter(|s| s["end"].as_str().unwrap_or("") <= edit)
    {
        assert!(af.contains(s), "lost {s}");
    }
    // The shift running through the edit ends at it; then the new rotation.
    assert!(
        af.iter()
            .any(|s| s["end"] == edit && s["person"] == "alice"),
        "{af:?}"
    );
    // The new rotation counts its weeks from its own start: week 48 → carol.
    assert!(
        af.iter()
            .any(|s| s["start"] == edit && s["person"] == "carol"),
        "{af:?}"
    );
    // The new hours hold from the edit on: Thursday's shift is 09:00-17:00
    // New York (14:00-22:00Z), and the weekend has nobody.
    assert!(
        af.iter()
            .any(|s| s["start"] == "2026-12-10T14:00:00Z" && s["end"] == "2026-12-10T22:00:00Z"),
        "{af:?}"
    );
    assert!(
        !af.iter().any(|s| s["start"].as_str().unwrap_or("") >= edit
            && s["start"].as_str().unwrap_or("").starts_with("2026-12-12")),
        "{af:?}"
    );
    let (_, doc) = app.get(path).await;
    let layer = &doc["document"]["layers"][0];
    assert_eq!(layer["rotations"].as_array().map(|a| a.len()), Some(2));
    assert!(layer.get("restrictions").is_none(), "{layer}");
    assert_eq!(layer["rotations"][1]["restrictions"][0]["from"], "09:00");
    app.stop().await;
}
both!(
    effective_edits_sqlite,
    effective_edits_postgres,
    effective_dated_edits_keep_history
);

async fn checks_run_on_every_write(b: Backend) {
    let app = TestApp::spawn(b).await;
    let lead = app.token("lead", &["payments"], Some("dana")).await;
    let responder = app.token("responder", &[], Some("alice")).await;
    let path = "/api/v1/teams/payments/rotas/oncall";
    let (s, _) = app
        .call(
            Method::PUT,
            path,
            Some(&lead),
            Some(json!({ "document": weekly_doc(&["alice", "bob"]) })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // A removal leaves a coverage gap (a hard rule by default): refused.
    let gap = json!({ "layer": "primary", "kind": "remove", "start": "2026-12-02T00:00:00Z", "end": "2026-12-03T00:00:00Z" });
    let (s, v) = app
        .call(
            Method::POST,
            &format!("{path}/overrides"),
            Some(&lead),
            Some(gap.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "rule_violation");
    assert_eq!(v["error"]["details"][0]["rule"], "coverage_gap");
    let (_, list) = app.get(&format!("{path}/overrides")).await;
    assert_eq!(
        list["overrides"].as_array().map(|a| a.len()),
        Some(0),
        "nothing stored"
    );
    // A lead may accept it explicitly; it then comes back as a warning.
    let mut accepted = gap.clone();
    accepted["accept_violations"] = json!(true);
    let (s, v) = app
        .call(
            Method::POST,
            &format!("{path}/overrides"),
            Some(&lead),
            Some(accepted.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["warnings"][0]["rule"], "coverage_gap");
    // A soft rule (min rest, configured without `hard`) only warns.
    let mut doc = weekly_doc(&["alice", "bob"]);
    doc["checks"] = json!({ "min_rest_hours": 200 });
    let (s, v) = app
        .call(
            Method::PUT,
            "/api/v1/teams/payments/rotas/soft",
            Some(&lead),
            Some(json!({ "document": doc })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert!(
        v["warnings"]
            .as_array()
            .is_some_and(|w| w.iter().any(|w| w["rule"] == "min_rest")),
        "{v}"
    );
    // The accepted gap does not block later writes; a responder may put
    // themselves on call, but not remove coverage.
    let take = json!({ "layer": "primary", "start": "2026-12-10T09:00:00Z", "end": "2026-12-10T21:00:00Z", "person": "alice" });
    let (s, v) = app
        .call(
            Method::POST,
            &format!("{path}/overrides"),
            Some(&responder),
            Some(take),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, _) = app
        .call(
            Method::POST,
            &format!("{path}/overrides"),
            Some(&responder),
            Some(gap),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, who) = app
        .get(&format!("{path}/oncall?at=2026-12-10T12:00:00Z"))
        .await;
    assert_eq!(who["layers"][0]["on_call"][0]["person"], "alice");
    assert_eq!(who["layers"][0]["on_call"][0]["source"], "override");
    // Every write is in the audit log, attributed.
    let (_, audit) = app.get("/api/v1/audit").await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"override.create") && actions.contains(&"rota.create"),
        "{actions:?}"
    );
    app.stop().await;
}
both!(
    checks_on_write_sqlite,
    checks_on_write_postgres,
    checks_run_on_every_write
);

async fn person_shifts_span_teams(b: Backend) {
    let app = TestApp::spawn(b).await;
    // dave is in payments (primary and secondary).
    let (s, v) = app
        .get("/api/v1/people/dave/shifts?from=2026-12-21T00:00:00Z&to=2027-01-04T00:00:00Z")
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let shifts = v["shifts"].as_array().expect("shifts");
    assert!(
        shifts
            .iter()
            .all(|s| s["person"] == "dave" && s["team"] == "payments")
    );
    assert!(
        shifts
            .iter()
            .any(|s| s["layer"] == "primary" && s["start"] == "2026-12-28T14:00:00Z"),
        "{shifts:?}"
    );
    app.stop().await;
}
both!(
    person_shifts_sqlite,
    person_shifts_postgres,
    person_shifts_span_teams
);

async fn layers_and_people_on_call(b: Backend) {
    let app = TestApp::spawn(b).await;
    let lead = app.token("lead", &["payments"], Some("dana")).await;
    let rota = "/api/v1/teams/payments/rotas/payments-weekly";
    let (s, v) = app.get(&format!("{rota}/layers/primary")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["rotations"][0]["participants"][0], "alice");
    let backup = json!({ "layer": { "rotations": [{ "cadence": "daily", "handoff_time": "09:00", "start": "2026-01-05", "participants": ["erin"] }] } });
    // Versioned like the rota.
    let (s, _) = app
        .call(
            Method::PUT,
            &format!("{rota}/layers/backup"),
            Some(&lead),
            Some(backup.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::PRECONDITION_REQUIRED);
    let (_, h, _) = app
        .call_full(Method::GET, rota, Some(&lead), None, &[])
        .await;
    let tag = h["etag"].to_str().expect("etag").to_string();
    let (s, h, v) = app
        .call_full(
            Method::PUT,
            &format!("{rota}/layers/backup"),
            Some(&lead),
            Some(backup),
            &[("if-match", &tag)],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, who) = app
        .get(&format!("{rota}/oncall?at=2026-12-02T12:00:00Z"))
        .await;
    assert_eq!(who["layers"][2]["layer"], "backup");
    assert_eq!(who["layers"][2]["on_call"][0]["person"], "erin");
    // A person's on-call status across teams.
    let (_, me) = app
        .get("/api/v1/people/erin/oncall?at=2026-12-02T12:00:00Z")
        .await;
    assert_eq!(me["on_call"][0]["team"], "payments");
    assert_eq!(me["on_call"][0]["layer"], "backup");
    let tag = h["etag"].to_str().expect("etag").to_string();
    let (s, _, _) = app
        .call_full(
            Method::DELETE,
            &format!("{rota}/layers/backup"),
            Some(&lead),
            None,
            &[("if-match", &tag)],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.get(&format!("{rota}/layers/backup")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, me) = app
        .get("/api/v1/people/erin/oncall?at=2026-12-02T12:00:00Z")
        .await;
    assert_eq!(me["on_call"].as_array().map(|a| a.len()), Some(0));
    app.stop().await;
}
both!(layers_sqlite, layers_postgres, layers_and_people_on_call);

/// Many writers at once: every write lands, none fails with a busy database.
async fn concurrent_writes_all_land(b: Backend) {
    let app = std::sync::Arc::new(TestApp::spawn(b).await);
    let admin = app.admin.clone();
    let mut tasks = Vec::new();
    for i in 0..30u32 {
        let (app, admin) = (app.clone(), admin.clone());
        tasks.push(tokio::spawn(async move {
            let (m, path, body) = match i % 3 {
                0 => (
                    Method::POST,
                    "/api/v1/teams/payments/rotas/payments-weekly/overrides".to_string(),
                    json!({ "layer": "primary", "kind": "add", "person": "erin",
                            "start": format!("2027-05-{:02}T10:00:00Z", i / 3 + 1), "end": format!("2027-05-{:02}T11:00:00Z", i / 3 + 1) }),
                ),
                1 => (Method::PUT, format!("/api/v1/people/writer-{i}"), json!({ "name": format!("Writer {i}") })),
                _ => (Method::POST, "/api/v1/feeds".to_string(), json!({ "team": "sre", "rota": "sre-day-night" })),
            };
            app.call(m, &path, Some(&admin), Some(body)).await
        }));
    }
    for t in tasks {
        let (s, v) = t.await.expect("task");
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let (_, list) = app
        .get("/api/v1/teams/payments/rotas/payments-weekly/overrides")
        .await;
    // The file's own override lives in the rota document, not in this list.
    assert_eq!(list["overrides"].as_array().map(|a| a.len()), Some(10));
    let (_, people) = app.get("/api/v1/people").await;
    let writers = people["people"]
        .as_array()
        .expect("people")
        .iter()
        .filter(|p| {
            p["handle"]
                .as_str()
                .is_some_and(|h| h.starts_with("writer-"))
        })
        .count();
    assert_eq!(writers, 10);
    if let Ok(app) = std::sync::Arc::try_unwrap(app) {
        app.stop().await;
    }
}
both!(
    concurrent_writes_sqlite,
    concurrent_writes_postgres,
    concurrent_writes_all_land
);
