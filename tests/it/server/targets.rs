//! Who may act on one thing: for each role, a fresh target.

use super::access::{ALL, Who};
use super::{Backend, TestApp};
use crate::both;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// The endpoints that act on one thing: for each role, the admin sets up a
/// fresh target, then the role tries.
async fn role_matrix_targets(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin.clone();
    let tokens = [
        None,
        Some(app.token("responder", &[], Some("alice")).await),
        Some(app.token("responder", &[], Some("bob")).await),
        Some(app.token("lead", &["payments"], Some("dana")).await),
        Some(app.token("lead", &["sre"], Some("ivan")).await),
        Some(admin.clone()),
    ];
    let rota = "/api/v1/teams/payments/rotas/payments-weekly";
    let expect = |who: Who, allowed: &[Who], success: StatusCode| {
        if who == Who::Nobody {
            StatusCode::UNAUTHORIZED
        } else if allowed.contains(&who) {
            success
        } else {
            StatusCode::FORBIDDEN
        }
    };
    let everyone = [Who::Alice, Who::Bob, Who::Lead, Who::Other, Who::Admin];
    let leads = [Who::Lead, Who::Admin];
    for (i, who) in ALL.iter().enumerate() {
        let t = tokens[i].as_deref();
        // Reads.
        for path in [
            format!("{rota}/layers/primary"),
            format!("{rota}/overrides"),
            format!("{rota}/swaps"),
            "/api/v1/people/alice/oncall".to_string(),
            "/api/v1/people/alice".to_string(),
            "/api/v1/teams/payments".to_string(),
            "/api/v1/teams/payments/rotas".to_string(),
        ] {
            let (s, v) = as_who(&app, t, Method::GET, path.clone(), None).await;
            assert_eq!(
                s,
                expect(*who, &everyone, StatusCode::OK),
                "GET {path} as {who:?}: {v}"
            );
        }
        // Delete a person: admin only.
        let (s, _) = app
            .call(
                Method::PUT,
                &format!("/api/v1/people/gone-{i}"),
                Some(&admin),
                Some(json!({ "name": "Gone" })),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, v) = as_who(
            &app,
            t,
            Method::DELETE,
            format!("/api/v1/people/gone-{i}"),
            None,
        )
        .await;
        assert_eq!(
            s,
            expect(*who, &[Who::Admin], StatusCode::NO_CONTENT),
            "delete person as {who:?}: {v}"
        );
        // Delete an override made by the admin: the team's lead or an admin.
        let o = json!({ "layer": "primary", "person": "bob", "start": format!("2027-04-{:02}T10:00:00Z", i + 1), "end": format!("2027-04-{:02}T11:00:00Z", i + 1) });
        let (s, v) = app
            .call(
                Method::POST,
                &format!("{rota}/overrides"),
                Some(&admin),
                Some(o),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_str().expect("id").to_string();
        let (s, v) = as_who(
            &app,
            t,
            Method::DELETE,
            format!("{rota}/overrides/{id}"),
            None,
        )
        .await;
        assert_eq!(
            s,
            expect(*who, &leads, StatusCode::NO_CONTENT),
            "delete override as {who:?}: {v}"
        );
        // Put and delete a layer: the team's lead or an admin.
        let path = format!("/api/v1/teams/payments/rotas/lay-{i}");
        let doc = json!({ "document": { "layers": [{ "name": "primary", "rotations": [{ "cadence": "weekly", "handoff_day": "monday", "handoff_time": "09:00", "start": "2026-01-05", "participants": ["alice", "bob"] }] }] } });
        let (s, _) = app.call(Method::PUT, &path, Some(&admin), Some(doc)).await;
        assert_eq!(s, StatusCode::CREATED);
        let layer = json!({ "layer": { "rotations": [{ "cadence": "daily", "handoff_time": "09:00", "start": "2026-01-05", "participants": ["carol"] }] } });
        let (s, _, v) = app
            .call_full(
                Method::PUT,
                &format!("{path}/layers/extra"),
                t,
                Some(layer.clone()),
                &[("if-match", "\"1\"")],
            )
            .await;
        assert_eq!(
            s,
            expect(*who, &leads, StatusCode::OK),
            "put layer as {who:?}: {v}"
        );
        if s != StatusCode::OK {
            let (s, _, _) = app
                .call_full(
                    Method::PUT,
                    &format!("{path}/layers/extra"),
                    Some(&admin),
                    Some(layer),
                    &[("if-match", "\"1\"")],
                )
                .await;
            assert_eq!(s, StatusCode::OK);
        }
        let (s, _, v) = app
            .call_full(
                Method::DELETE,
                &format!("{path}/layers/extra"),
                t,
                None,
                &[("if-match", "\"2\"")],
            )
            .await;
        assert_eq!(
            s,
            expect(*who, &leads, StatusCode::OK),
            "delete layer as {who:?}: {v}"
        );
        // Revoke a token: admin only.
        let (_, v) = app
            .call(
                Method::POST,
                "/api/v1/tokens",
                Some(&admin),
                Some(json!({ "role": "responder", "person": "carol" })),
            )
            .await;
        let (s, _) = as_who(
            &app,
            t,
            Method::DELETE,
            format!("/api/v1/tokens/{}", v["id"].as_str().expect("id")),
            None,
        )
        .await;
        assert_eq!(
            s,
            expect(*who, &[Who::Admin], StatusCode::NO_CONTENT),
            "revoke token as {who:?}"
        );
        // Rotate and revoke a rota feed the admin made: a lead of its team or an admin.
        for (verb, method, ok) in [
            ("rotate", Method::POST, StatusCode::CREATED),
            ("revoke", Method::DELETE, StatusCode::NO_CONTENT),
        ] {
            let (_, v) = app
                .call(
                    Method::POST,
                    "/api/v1/feeds",
                    Some(&admin),
                    Some(json!({ "team": "payments", "rota": "payments-weekly" })),
                )
                .await;
            let id = v["id"].as_str().expect("id").to_string();
            let path = if verb == "rotate" {
                format!("/api/v1/feeds/{id}/rotate")
            } else {
                format!("/api/v1/feeds/{id}")
            };
            let (s, v) = as_who(&app, t, method, path, None).await;
            assert_eq!(s, expect(*who, &leads, ok), "{verb} feed as {who:?}: {v}");
        }
        // Offer dave's shift on his behalf: the team's lead or an admin.
        let offer = json!({ "layer": "primary", "person": "dave", "start": "2026-12-02T09:00:00Z", "end": "2026-12-02T10:00:00Z" });
        let (s, v) = as_who(
            &app,
            t,
            Method::POST,
            format!("{rota}/swaps"),
            Some(offer.clone()),
        )
        .await;
        assert_eq!(
            s,
            expect(*who, &leads, StatusCode::CREATED),
            "offer for dave as {who:?}: {v}"
        );
        // Cancel and decline an offer of dave's: the team's lead or an admin.
        for verb in ["cancel", "decline"] {
            let (_, v) = app
                .call(
                    Method::POST,
                    &format!("{rota}/swaps"),
                    Some(&admin),
                    Some(offer.clone()),
                )
                .await;
            let id = v["id"].as_str().expect("id").to_string();
            let (s, v) = as_who(
                &app,
                t,
                Method::POST,
                format!("{rota}/swaps/{id}/{verb}"),
                None,
            )
            .await;
            assert_eq!(
                s,
                expect(*who, &leads, StatusCode::OK),
                "{verb} swap as {who:?}: {v}"
            );
        }
    }
    app.stop().await;
}
both!(
    role_matrix_targets_sqlite,
    role_matrix_targets_postgres,
    role_matrix_targets
);

async fn as_who(
    app: &TestApp,
    t: Option<&str>,
    m: Method,
    path: String,
    body: Option<serde_json::Value>,
) -> (StatusCode, serde_json::Value) {
    app.call(m, &path, t, body).await
}
