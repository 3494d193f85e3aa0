//! Who may call what: every endpoint, called by each role.

use super::rotas::weekly_doc;
use super::{Backend, TestApp};
use crate::both;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) enum Who {
    Nobody,
    Alice, // responder, person alice
    Bob,   // responder, person bob
    Lead,  // lead of payments
    Other, // lead of sre
    Admin,
}

pub(super) const ALL: [Who; 6] = [
    Who::Nobody,
    Who::Alice,
    Who::Bob,
    Who::Lead,
    Who::Other,
    Who::Admin,
];

async fn role_matrix(b: Backend) {
    let app = TestApp::spawn(b).await;
    let tokens = [
        None,
        Some(app.token("responder", &[], Some("alice")).await),
        Some(app.token("responder", &[], Some("bob")).await),
        Some(app.token("lead", &["payments"], Some("dana")).await),
        Some(app.token("lead", &["sre"], Some("ivan")).await),
        Some(app.admin.clone()),
    ];
    let tok = |w: Who| tokens[ALL.iter().position(|x| *x == w).expect("listed")].clone();
    let ok = StatusCode::OK;
    let created = StatusCode::CREATED;
    let gone = StatusCode::NO_CONTENT;
    let rota = "/api/v1/teams/payments/rotas/payments-weekly";

    // (name, allowed roles, success status, request for a role)
    type Req = Box<dyn Fn(Who, usize) -> (Method, String, Option<serde_json::Value>)>;
    let cases: Vec<(&str, Vec<Who>, StatusCode, Req)> = vec![
        (
            "list teams",
            vec![Who::Alice, Who::Bob, Who::Lead, Who::Other, Who::Admin],
            ok,
            Box::new(|_, _| (Method::GET, "/api/v1/teams".into(), None)),
        ),
        (
            "read rota",
            vec![Who::Alice, Who::Bob, Who::Lead, Who::Other, Who::Admin],
            ok,
            Box::new(move |_, _| (Method::GET, rota.into(), None)),
        ),
        (
            "on call",
            vec![Who::Alice, Who::Bob, Who::Lead, Who::Other, Who::Admin],
            ok,
            Box::new(move |_, _| (Method::GET, format!("{rota}/oncall"), None)),
        ),
        (
            "shifts",
            vec![Who::Alice, Who::Bob, Who::Lead, Who::Other, Who::Admin],
            ok,
            Box::new(move |_, _| (Method::GET, format!("{rota}/shifts"), None)),
        ),
        (
            "person shifts",
            vec![Who::Alice, Who::Bob, Who::Lead, Who::Other, Who::Admin],
            ok,
            Box::new(|_, _| (Method::GET, "/api/v1/people/alice/shifts".into(), None)),
        ),
        (
            "update own team",
            vec![Who::Lead, Who::Admin],
            ok,
            Box::new(|_, _| {
                (
                    Method::PUT,
                    "/api/v1/teams/payments".into(),
                    Some(json!({ "timezone": "America/New_York", "lead": "dana" })),
                )
            }),
        ),
        (
            "create team",
            vec![Who::Admin],
            created,
            Box::new(|_, i| {
                (
                    Method::PUT,
                    format!("/api/v1/teams/new-{i}"),
                    Some(json!({ "timezone": "UTC" })),
                )
            }),
        ),
        (
            "edit alice",
            vec![Who::Alice, Who::Admin],
            ok,
            Box::new(|_, _| {
                (
                    Method::PUT,
                    "/api/v1/people/alice".into(),
                    Some(json!({ "name": "Alice Adams", "phone": "+14155550100" })),
                )
            }),
        ),
        (
            "create person",
            vec![Who::Admin],
            created,
            Box::new(|_, i| {
                (
                    Method::PUT,
                    format!("/api/v1/people/new-{i}"),
                    Some(json!({ "name": "New" })),
                )
            }),
        ),
        (
            "create rota",
            vec![Who::Lead, Who::Admin],
            created,
            Box::new(|_, i| {
                (
                    Method::PUT,
                    format!("/api/v1/teams/payments/rotas/r-{i}"),
                    Some(json!({ "document": weekly_doc(&["alice", "bob"]) })),
                )
            }),
        ),
        (
            "take a shift",
            vec![Who::Bob, Who::Lead, Who::Admin],
            created,
            Box::new(move |_, i| {
                let day = 10 + i;
                (
                    Method::POST,
                    format!("{rota}/overrides"),
                    Some(
                        json!({ "layer": "primary", "person": "bob", "start": format!("2027-03-{day:02}T10:00:00Z"), "end": format!("2027-03-{day:02}T12:00:00Z") }),
                    ),
                )
            }),
        ),
        (
            "make tokens",
            vec![Who::Admin],
            created,
            Box::new(|_, _| {
                (
                    Method::POST,
                    "/api/v1/tokens".into(),
                    Some(json!({ "role": "responder", "person": "carol" })),
                )
            }),
        ),
        (
            "read audit",
            vec![Who::Admin],
            ok,
            Box::new(|_, _| (Method::GET, "/api/v1/audit".into(), None)),
        ),
        (
            "alice's feed",
            vec![Who::Alice, Who::Lead, Who::Other, Who::Admin],
            created,
            Box::new(|_, _| {
                (
                    Method::POST,
                    "/api/v1/feeds".into(),
                    Some(json!({ "person": "alice" })),
                )
            }),
        ),
        (
            "rota feed",
            vec![Who::Alice, Who::Bob, Who::Lead, Who::Other, Who::Admin],
            created,
            Box::new(|_, _| {
                (
                    Method::POST,
                    "/api/v1/feeds".into(),
                    Some(json!({ "team": "payments", "rota": "payments-weekly" })),
                )
            }),
        ),
    ];
    for (name, allowed, success, req) in &cases {
        for (i, who) in ALL.iter().enumerate() {
            let (m, path, body) = req(*who, i);
            let (s, v) = app.call(m, &path, tok(*who).as_deref(), body).await;
            let want = if *who == Who::Nobody {
                StatusCode::UNAUTHORIZED
            } else if allowed.contains(who) {
                *success
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(s, want, "{name} as {who:?}: {v}");
            if s.is_client_error() {
                assert!(
                    v["error"]["code"].is_string(),
                    "{name} as {who:?}: error body {v}"
                );
            }
        }
    }
    // Deletes: set up one target per role, then try.
    for (i, who) in ALL.iter().enumerate() {
        let (s, _) = app
            .call(
                Method::PUT,
                &format!("/api/v1/teams/payments/rotas/del-{i}"),
                Some(&app.admin),
                Some(json!({ "document": weekly_doc(&["alice"]) })),
            )
            .await;
        assert_eq!(s, created);
        let (s, _) = app
            .call(
                Method::DELETE,
                &format!("/api/v1/teams/payments/rotas/del-{i}"),
                tok(*who).as_deref(),
                None,
            )
            .await;
        let want = match who {
            Who::Nobody => StatusCode::UNAUTHORIZED,
            Who::Lead | Who::Admin => gone,
            _ => StatusCode::FORBIDDEN,
        };
        assert_eq!(s, want, "delete rota as {who:?}");
        let (s, _) = app
            .call(
                Method::DELETE,
                &format!("/api/v1/teams/new-{}", ALL.len() - 1),
                tok(*who).as_deref(),
                None,
            )
            .await;
        let want = match who {
            Who::Nobody => StatusCode::UNAUTHORIZED,
            Who::Admin => gone,
            _ => StatusCode::FORBIDDEN,
        };
        assert_eq!(s, want, "delete team as {who:?}");
    }
    app.stop().await;
}
both!(role_matrix_sqlite, role_matrix_postgres, role_matrix);

async fn revoked_tokens_stop_working(b: Backend) {
    let app = TestApp::spawn(b).await;
    let body = json!({ "role": "responder", "person": "alice" });
    let (s, v) = app
        .call(Method::POST, "/api/v1/tokens", Some(&app.admin), Some(body))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (id, secret) = (
        v["id"].as_str().expect("id").to_string(),
        v["token"].as_str().expect("token").to_string(),
    );
    assert!(secret.len() >= 64, "at least 256 bits, hex");
    let (s, _) = app
        .call(Method::GET, "/api/v1/teams", Some(&secret), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app
        .call(Method::GET, "/api/v1/teams", Some(&secret), None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    let (s, _) = app
        .call(Method::GET, "/api/v1/teams", Some("vgl_not-a-token"), None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    app.stop().await;
}
both!(
    revocation_sqlite,
    revocation_postgres,
    revoked_tokens_stop_working
);
