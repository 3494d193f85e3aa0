//! Each test is one story a responder would recognise.

use super::*;
use crate::server::Backend;
use reqwest::{Method, StatusCode};
use serde_json::json;

fn p1(summary: &str) -> Value {
    json!({ "service": "payments-api", "summary": summary, "priority": "P1" })
}

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
async fn a_keypress_in_the_voice_call_acknowledges() {
    let (app, fake) = paging_app(Backend::Sqlite).await;
    let key = service(&app, "payments-api", ladder()).await;
    let primary = on_call(&app, "primary").await;
    let (_, a) = trigger(&app, &key, p1("Database down")).await;
    let id = a["id"].as_str().expect("id").to_string();
    advance(&app, 120).await;
    let call = fake.to("voice", &phone(&primary));
    assert_eq!(call.len(), 1);
    assert!(
        call[0].text.contains("<Gather") && call[0].text.contains("Database down"),
        "{}",
        call[0].text
    );
    let action = call[0]
        .text
        .split("action=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a Gather action")
        .replace("&amp;", "&");
    let path = action.strip_prefix(&app.base).expect("our URL").to_string();
    let (s, twiml) = twilio_post(
        &app,
        &path,
        &[("Digits", "1"), ("From", &phone(&primary))],
        TWILIO_TOKEN,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{twiml}");
    assert!(twiml.contains("acknowledged"), "{twiml}");
    let a = alert(&app, &id).await;
    assert_eq!(
        (a["status"].as_str(), a["acknowledged_via"].as_str()),
        (Some("acknowledged"), Some("voice"))
    );
    assert_eq!(a["acknowledged_by"], primary.as_str());
    app.stop().await;
}

fn slack_body(user: &str, action: &str, message: &str) -> String {
    let payload = json!({ "type": "block_actions", "user": { "id": user }, "actions": [{ "action_id": action, "value": message }] });
    serde_urlencoded::to_string([("payload", payload.to_string())]).expect("form")
}

async fn slack_post(app: &TestApp, body: &str, ts: i64, secret: &str) -> StatusCode {
    let sig = vigil::dispatch::links::slack_signature(secret, &ts.to_string(), body.as_bytes());
    let r = app
        .http
        .post(format!("{}/api/v1/callbacks/slack", app.base))
        .header("X-Slack-Request-Timestamp", ts.to_string())
        .header("X-Slack-Signature", sig)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_string())
        .send()
        .await
        .expect("sent");
    let s = r.status();
    app.dispatch.settle().await;
    s
}

#[tokio::test]
async fn the_chat_button_acknowledges_and_forged_or_replayed_callbacks_change_nothing() {
    let (app, fake) = paging_app(Backend::Sqlite).await;
    let key = service(&app, "payments-api", ladder()).await;
    let primary = on_call(&app, "primary").await;
    let (_, a) = trigger(&app, &key, p1("Queue backlog")).await;
    let id = a["id"].as_str().expect("id").to_string();
    let msg = fake.to("chat", &chat(&primary));
    assert_eq!(msg.len(), 1);
    let button = &msg[0].body["blocks"][1]["elements"][0];
    assert_eq!(button["action_id"], "ack");
    let message = button["value"].as_str().expect("value").to_string();
    let body = slack_body(&chat(&primary), "ack", &message);
    let now = vigil::clock::Clock::now(app.clock.as_ref()).timestamp();

    // Forged (wrong secret), replayed (ten minutes old), and a forged SMS.
    assert_eq!(
        slack_post(&app, &body, now, "not-the-secret").await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        slack_post(&app, &body, now - 600, SLACK_SECRET).await,
        StatusCode::FORBIDDEN
    );
    let code = code_in(&fake.to("sms", &phone(&primary))[0].text);
    let (s, _) = twilio_post(
        &app,
        "/api/v1/callbacks/twilio/sms",
        &[("From", &phone(&primary)), ("Body", &format!("ack {code}"))],
        "wrong-token",
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(alert(&app, &id).await["status"], "triggered");

    // The real button press.
    assert_eq!(
        slack_post(&app, &body, now, SLACK_SECRET).await,
        StatusCode::OK
    );
    let a = alert(&app, &id).await;
    assert_eq!(
        (a["status"].as_str(), a["acknowledged_via"].as_str()),
        (Some("acknowledged"), Some("chat"))
    );
    assert_eq!(a["acknowledged_by"], primary.as_str());
    // The Slack message now says so, without its buttons.
    let update = fake.to("chat_update", &chat(&primary));
    assert_eq!(update.len(), 1, "{:?}", fake.all());
    assert!(
        update[0]
            .text
            .contains(&format!("acknowledged by {primary} (chat)")),
        "{}",
        update[0].text
    );
    assert_eq!(update[0].body["ts"], "1700000000.000100");
    assert!(
        update[0].body["blocks"]
            .as_array()
            .is_some_and(|b| b.len() == 1)
    );
    app.stop().await;
}

#[tokio::test]
async fn a_vendor_webhook_carries_a_signed_link_that_acknowledges() {
    let (app, fake) = paging_app(Backend::Sqlite).await;
    let vendor = format!("webhook:{}/vendor/acme", fake.url);
    let key = service(
        &app,
        "payments-api",
        json!({ "ladder": { "stages": [{ "timeout": "5m", "targets": [vendor] }] } }),
    )
    .await;
    let (_, a) = trigger(&app, &key, p1("Card network unreachable")).await;
    let id = a["id"].as_str().expect("id").to_string();
    let hook = fake.to("webhook", "/vendor/acme");
    assert_eq!(hook.len(), 1, "{:?}", fake.all());
    assert!(
        hook[0]
            .headers
            .get("x-vigil-signature")
            .is_some_and(|v| v.to_str().unwrap_or("").starts_with("v1="))
    );
    assert_eq!(hook[0].body["alerts"][0]["id"], id.as_str());
    let link = hook[0].body["ack_url"]
        .as_str()
        .expect("ack_url")
        .to_string();

    // Opening the link shows a button and changes nothing (mail scanners follow links).
    let page = app.http.get(&link).send().await.expect("get");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text()
            .await
            .unwrap_or_default()
            .contains("Card network unreachable")
    );
    assert_eq!(alert(&app, &id).await["status"], "triggered");
    // A tampered link is refused.
    let tampered = format!("{}0", &link[..link.len() - 1]);
    let r = app.http.post(&tampered).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Pressing the button acknowledges.
    press_link_and_expect_ack(&app, &link, &id).await;
    app.stop().await;
}

