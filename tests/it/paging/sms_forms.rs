//! Every way a responder may answer a page by SMS: the code before or after
//! the verb, with or without a space, a bare verb when one page is open,
//! and the carrier keywords.

use super::*;
use reqwest::StatusCode;
use serde_json::json;

async fn reply(app: &TestApp, body: &str) -> String {
    let (s, text) = twilio_post(
        app,
        "/api/v1/callbacks/twilio/sms",
        &[("From", &phone("alice")), ("Body", body)],
        TWILIO_TOKEN,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{text}");
    text
}

async fn raise(app: &TestApp, key: &str, fake: &Fake, summary: &str) -> (String, String) {
    let (s, a) = trigger(
        app,
        key,
        json!({ "service": "checkout", "summary": summary, "priority": "P3" }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let sms = fake.to("sms", &phone("alice"));
    let last = sms.last().expect("a page");
    assert!(last.text.contains(summary), "{}", last.text);
    (
        a["id"].as_str().expect("id").to_string(),
        code_in(&last.text),
    )
}

#[tokio::test]
async fn every_reply_form_acknowledges_and_carrier_keywords_are_answered() {
    let alice = json!({ "name": "Alice", "phone": phone("alice"), "rules": { "P3": ["sms"] } });
    let (app, fake, key) = alice_app(alice, "checkout", "1h").await;

    // The one open page: a bare "r" resolves it.
    let (x, _) = raise(&app, &key, &fake, "only one").await;
    let text = reply(&app, "r").await;
    assert!(text.contains("1 alert(s) resolved"), "{text}");
    assert_eq!(alert(&app, &x).await["status"], "resolved");

    for (i, form) in [
        "ack {}",
        "ack{}",
        "{} a",
        "{}a",
        " A  {}. ",
        "Acknowledge {}",
    ]
    .iter()
    .enumerate()
    {
        let (id, code) = raise(&app, &key, &fake, &format!("form {i}")).await;
        let text = reply(&app, &form.replace("{}", &code)).await;
        assert!(text.contains("1 alert(s) acknowledged"), "{form}: {text}");
        assert_eq!(alert(&app, &id).await["status"], "acknowledged", "{form}");
    }

    // A bare verb acts on the one open page sent to this number…
    let (id, _) = raise(&app, &key, &fake, "bare ack").await;
    let text = reply(&app, "ack").await;
    assert!(text.contains("1 alert(s) acknowledged"), "{text}");
    assert_eq!(alert(&app, &id).await["status"], "acknowledged");
    // …and asks which one when there are several.
    let (a, code_a) = raise(&app, &key, &fake, "first of two").await;
    let (b, _) = raise(&app, &key, &fake, "second of two").await;
    let text = reply(&app, "ACK").await;
    assert!(
        text.contains("2 open pages") && text.contains("ack "),
        "{text}"
    );
    assert_eq!(alert(&app, &a).await["status"], "triggered");
    assert_eq!(alert(&app, &b).await["status"], "triggered");
    // Resolve by code after the verb's letter.
    let text = reply(&app, &format!("{code_a} r")).await;
    assert!(text.contains("resolved"), "{text}");
    assert_eq!(alert(&app, &a).await["status"], "resolved");
    // One unacknowledged page left: a bare "ack" takes it.
    let text = reply(&app, "ack").await;
    assert!(text.contains("1 alert(s) acknowledged"), "{text}");
    assert_eq!(alert(&app, &b).await["status"], "acknowledged");
    // Nothing left to acknowledge: a bare verb says so.
    let text = reply(&app, "ack").await;
    assert!(text.contains("No open page"), "{text}");

    // Carrier keywords.
    let text = reply(&app, "STOP").await;
    assert!(
        text.contains("no more texts") && text.contains("START"),
        "{text}"
    );
    let text = reply(&app, "start").await;
    assert!(text.contains("on again"), "{text}");
    let text = reply(&app, "HELP").await;
    assert!(
        text.contains("Reply ACK") && text.contains("STOP"),
        "{text}"
    );
    let text = reply(&app, "what is going on").await;
    assert!(text.contains("Reply"), "{text}");
    app.stop().await;
}

#[tokio::test]
async fn an_undelivered_sms_moves_the_page_to_slack_at_once() {
    let alice = json!({ "name": "Alice", "phone": phone("alice"), "chat": chat("alice"),
                        "rules": { "P1": ["sms"] } });
    let (app, fake, key) = alice_app(alice, "checkout", "30m").await;
    let (_, a) = trigger(
        &app,
        &key,
        json!({ "service": "checkout", "summary": "Checkout down", "priority": "P1" }),
    )
    .await;
    let id = a["id"].as_str().expect("id").to_string();
    let sms = fake.to("sms", &phone("alice"));
    assert_eq!(sms.len(), 1);
    assert!(
        fake.to("chat", &chat("alice")).is_empty(),
        "SMS only, by her rules"
    );
    let path = status_callback(&app, &sms[0]);
    // "delivered" changes nothing…
    let (s, _) = twilio_post(
        &app,
        &path,
        &[("MessageSid", "SM1"), ("MessageStatus", "sent")],
        TWILIO_TOKEN,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert!(fake.to("chat", &chat("alice")).is_empty());
    // …"undelivered" pages her on Slack now, not at the 30-minute timeout.
    let (s, _) = twilio_post(
        &app,
        &path,
        &[
            ("MessageSid", "SM1"),
            ("MessageStatus", "undelivered"),
            ("ErrorCode", "30003"),
        ],
        TWILIO_TOKEN,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    app.dispatch.settle().await;
    let chat_pages = fake.to("chat", &chat("alice"));
    assert_eq!(chat_pages.len(), 1, "paged on Slack at once");
    assert!(chat_pages[0].text.contains("Checkout down"));
    assert!(timeline_kinds(&alert(&app, &id).await).contains(&"fallback".to_string()));
    // A second report of the same failure pages nobody again.
    twilio_post(
        &app,
        &path,
        &[("MessageSid", "SM1"), ("MessageStatus", "failed")],
        TWILIO_TOKEN,
    )
    .await;
    app.dispatch.settle().await;
    assert_eq!(fake.to("chat", &chat("alice")).len(), 1);
    app.stop().await;
}
