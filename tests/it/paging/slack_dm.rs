//! Handoffs in a Slack direct message to Vigil (the Events API): NOTE
//! leaves a note for the next shift, ACK acknowledges the handoff, and
//! Vigil answers in the conversation. Unsigned events, Slack's retries and
//! bots' own messages do nothing.

use super::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn event(app: &TestApp, body: &Value, secret: &str, retry: bool) -> (StatusCode, Value) {
    let body = body.to_string();
    let ts = vigil::clock::Clock::now(app.clock.as_ref()).timestamp();
    let sig = vigil::delivery::links::slack_signature(secret, &ts.to_string(), body.as_bytes());
    let mut req = app
        .http
        .post(format!("{}/api/v1/callbacks/slack/events", app.base))
        .header("X-Slack-Request-Timestamp", ts.to_string())
        .header("X-Slack-Signature", sig)
        .header("content-type", "application/json");
    if retry {
        req = req.header("X-Slack-Retry-Num", "1");
    }
    let r = req.body(body).send().await.expect("sent");
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

fn dm(user: &str, channel: &str, text: &str) -> Value {
    json!({ "type": "event_callback", "event": {
        "type": "message", "channel_type": "im", "user": user, "channel": channel, "text": text } })
}

/// The texts Vigil sent to Slack conversation `channel`, waiting up to 2 s
/// for `n` of them (the answer is sent after Slack has its 200).
async fn answers(fake: &Fake, channel: &str, n: usize) -> Vec<String> {
    for _ in 0..100 {
        if fake.to("chat", channel).len() >= n {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    fake.to("chat", channel)
        .into_iter()
        .map(|m| m.text)
        .collect()
}

async fn clock_to(app: &TestApp, at: &str) {
    let now = vigil::clock::Clock::now(app.clock.as_ref());
    app.clock.advance(crate::server::utc(at) - now);
    app.dispatch.settle().await;
}

#[tokio::test]
async fn notes_and_acknowledgements_by_slack_direct_message() {
    let (app, fake) = paging_app(Backend::Sqlite).await;
    let at = |t: &str| format!("/api/v1/teams/payments/rotas/payments-weekly/oncall?at={t}");
    let holder = |v: &Value| {
        v["layers"][0]["on_call"][0]["person"]
            .as_str()
            .expect("someone")
            .to_string()
    };
    let from = holder(&app.get(&at("2026-11-30T13:59:00Z")).await.1);
    let to = holder(&app.get(&at("2026-11-30T14:01:00Z")).await.1);
    // Slack checks the address once; a forged check is refused.
    let check = json!({ "type": "url_verification", "challenge": "3eZbrw1aBm2rZgRNFdxV" });
    let (s, v) = event(&app, &check, SLACK_SECRET, false).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["challenge"], "3eZbrw1aBm2rZgRNFdxV");
    let (s, _) = event(&app, &check, "not-the-secret", false).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    clock_to(&app, "2026-11-30T12:00:00Z").await;
    clock_to(&app, "2026-11-30T13:00:30Z").await;
    let ending: Vec<String> = fake
        .to("chat", &chat(&from))
        .into_iter()
        .map(|m| m.text)
        .filter(|t| t.contains("takes over"))
        .collect();
    assert_eq!(ending.len(), 1, "{ending:?}");
    assert!(ending[0].contains("Reply NOTE"), "{}", ending[0]);
    // The outgoing person answers in the conversation; a forged event, a
    // retry of the same event and a bot's message change nothing.
    let note = dm(
        &chat(&from),
        "D0FROM",
        "note: the card queue backs up after 17:00",
    );
    let (s, _) = event(&app, &note, "not-the-secret", false).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = event(&app, &note, SLACK_SECRET, false).await;
    assert_eq!(s, StatusCode::OK);
    let got = answers(&fake, "D0FROM", 1).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with(
            "Noted for the payments/payments-weekly (primary) handoff at Mon 30 Nov 09:00"
        ),
        "{}",
        got[0]
    );
    let (s, _) = event(&app, &note, SLACK_SECRET, true).await;
    assert_eq!(s, StatusCode::OK);
    let mut bot = note.clone();
    bot["event"]["bot_id"] = json!("B0VIGIL");
    let (s, _) = event(&app, &bot, SLACK_SECRET, false).await;
    assert_eq!(s, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(fake.to("chat", "D0FROM").len(), 1, "acted on once");

    clock_to(&app, "2026-11-30T14:00:30Z").await;
    let start = fake
        .to("chat", &chat(&to))
        .into_iter()
        .map(|m| m.text)
        .find(|t| t.contains("now, until"))
        .expect("on call now");
    assert_eq!(
        start.matches("the card queue backs up after 17:00").count(),
        1,
        "{start}"
    );
    assert!(
        start.contains("Reply ACK to acknowledge the handoff."),
        "{start}"
    );
    let (s, _) = event(&app, &dm(&chat(&to), "D0TO", "ACK"), SLACK_SECRET, false).await;
    assert_eq!(s, StatusCode::OK);
    let got = answers(&fake, "D0TO", 1).await;
    assert_eq!(
        got,
        ["Handoff acknowledged: payments/payments-weekly (primary)."]
    );
    // Someone Vigil does not know is told so.
    let (s, _) = event(
        &app,
        &dm("U0STRANGER", "D0X", "note hi"),
        SLACK_SECRET,
        false,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let got = answers(&fake, "D0X", 1).await;
    assert!(got[0].contains("not linked"), "{got:?}");
    app.stop().await;
}

#[tokio::test]
async fn an_answer_waits_out_a_slack_outage() {
    let (app, fake) = paging_app(Backend::Sqlite).await;
    // Slack answers 503 to everything when alice writes.
    fake.faults.lock().expect("lock").fail = 1.0;
    let (s, _) = event(
        &app,
        &dm(&chat("alice"), "D0ALICE", "hello?"),
        SLACK_SECRET,
        false,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    app.dispatch.settle().await;
    assert!(
        *fake.failed.lock().expect("lock") >= 1,
        "an answer was tried"
    );
    assert!(fake.to("chat", "D0ALICE").is_empty());
    // Slack is back; the claim's lease (30 s) runs out and it is sent once.
    fake.faults.lock().expect("lock").fail = 0.0;
    clock_to(&app, "2026-11-27T12:01:00Z").await;
    let got = answers(&fake, "D0ALICE", 1).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].starts_with("Send NOTE and your notes"), "{}", got[0]);
    clock_to(&app, "2026-11-27T12:03:00Z").await;
    assert_eq!(fake.to("chat", "D0ALICE").len(), 1, "sent once");
    app.stop().await;
}