/// Presses the button behind a signed link: the alert is acknowledged by link.
async fn press_link_and_expect_ack(app: &TestApp, link: &str, id: &str) {
    let r = app.http.post(link).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::OK);
    app.dispatch.settle().await;
    let a = alert(app, id).await;
    assert_eq!(
        (a["status"].as_str(), a["acknowledged_via"].as_str()),
        (Some("acknowledged"), Some("link"))
    );
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

/// A reply code names one message: while messages to a number can still be
/// answered, no two carry the same code, so "ack CODE" to an older message
/// acknowledges that message's alerts and never another service's. (With
/// random four-digit codes, 300 messages to one number shared a code with
/// near certainty, and the reply acknowledged the newer message's alerts.)
#[tokio::test]
async fn a_reply_code_acknowledges_only_its_own_message() {
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
            Some(json!({ "name": "Alice", "phone": phone("alice"), "rules": { "P3": ["sms"] } })),
        )
        .await;
    assert!(s.is_success(), "{v}");
    let one = json!({ "ladder": { "stages": [{ "timeout": "1h", "targets": ["person:alice"] }] } });
    let keys = [
        service(&app, "checkout", one.clone()).await,
        service(&app, "search", one).await,
    ];
    let mut first = None;
    for i in 0..300 {
        let (svc, key) = if i % 2 == 0 {
            ("checkout", &keys[0])
        } else {
            ("search", &keys[1])
        };
        let (s, a) = trigger(
            &app,
            key,
            json!({ "service": svc, "summary": format!("{svc} {i}"), "priority": "P3" }),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
        first.get_or_insert(a["id"].as_str().expect("id").to_string());
    }
    let sms = fake.to("sms", &phone("alice"));
    assert_eq!(sms.len(), 300);
    let mut codes: Vec<String> = sms.iter().map(|m| code_in(&m.text)).collect();
    let first_code = codes[0].clone();
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), 300, "every message has a code of its own");
    let (s, text) = twilio_post(
        &app,
        "/api/v1/callbacks/twilio/sms",
        &[
            ("From", &phone("alice")),
            ("Body", &format!("ack {first_code}")),
        ],
        TWILIO_TOKEN,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(text.contains("1 alert(s) acknowledged"), "{text}");
    let (_, acked) = app.get("/api/v1/alerts?status=acknowledged").await;
    let acked = acked["alerts"].as_array().expect("alerts");
    assert_eq!(acked.len(), 1);
    assert_eq!(acked[0]["id"].as_str(), first.as_deref());
    assert_eq!(acked[0]["service"], "checkout");
    app.stop().await;
}

