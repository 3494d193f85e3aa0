//! Swaps as people use them: offer, accept (with a shift in return), lead
//! approval where the team wants it, and what is refused.

use super::{Backend, TestApp};
use crate::both;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const ROTA: &str = "/api/v1/teams/payments/rotas/payments-weekly";

async fn on_call(app: &TestApp, at: &str) -> (String, String) {
    let (_, v) = app.get(&format!("{ROTA}/oncall?at={at}")).await;
    let first = &v["layers"][0]["on_call"][0];
    (
        first["person"].as_str().unwrap_or("").to_string(),
        first["source"].as_str().unwrap_or("").to_string(),
    )
}

async fn swaps_workflow(b: Backend) {
    let app = TestApp::spawn(b).await;
    let [alice, bob, carol, dave, dana] = [
        app.token("responder", &[], Some("alice")).await,
        app.token("responder", &[], Some("bob")).await,
        app.token("responder", &[], Some("carol")).await,
        app.token("responder", &[], Some("dave")).await,
        app.token("lead", &["payments"], Some("dana")).await,
    ];
    // dave holds primary in the week of 30 Nov, alice in the week of 7 Dec.
    assert_eq!(on_call(&app, "2026-12-02T12:00:00Z").await.0, "dave");
    let offer = json!({ "layer": "primary", "start": "2026-12-02T09:00:00Z", "end": "2026-12-03T09:00:00Z", "note": "dentist" });
    let (s, v) = app
        .call(
            Method::POST,
            &format!("{ROTA}/swaps"),
            Some(&dave),
            Some(offer.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["state"], "offered");
    let id = v["id"].as_str().expect("id").to_string();
    // Offers are validated: alice does not hold that time.
    let (s, v) = app
        .call(
            Method::POST,
            &format!("{ROTA}/swaps"),
            Some(&alice),
            Some(offer),
        )
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("start")),
        "{v}"
    );
    // dave cannot accept his own; dana leads but is no participant.
    let (s, _) = app
        .call(
            Method::POST,
            &format!("{ROTA}/swaps/{id}/accept"),
            Some(&dave),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = app
        .call(
            Method::POST,
            &format!("{ROTA}/swaps/{id}/accept"),
            Some(&dana),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // alice accepts and gives a day of her week in return; no approval needed.
    let ret =
        json!({ "in_return": { "start": "2026-12-08T14:00:00Z", "end": "2026-12-09T14:00:00Z" } });
    let (s, v) = app
        .call(
            Method::POST,
            &format!("{ROTA}/swaps/{id}/accept"),
            Some(&alice),
            Some(ret),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "applied");
    assert_eq!(
        on_call(&app, "2026-12-02T12:00:00Z").await,
        ("alice".into(), "swap".into())
    );
    assert_eq!(
        on_call(&app, "2026-12-08T20:00:00Z").await,
        ("dave".into(), "swap".into())
    );
    assert_eq!(
        on_call(&app, "2026-12-03T12:00:00Z").await.0,
        "dave",
        "only the offered part moved"
    );
    // A second acceptance is a conflict.
    let (s, _) = app
        .call(
            Method::POST,
            &format!("{ROTA}/swaps/{id}/accept"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    // It shows in alice's calendar feed and the audit log.
    let (_, f) = app
        .call(
            Method::POST,
            "/api/v1/feeds",
            Some(&alice),
            Some(json!({ "person": "alice" })),
        )
        .await;
    let ics = app
        .http
        .get(f["url"].as_str().expect("url"))
        .send()
        .await
        .expect("feed")
        .text()
        .await
        .unwrap_or_default();
    assert!(
        ics.contains("DTSTART:20261202T090000Z") && ics.contains("(from the swap)"),
        "{ics}"
    );
    let (_, audit) = app.get("/api/v1/audit").await;
    assert!(
        audit["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .any(|e| e["action"] == "swap.accept")
    );

    // A team that wants approval: accepted swaps wait for the lead.
    let (s, _) = app
        .call(
            Method::PUT,
            "/api/v1/teams/payments",
            Some(&dana),
            Some(json!({ "timezone": "America/New_York", "lead": "dana", "swap_approval": true })),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let offer = json!({ "layer": "primary", "start": "2026-12-15T14:00:00Z", "end": "2026-12-16T14:00:00Z" });
    let (_, v) = app
        .call(
            Method::POST,
            &format!("{ROTA}/swaps"),
            Some(&bob),
            Some(offer),
        )
        .await;
    let id2 = v["id"].as_str().expect("id").to_string();
    let (s, v) = app
        .call(
            Method::POST,
            &format!("{ROTA}/swaps/{id2}/accept"),
            Some(&carol),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (s, v["state"].as_str()),
        (StatusCode::OK, Some("accepted")),
        "{v}"
    );
    assert_eq!(
        on_call(&app, "2026-12-15T20:00:00Z").await.0,
        "bob",
        "not applied before approval"
    );
    let (s, _) = app
        .call(
            Method::POST,
            &format!("{ROTA}/swaps/{id2}/approve"),
            Some(&carol),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .call(
            Method::POST,
            &format!("{ROTA}/swaps/{id2}/approve"),
            Some(&dana),
            None,
        )
        .await;
    assert_eq!(
        (s, v["state"].as_str()),
        (StatusCode::OK, Some("applied")),
        "{v}"
    );
    assert_eq!(
        on_call(&app, "2026-12-15T20:00:00Z").await,
        ("carol".into(), "swap".into())
    );

    // Offers can be cancelled by the offerer, declined by the lead.
    let offer = json!({ "layer": "primary", "start": "2026-12-17T14:00:00Z", "end": "2026-12-18T14:00:00Z" });
    let (_, v) = app
        .call(
            Method::POST,
            &format!("{ROTA}/swaps"),
            Some(&bob),
            Some(offer.clone()),
        )
        .await;
    let id3 = v["id"].as_str().expect("id").to_string();
    let (s, _) = app
        .call(
            Method::POST,
            &format!("{ROTA}/swaps/{id3}/decline"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .call(
            Method::POST,
            &format!("{ROTA}/swaps/{id3}/cancel"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(
        (s, v["state"].as_str()),
        (StatusCode::OK, Some("cancelled")),
        "{v}"
    );
    let (_, v) = app
        .call(
            Method::POST,
            &format!("{ROTA}/swaps"),
            Some(&bob),
            Some(offer),
        )
        .await;
    let id4 = v["id"].as_str().expect("id").to_string();
    let (s, v): (StatusCode, Value) = app
        .call(
            Method::POST,
            &format!("{ROTA}/swaps/{id4}/decline"),
            Some(&dana),
            None,
        )
        .await;
    assert_eq!(
        (s, v["state"].as_str()),
        (StatusCode::OK, Some("declined")),
        "{v}"
    );
    let (_, list) = app.get(&format!("{ROTA}/swaps")).await;
    let mut states: Vec<&str> = list["swaps"]
        .as_array()
        .expect("swaps")
        .iter()
        .filter_map(|w| w["state"].as_str())
        .collect();
    states.sort();
    assert_eq!(states, ["applied", "applied", "cancelled", "declined"]);
    app.stop().await;
}
both!(swaps_sqlite, swaps_postgres, swaps_workflow);
