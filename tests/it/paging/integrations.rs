//! Stories of monitoring tools: repeated triggers counted into one alert,
//! PagerDuty Events v2 and Alertmanager.

use super::*;
use crate::server::Backend;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn dedup_story(backend: Backend) {
    let (app, fake) = paging_app(backend).await;
    let key = service(&app, "payments-api", ladder()).await;
    let primary = on_call(&app, "primary").await;
    let mut body = p1("Checkout 5xx");
    body["dedup_key"] = json!("checkout-5xx");
    let (s1, a1) = trigger(&app, &key, body.clone()).await;
    let (s2, a2) = trigger(&app, &key, body.clone()).await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::OK));
    assert_eq!(a1["id"], a2["id"]);
    assert_eq!(
        (a2["count"].as_i64(), a2["outcome"].as_str()),
        (Some(2), Some("deduplicated"))
    );
    assert_eq!(
        fake.to("sms", &phone(&primary)).len(),
        1,
        "nobody is paged twice"
    );
    // Bad input is refused with the field named, and opens nothing.
    let (s, v) = trigger(
        &app,
        &key,
        json!({ "service": "payments-api", "summary": "", "priority": "P1" }),
    )
    .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("summary"))
    );
    let (s, v) = trigger(
        &app,
        &key,
        json!({ "service": "payments-api", "summary": "x", "priority": "P9" }),
    )
    .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("priority"))
    );
    let (s, _) = trigger(&app, "vik_wrong", body).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (_, list) = app.get("/api/v1/alerts?status=triggered").await;
    assert_eq!(list["alerts"].as_array().map(Vec::len), Some(1));
    app.stop().await;
}
crate::both!(dedup_on_sqlite, dedup_on_postgres, dedup_story);

#[tokio::test]
async fn pagerduty_events_v2_trigger_acknowledge_resolve() {
    let (app, fake) = paging_app(Backend::Sqlite).await;
    let key = service(&app, "payments-api", ladder()).await;
    let primary = on_call(&app, "primary").await;
    let send = |b: Value| {
        let app = &app;
        async move {
            let (s, v) = app.call(Method::POST, "/v2/enqueue", None, Some(b)).await;
            app.dispatch.settle().await;
            (s, v)
        }
    };
    let (s, v) = send(json!({ "routing_key": key, "event_action": "trigger", "dedup_key": "db-1",
        "payload": { "summary": "DB replica lag", "severity": "critical", "source": "db-7", "custom_details": { "lag_s": 42 } } })).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(
        v,
        json!({ "status": "success", "message": "Event processed", "dedup_key": "db-1" })
    );
    assert_eq!(fake.to("sms", &phone(&primary)).len(), 1);
    let (_, list) = app.get("/api/v1/alerts").await;
    let a = &list["alerts"][0];
    assert_eq!(
        (a["priority"].as_str(), a["details"]["lag_s"].as_i64()),
        (Some("P1"), Some(42))
    );
    let id = a["id"].as_str().expect("id").to_string();
    // The same trigger again: counted on the open alert, nobody paged twice.
    for _ in 0..2 {
        let (s, v) = send(
            json!({ "routing_key": key, "event_action": "trigger", "dedup_key": "db-1",
            "payload": { "summary": "DB replica lag", "severity": "critical", "source": "db-7" } }),
        )
        .await;
        assert_eq!(
            (s, v["dedup_key"].as_str()),
            (StatusCode::ACCEPTED, Some("db-1")),
            "{v}"
        );
    }
    let a = alert(&app, &id).await;
    assert_eq!(a["count"], 3);
    assert_eq!(fake.to("sms", &phone(&primary)).len(), 1);
    assert!(timeline_kinds(&a).contains(&"deduplicated".to_string()));

    let (s, _) =
        send(json!({ "routing_key": key, "event_action": "acknowledge", "dedup_key": "db-1" }))
            .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(
        alert(&app, &id).await["acknowledged_via"],
        "pagerduty-events"
    );
    let (s, _) =
        send(json!({ "routing_key": key, "event_action": "resolve", "dedup_key": "db-1" })).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(alert(&app, &id).await["status"], "resolved");

    // PagerDuty's error shape.
    let (s, v) = send(json!({ "routing_key": key, "event_action": "trigger", "payload": { "summary": "x", "source": "y" } })).await;
    assert_eq!(
        (s, v["status"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid event"))
    );
    assert!(
        v["errors"][0].as_str().unwrap_or("").contains("severity"),
        "{v}"
    );
    let (s, v) = send(json!({ "routing_key": "nope", "event_action": "trigger", "payload": { "summary": "x", "source": "y", "severity": "info" } })).await;
    assert_eq!(
        (s, v["errors"][0].as_str()),
        (StatusCode::BAD_REQUEST, Some("Invalid routing key"))
    );
    app.stop().await;
}

#[tokio::test]
async fn alertmanager_firing_then_resolved() {
    let (app, fake) = paging_app(Backend::Sqlite).await;
    service(&app, "payments-api", ladder()).await;
    let (_, k) = app
        .call(
            Method::POST,
            "/api/v1/services/payments-api/keys",
            Some(&app.admin.clone()),
            Some(json!({ "kind": "alertmanager" })),
        )
        .await;
    let url = k["url"].as_str().expect("url").to_string();
    let path = url.strip_prefix(&app.base).expect("our URL").to_string();
    let payload = |status: &str| {
        json!({
            "version": "4", "groupKey": "{}:{alertname=\"HighErrorRate\"}", "status": status, "receiver": "vigil",
            "groupLabels": { "alertname": "HighErrorRate" }, "commonLabels": { "alertname": "HighErrorRate", "severity": "critical" },
            "commonAnnotations": { "summary": "Error rate above 5%" }, "externalURL": "http://am:9093",
            "alerts": [{ "status": status, "labels": { "alertname": "HighErrorRate" }, "annotations": {}, "startsAt": "2026-11-27T11:59:00Z", "fingerprint": "abc" }],
            "truncatedAlerts": 0, "someFutureField": true
        })
    };
    let post = |b: Value| {
        let (app, path) = (&app, path.clone());
        async move {
            let (s, v) = app.call(Method::POST, &path, None, Some(b)).await;
            app.dispatch.settle().await;
            (s, v)
        }
    };
    assert_eq!(post(payload("firing")).await.0, StatusCode::OK);
    assert_eq!(post(payload("firing")).await.0, StatusCode::OK);
    let (_, list) = app.get("/api/v1/alerts").await;
    assert_eq!(list["alerts"].as_array().map(Vec::len), Some(1));
    let a = &list["alerts"][0];
    assert_eq!(
        (
            a["summary"].as_str(),
            a["priority"].as_str(),
            a["count"].as_i64()
        ),
        (Some("Error rate above 5%"), Some("P1"), Some(2))
    );
    assert_eq!(
        fake.to("sms", &phone(&on_call(&app, "primary").await))
            .len(),
        1
    );
    assert_eq!(post(payload("resolved")).await.0, StatusCode::OK);
    let id = a["id"].as_str().expect("id");
    assert_eq!(alert(&app, id).await["status"], "resolved");
    let bad = app
        .call(
            Method::POST,
            "/api/v1/integrations/alertmanager/vik_wrong",
            None,
            Some(payload("firing")),
        )
        .await;
    assert_eq!(bad.0, StatusCode::UNAUTHORIZED);
    app.stop().await;
}