#[tokio::test]
async fn a_storm_is_bundled_and_one_code_acknowledges_the_bundle() {
    let (app, fake) = paging_app(Backend::Sqlite).await;
    let key = service(&app, "payments-api", ladder()).await;
    let primary = on_call(&app, "primary").await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let (http, url, key) = (
            app.http.clone(),
            format!("{}/api/v1/alerts", app.base),
            key.clone(),
        );
        let body = json!({ "service": "payments-api", "summary": format!("Pod {i} crashlooping"), "priority": if i % 2 == 0 { "P2" } else { "P1" } });
        tasks.spawn(async move {
            http.post(url)
                .header("X-Vigil-Integration-Key", key)
                .json(&body)
                .send()
                .await
                .expect("sent")
                .status()
        });
    }
    let codes = tasks.join_all().await;
    assert!(codes.iter().all(|s| *s == StatusCode::CREATED));
    app.dispatch.settle().await;
    let sms = fake.to("sms", &phone(&primary));
    assert!(
        sms.len() <= 6,
        "at most 6 SMS a minute to one number, got {}",
        sms.len()
    );
    let bundle = sms
        .iter()
        .find(|m| m.text.contains("new alerts"))
        .expect("a bundled SMS");
    // Sixty seconds later the held ones go out, bundled.
    advance(&app, 60).await;
    let (_, open) = app.get("/api/v1/alerts?status=triggered").await;
    assert_eq!(open["alerts"].as_array().map(Vec::len), Some(20));
    let code = code_in(&bundle.text);
    let (s, text) = twilio_post(
        &app,
        "/api/v1/callbacks/twilio/sms",
        &[("From", &phone(&primary)), ("Body", &format!("ack {code}"))],
        TWILIO_TOKEN,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let n: usize = text
        .split("<Message>")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("a count");
    assert!(
        n > 1,
        "one code acknowledges every alert of the bundle: {text}"
    );
    let (_, acked) = app.get("/api/v1/alerts?status=acknowledged").await;
    assert_eq!(acked["alerts"].as_array().map(Vec::len), Some(n));
    app.stop().await;
}

#[tokio::test]
async fn a_vendor_email_carries_a_signed_link_that_acknowledges() {
    let fake = Fake::start().await;
    let smtp = FakeSmtp::start().await;
    let mut notify = notify_for(&fake);
    notify.smtp_host = Some("127.0.0.1".into());
    notify.smtp_port = smtp.port;
    notify.smtp_tls = "none".into();
    notify.smtp_from = Some("Vigil <vigil@example.com>".into());
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.notify = notify).await;
    let key = service(&app, "payments-api", json!({ "ladder": { "stages": [{ "timeout": "5m", "targets": ["email:oncall@acme.example"] }] } })).await;
    let (_, a) = trigger(&app, &key, p1("Card network unreachable")).await;
    let id = a["id"].as_str().expect("id").to_string();
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let (to, text) = &mails[0];
    assert_eq!(to, "oncall@acme.example");
    assert!(text.contains("Card network unreachable"), "{text}");
    let link = text
        .lines()
        .find_map(|l| l.strip_prefix("Acknowledge: "))
        .expect("an acknowledge link")
        .trim()
        .to_string();
    press_link_and_expect_ack(&app, &link, &id).await;
    app.stop().await;
}

#[tokio::test]
async fn twilio_delivery_reports_land_on_the_timeline() {
    let (app, fake) = paging_app(Backend::Sqlite).await;
    let key = service(&app, "payments-api", ladder()).await;
    let primary = on_call(&app, "primary").await;
    let (_, a) = trigger(&app, &key, p1("Payments queue stuck")).await;
    let id = a["id"].as_str().expect("id").to_string();
    let sms = fake.to("sms", &phone(&primary));
    let callback = sms[0]
        .body
        .as_array()
        .expect("form")
        .iter()
        .find(|p| p[0] == "StatusCallback")
        .and_then(|p| p[1].as_str())
        .expect("a StatusCallback")
        .to_string();
    let path = callback
        .strip_prefix(&app.base)
        .expect("our URL")
        .to_string();
    let report = [("MessageSid", "SM1"), ("MessageStatus", "delivered")];
    let (s, _) = twilio_post(&app, &path, &report, "forged").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = twilio_post(&app, &path, &report, TWILIO_TOKEN).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let a = alert(&app, &id).await;
    let delivered: Vec<&Value> = a["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["kind"] == "delivery")
        .collect();
    assert_eq!(delivered.len(), 1, "the forged report left no trace: {a}");
    assert_eq!(delivered[0]["detail"]["status"], "delivered");
    app.stop().await;
}
