//! Each test is one story a responder would recognise.

use super::*;
use crate::server::Backend;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn no_ack_escalates_to_stage_two_then_an_sms_reply_stops_paging() {
    let (app, fake) = paging_app(Backend::Sqlite).await;
    let key = service(&app, "payments-api", ladder()).await;
    let (primary, secondary) = (
        on_call(&app, "primary").await,
        on_call(&app, "secondary").await,
    );
    assert_ne!(primary, secondary);

    let (s, a) = trigger(&app, &key, p1("Checkout error rate 12%")).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let id = a["id"].as_str().expect("id").to_string();
    // Stage 1: the primary gets an SMS and a Slack DM at once.
    let sms = fake.to("sms", &phone(&primary));
    assert_eq!(sms.len(), 1, "{:?}", fake.all());
    assert!(
        sms[0].text.contains("Checkout error rate 12%"),
        "{}",
        sms[0].text
    );
    assert_eq!(fake.to("chat", &chat(&primary)).len(), 1);
    assert!(fake.to("sms", &phone(&secondary)).is_empty());

    // Their rules call them at 2 minutes.
    advance(&app, 120).await;
    assert_eq!(fake.to("voice", &phone(&primary)).len(), 1);

    // No acknowledgement by 5 minutes: stage 2, the secondary.
    advance(&app, 180).await;
    let sms2 = fake.to("sms", &phone(&secondary));
    assert_eq!(sms2.len(), 1, "{:?}", fake.all());
    assert_eq!(fake.to("chat", &chat(&secondary)).len(), 1);

    // A reply from a number that was not paged is refused and changes nothing.
    let code = code_in(&sms2[0].text);
    let stranger = PEOPLE
        .iter()
        .find(|p| **p != primary && **p != secondary && **p != "dana")
        .expect("a third person");
    let (s, text) = twilio_post(
        &app,
        "/api/v1/callbacks/twilio/sms",
        &[("From", &phone(stranger)), ("Body", &format!("ack {code}"))],
        TWILIO_TOKEN,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(text.contains("No page"), "{text}");
    assert_eq!(alert(&app, &id).await["status"], "triggered");

    // The secondary replies "ack CODE": acknowledged, by them, by SMS.
    let (s, text) = twilio_post(
        &app,
        "/api/v1/callbacks/twilio/sms",
        &[
            ("From", &phone(&secondary)),
            ("Body", &format!("ack {code}")),
        ],
        TWILIO_TOKEN,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{text}");
    assert!(text.contains("acknowledged"), "{text}");
    let a = alert(&app, &id).await;
    assert_eq!(a["status"], "acknowledged");
    assert_eq!(a["acknowledged_by"], secondary.as_str());
    assert_eq!(a["acknowledged_via"], "sms");

    // The primary answers their own page too late: told who was first.
    let code1 = code_in(&sms[0].text);
    let (_, text) = twilio_post(
        &app,
        "/api/v1/callbacks/twilio/sms",
        &[
            ("From", &phone(&primary)),
            ("Body", &format!("ack {code1}")),
        ],
        TWILIO_TOKEN,
    )
    .await;
    assert!(
        text.contains(&format!("Already acknowledged by {secondary} at 07:05 EST")),
        "{text}"
    );

    // Nobody is paged again: not the secondary's call, not stage 3.
    let sent = fake.count();
    advance(&app, 1800).await;
    assert_eq!(fake.count(), sent, "{:?}", &fake.all()[sent..]);
    let kinds = timeline_kinds(&alert(&app, &id).await);
    for k in [
        "created",
        "stage_paged",
        "notified",
        "acknowledged",
        "paging_stopped",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} missing from {kinds:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_ladder_repeats_then_stops_and_the_api_acknowledges() {
    let (app, fake) = paging_app(Backend::Sqlite).await;
    let body = json!({ "ladder": { "repeat": 2, "stages": [
        { "timeout": "1m", "targets": ["oncall:*/primary"] },
        { "timeout": "1m", "targets": ["oncall:*/secondary"] },
    ]}});
    let key = service(&app, "payments-api", body).await;
    let (primary, secondary) = (
        on_call(&app, "primary").await,
        on_call(&app, "secondary").await,
    );
    let (_, a) = trigger(
        &app,
        &key,
        json!({ "service": "payments-api", "summary": "Disk 91%", "priority": "P3" }),
    )
    .await;
    let id = a["id"].as_str().expect("id").to_string();
    let sms = |who: &str| fake.to("sms", &phone(who)).len();
    assert_eq!((sms(&primary), sms(&secondary)), (1, 0));
    advance(&app, 60).await;
    assert_eq!((sms(&primary), sms(&secondary)), (1, 1));
    advance(&app, 60).await;
    assert_eq!(
        (sms(&primary), sms(&secondary)),
        (2, 1),
        "round 2 starts with the primary"
    );
    advance(&app, 60).await;
    assert_eq!((sms(&primary), sms(&secondary)), (2, 2));
    advance(&app, 600).await;
    assert_eq!(
        (sms(&primary), sms(&secondary)),
        (2, 2),
        "two rounds, then paging stops"
    );

    let tok = app.token("responder", &[], Some(&primary)).await;
    let (s, v) = app
        .call(
            Method::POST,
            &format!("/api/v1/alerts/{id}/ack"),
            Some(&tok),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["acknowledged_via"], "api");
    let (s, v) = app
        .call(
            Method::POST,
            &format!("/api/v1/alerts/{id}/note"),
            Some(&tok),
            Some(json!({ "text": "rotating logs" })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .call(
            Method::POST,
            &format!("/api/v1/alerts/{id}/note"),
            Some(&tok),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("text"))
    );
    let kinds = timeline_kinds(&alert(&app, &id).await);
    assert!(kinds.contains(&"note".to_string()), "{kinds:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_missed_resolve_target_engages_the_next_stage_once() {
    let (app, fake) = paging_app(Backend::Sqlite).await;
    let mut body = ladder();
    body["targets"] = json!({ "P1": { "resolve": "30m" } });
    let key = service(&app, "payments-api", body).await;
    let (primary, secondary) = (
        on_call(&app, "primary").await,
        on_call(&app, "secondary").await,
    );
    let (_, a) = trigger(&app, &key, p1("Latency p99 4s")).await;
    let id = a["id"].as_str().expect("id").to_string();
    let tok = app.token("responder", &[], Some(&primary)).await;
    app.call(
        Method::POST,
        &format!("/api/v1/alerts/{id}/ack"),
        Some(&tok),
        None,
    )
    .await;
    app.dispatch.settle().await;
    assert!(fake.to("sms", &phone(&secondary)).is_empty());
    advance(&app, 29 * 60).await;
    assert!(fake.to("sms", &phone(&secondary)).is_empty());
    advance(&app, 60).await;
    assert_eq!(
        fake.to("sms", &phone(&secondary)).len(),
        1,
        "the next stage is engaged"
    );
    advance(&app, 3600).await;
    assert_eq!(fake.to("sms", &phone(&secondary)).len(), 1, "once");
    let a = alert(&app, &id).await;
    assert_eq!(a["status"], "acknowledged", "the acknowledger stays on it");
    assert!(
        a["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .any(|e| e["kind"] == "sla_breach" && e["detail"]["target"] == "resolve")
    );
    app.stop().await;
}

#[tokio::test]
async fn a_missed_heartbeat_opens_an_alert_and_checking_in_resolves_it() {
    let (app, fake) = paging_app(Backend::Sqlite).await;
    let mut body = ladder();
    body["heartbeat"] = json!("10m");
    let key = service(&app, "payments-api", body).await;
    let beat = || async {
        let r = app
            .http
            .post(format!(
                "{}/api/v1/services/payments-api/heartbeat",
                app.base
            ))
            .header("X-Vigil-Integration-Key", &key)
            .send()
            .await
            .expect("sent");
        app.dispatch.settle().await;
        r.status()
    };
    advance(&app, 300).await;
    assert_eq!(beat().await, StatusCode::ACCEPTED);
    advance(&app, 9 * 60).await;
    assert_eq!(fake.count(), 0);
    advance(&app, 2 * 60).await;
    let (_, list) = app.get("/api/v1/alerts?status=triggered").await;
    let a = &list["alerts"][0];
    assert!(
        a["summary"]
            .as_str()
            .unwrap_or("")
            .contains("missed its heartbeat"),
        "{list}"
    );
    assert!(fake.count() > 0, "the missed heartbeat pages");
    assert_eq!(beat().await, StatusCode::ACCEPTED);
    assert_eq!(
        alert(&app, a["id"].as_str().expect("id")).await["status"],
        "resolved"
    );
    app.stop().await;
}

#[tokio::test]
async fn alerts_in_a_maintenance_window_are_recorded_and_page_when_it_ends() {
    let (app, fake) = paging_app(Backend::Sqlite).await;
    let mut body = ladder();
    body["maintenance"] =
        json!([{ "start": "2026-11-27T11:00:00Z", "end": "2026-11-27T13:00:00Z" }]);
    let key = service(&app, "payments-api", body).await;
    let (s, a) = trigger(&app, &key, p1("Deploy restarts")).await;
    assert_eq!(
        (s, a["outcome"].as_str(), a["suppressed"].as_bool()),
        (StatusCode::CREATED, Some("suppressed"), Some(true))
    );
    let (_, b) = trigger(&app, &key, p1("Cache warming")).await;
    advance(&app, 1800).await;
    assert_eq!(fake.count(), 0, "{:?}", fake.all());
    // One is resolved inside the window; the other is still open when it ends.
    let (s, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/alerts/{}/resolve", b["id"].as_str().expect("id")),
            Some(&app.admin.clone()),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    advance(&app, 1800).await;
    let primary = on_call(&app, "primary").await;
    let sms = fake.to("sms", &phone(&primary));
    assert_eq!(sms.len(), 1, "{sms:?}");
    assert!(sms[0].text.contains("Deploy restarts"), "{}", sms[0].text);
    let a = alert(&app, a["id"].as_str().expect("id")).await;
    assert_eq!(a["suppressed"], json!(false));
    let kinds = timeline_kinds(&a);
    assert!(
        kinds.contains(&"maintenance_ended".to_string()),
        "{kinds:?}"
    );
    // After the window, new alerts page at once.
    trigger(&app, &key, p1("Real outage")).await;
    assert_eq!(fake.to("sms", &phone(&primary)).len(), 2);
    app.stop().await;
}

/// Escalating an acknowledged alert hands it back: it is triggered again,
/// the next stage is paged at once and, unacknowledged, the stage after
/// follows at its timeout. (Before, it stayed acknowledged and nothing
/// more was ever paged.)
#[tokio::test]
async fn escalating_an_acknowledged_alert_pages_on_up_the_ladder() {
    let (app, fake) = paging_app(Backend::Sqlite).await;
    let key = service(&app, "payments-api", ladder()).await;
    let (primary, secondary) = (
        on_call(&app, "primary").await,
        on_call(&app, "secondary").await,
    );
    let (_, a) = trigger(&app, &key, p1("Checkout 500s")).await;
    let id = a["id"].as_str().expect("id").to_string();
    let tok = app.token("responder", &[], Some(&primary)).await;
    for action in ["ack", "escalate"] {
        let (s, v) = app
            .call(
                Method::POST,
                &format!("/api/v1/alerts/{id}/{action}"),
                Some(&tok),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        app.dispatch.settle().await;
    }
    let a = alert(&app, &id).await;
    assert_eq!(a["status"], "triggered");
    assert_eq!(a["acknowledged_by"], Value::Null);
    assert_eq!(
        fake.to("sms", &phone(&secondary)).len(),
        1,
        "stage 2 at once"
    );
    let lead = "dana";
    let before = fake.to("sms", &phone(lead)).len();
    advance(&app, 300).await;
    assert_eq!(
        fake.to("sms", &phone(lead)).len(),
        before + 1,
        "stage 3 (the lead) after stage 2's timeout"
    );
    app.stop().await;
}
