//! Stories of replies: a keypress, a chat button, signed links, reply
//! codes, bundles and delivery reports.

use super::*;
use reqwest::StatusCode;
use serde_json::json;

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
    let sig = vigil::delivery::links::slack_signature(secret, &ts.to_string(), body.as_bytes());
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
    // Only a Resolve button is left on it, and it works.
    let buttons = &update[0].body["blocks"][1]["elements"];
    assert_eq!(
        buttons.as_array().map(Vec::len),
        Some(1),
        "{}",
        update[0].body
    );
    assert_eq!(buttons[0]["action_id"], "resolve");
    let value = buttons[0]["value"].as_str().expect("value").to_string();
    let body = slack_body(&chat(&primary), "resolve", &value);
    assert_eq!(
        slack_post(&app, &body, now, SLACK_SECRET).await,
        StatusCode::OK
    );
    let a = alert(&app, &id).await;
    assert_eq!(a["status"], "resolved");
    assert_eq!(a["resolved_by"], primary.as_str());
    // Resolved: the message says so, with no buttons at all.
    let update = fake.to("chat_update", &chat(&primary));
    let last = update.last().expect("a second rewrite");
    assert!(last.text.contains("resolved"), "{}", last.text);
    assert!(last.body["blocks"].as_array().is_some_and(|b| b.len() == 1));
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
    let last = if link.ends_with('0') { "1" } else { "0" };
    let tampered = format!("{}{last}", &link[..link.len() - 1]);
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

/// A reply code names one message: while messages to a number can still be
/// answered, no two carry the same code, so "ack CODE" to an older message
/// acknowledges that message's alerts and never another service's. (With
/// random four-digit codes, 300 messages to one number shared a code with
/// near certainty, and the reply acknowledged the newer message's alerts.)
#[tokio::test]
async fn a_reply_code_acknowledges_only_its_own_message() {
    let alice = json!({ "name": "Alice", "phone": phone("alice"), "rules": { "P3": ["sms"] } });
    let (app, fake, checkout) = alice_app(alice, "checkout", "1h").await;
    let one = json!({ "ladder": { "stages": [{ "timeout": "1h", "targets": ["person:alice"] }] } });
    let keys = [checkout, service(&app, "search", one).await];
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
    let path = status_callback(&app, &sms[0]);
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
