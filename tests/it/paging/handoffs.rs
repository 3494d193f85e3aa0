//! Handoff notices on the manual clock: a reminder 24 hours and 1 hour
//! before a shift, "you are on call now" at its start and "handed to" for
//! the person going off; each once, across a restart, across a DST change,
//! and with two instances on one database.

use super::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

const ROTA: &str = "payments/payments-weekly (primary)";

/// The handoff messages `person` received on Slack.
fn handoff_msgs(fake: &Fake, person: &str) -> Vec<String> {
    fake.to("chat", &chat(person))
        .into_iter()
        .map(|m| m.text)
        .filter(|t| t.contains(ROTA))
        .collect()
}

/// Moves the clock to `at` (RFC 3339) and lets the dispatcher run.
async fn clock_to(app: &TestApp, at: &str) {
    let now = vigil::clock::Clock::now(app.clock.as_ref());
    let target = crate::server::utc(at);
    app.clock.advance(target - now);
    app.dispatch.settle().await;
}

async fn primary_at(app: &TestApp, at: &str) -> String {
    let (_, v) = app
        .get(&format!(
            "/api/v1/teams/payments/rotas/payments-weekly/oncall?at={at}"
        ))
        .await;
    v["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .find(|l| l["layer"] == "primary")
        .and_then(|l| l["on_call"][0]["person"].as_str())
        .expect("someone")
        .to_string()
}

#[tokio::test]
async fn reminders_and_the_handoff_arrive_once_each_across_a_restart() {
    let (app, fake) = paging_app(Backend::Sqlite).await;
    // Monday 30 November, 09:00 New York (14:00Z): carol hands to dave.
    let (from, to) = (
        primary_at(&app, "2026-11-30T13:59:00Z").await,
        primary_at(&app, "2026-11-30T14:01:00Z").await,
    );
    assert_ne!(from, to);
    // The outgoing person leaves a note for the next shift; someone who is
    // not on the layer may not.
    let notes = "/api/v1/teams/payments/rotas/payments-weekly/layers/primary/handoff-notes";
    let theirs = app.token("responder", &[], Some(&from)).await;
    let (s, v) = app
        .call(
            Method::POST,
            notes,
            Some(&theirs),
            Some(json!({ "text": "DB failover drill Tuesday; ticket OPS-12" })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["for_handoff_at"], "2026-11-30T14:00:00Z");
    let stranger = app.token("responder", &[], Some("ananya")).await;
    let (s, v) = app
        .call(
            Method::POST,
            notes,
            Some(&stranger),
            Some(json!({ "text": "hi" })),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    // An alert during the outgoing shift, still open at the handoff.
    let key = service(&app, "payments-api", ladder()).await;
    let (s, _) = trigger(&app, &key, p1("Card network slow")).await;
    assert_eq!(s, StatusCode::CREATED);
    clock_to(&app, "2026-11-29T13:58:00Z").await;
    assert!(
        handoff_msgs(&fake, &to).is_empty(),
        "nothing before its time"
    );
    clock_to(&app, "2026-11-29T14:00:30Z").await;
    let got = handoff_msgs(&fake, &to);
    assert_eq!(got.len(), 1, "the 24-hour reminder: {got:?}");
    assert!(
        got[0].contains("from Mon 30 Nov 09:00 to Mon 7 Dec 09:00 America/New_York"),
        "{}",
        got[0]
    );
    // A restart on the same database sends nothing again.
    let db = app.db_url.clone();
    let notify = notify_for(&fake);
    let _old = app.stop_keeping_data().await;
    let dir = std::env::temp_dir().join(format!("vigil-it-restart-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).expect("dir");
    let app = TestApp::spawn_on_with(&db, dir, |c| c.notify = notify).await;
    clock_to(&app, "2026-11-29T14:02:00Z").await;
    clock_to(&app, "2026-11-29T14:05:00Z").await;
    assert_eq!(
        handoff_msgs(&fake, &to).len(),
        1,
        "not again after the restart"
    );
    clock_to(&app, "2026-11-30T13:00:30Z").await;
    let got = handoff_msgs(&fake, &to);
    assert_eq!(got.len(), 2, "the 1-hour reminder: {got:?}");
    clock_to(&app, "2026-11-30T14:00:30Z").await;
    clock_to(&app, "2026-11-30T15:00:00Z").await;
    let got = handoff_msgs(&fake, &to);
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(
        got[2]
            .contains("on call for payments/payments-weekly (primary) now, until Mon 7 Dec 09:00")
            && got[2].contains(&format!("Handed over by {from}"))
            && got[2].contains(&format!(
                "Note from {from}: DB failover drill Tuesday; ticket OPS-12"
            ))
            && got[2].contains("Last shift: 1 alert(s) (1 P1), 1 still open.")
            && got[2].contains("Open alerts handed over: 1."),
        "{}",
        got[2]
    );
    let off = handoff_msgs(&fake, &from);
    assert_eq!(off.len(), 2, "{off:?}");
    assert!(
        off[0].contains(&format!(
            "ends at Mon 30 Nov 09:00 America/New_York; {to} takes over"
        )),
        "{}",
        off[0]
    );
    assert!(off[1].contains(&format!("handed to {to}")), "{}", off[1]);
    app.stop().await;
}

#[tokio::test]
async fn a_handoff_across_the_start_of_daylight_saving_time_keeps_local_nine() {
    let (app, fake) = paging_app(Backend::Sqlite).await;
    // New York moves to EDT on Sunday 14 March 2027; Monday's 09:00 is 13:00Z.
    let to = primary_at(&app, "2027-03-15T13:01:00Z").await;
    assert_ne!(primary_at(&app, "2027-03-15T12:59:00Z").await, to);
    clock_to(&app, "2027-03-14T12:58:00Z").await;
    assert!(handoff_msgs(&fake, &to).is_empty());
    clock_to(&app, "2027-03-14T13:00:30Z").await;
    let got = handoff_msgs(&fake, &to);
    assert_eq!(
        got.len(),
        1,
        "24 h before 13:00Z, after the change: {got:?}"
    );
    assert!(got[0].contains("from Mon 15 Mar 09:00"), "{}", got[0]);
    clock_to(&app, "2027-03-15T12:59:00Z").await;
    assert_eq!(
        handoff_msgs(&fake, &to).len(),
        2,
        "the 1-hour reminder at 12:00Z"
    );
    clock_to(&app, "2027-03-15T13:00:30Z").await;
    assert_eq!(handoff_msgs(&fake, &to).len(), 3, "on call at 09:00 EDT");
    app.stop().await;
}

async fn two_instances_story(backend: Backend) {
    let (a, fake) = paging_app(backend).await;
    let notify = notify_for(&fake);
    let dir = std::env::temp_dir().join(format!("vigil-it-two-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).expect("dir");
    let b = TestApp::spawn_on_with(&a.db_url, dir, |c| {
        c.notify = notify;
        c.dispatch.instance = "second".into();
    })
    .await;
    let to = primary_at(&a, "2026-11-30T14:01:00Z").await;
    for at in [
        "2026-11-29T13:58:00Z",
        "2026-11-29T14:00:30Z",
        "2026-11-30T13:00:30Z",
        "2026-11-30T14:00:30Z",
        "2026-11-30T14:05:00Z",
    ] {
        let (x, y) = tokio::join!(clock_to(&a, at), clock_to(&b, at));
        let _ = (x, y);
        a.dispatch.settle().await;
        b.dispatch.settle().await;
    }
    let got = handoff_msgs(&fake, &to);
    assert_eq!(got.len(), 3, "each notice once, from one instance: {got:?}");
    b.stop().await;
    a.stop().await;
}
crate::both!(
    two_instances_send_each_handoff_once_on_sqlite,
    two_instances_send_each_handoff_once_on_postgres,
    two_instances_story
);

#[tokio::test]
async fn an_unacknowledged_handoff_tells_the_lead_after_30_minutes() {
    let (app, fake) = paging_app(Backend::Sqlite).await;
    // Two handoffs a week apart: the first is acknowledged, the second is not.
    let first = primary_at(&app, "2026-11-30T14:01:00Z").await;
    let second = primary_at(&app, "2026-12-07T14:01:00Z").await;
    let ack = "/api/v1/teams/payments/rotas/payments-weekly/layers/primary/handoff-ack";
    let lead_msgs = |fake: &Fake| -> Vec<String> {
        fake.to("chat", &chat("dana"))
            .into_iter()
            .map(|m| m.text)
            .filter(|t| t.contains("has not acknowledged") && t.contains(ROTA))
            .collect()
    };
    clock_to(&app, "2026-11-30T13:30:00Z").await;
    clock_to(&app, "2026-11-30T14:05:00Z").await;
    let token = app.token("responder", &[], Some(&first)).await;
    let (s, v) = app.call(Method::POST, ack, Some(&token), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["shift_start"], "2026-11-30T14:00:00Z");
    let (s, _) = app.call(Method::POST, ack, Some(&token), None).await;
    assert_eq!(s, StatusCode::CONFLICT, "once");
    clock_to(&app, "2026-11-30T14:45:00Z").await;
    assert!(
        lead_msgs(&fake).is_empty(),
        "acknowledged: the lead hears nothing: {:?}",
        lead_msgs(&fake)
    );
    // The next week nobody acknowledges: at 14:30Z the lead is told, once.
    clock_to(&app, "2026-12-07T13:30:00Z").await;
    clock_to(&app, "2026-12-07T14:29:00Z").await;
    assert!(lead_msgs(&fake).is_empty(), "not before 30 minutes");
    clock_to(&app, "2026-12-07T14:31:00Z").await;
    clock_to(&app, "2026-12-07T15:00:00Z").await;
    let got = lead_msgs(&fake);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].contains(&format!("{second} has not acknowledged taking over {ROTA}")),
        "{}",
        got[0]
    );
    // The rota's handoff log shows both, newest first, with who acknowledged.
    let (s, log) = app
        .get("/api/v1/teams/payments/rotas/payments-weekly/handoffs")
        .await;
    assert_eq!(s, StatusCode::OK, "{log}");
    let primary: Vec<&serde_json::Value> = log["handoffs"]
        .as_array()
        .expect("handoffs")
        .iter()
        .filter(|h| h["layer"] == "primary")
        .collect();
    assert_eq!(primary[0]["person"], second.as_str());
    assert_eq!(primary[0]["start"], "2026-12-07T14:00:00Z");
    assert!(primary[0]["acknowledged_at"].is_null());
    assert_eq!(primary[1]["person"], first.as_str());
    assert_eq!(primary[1]["acknowledged_at"], "2026-11-30T14:05:00Z");
    assert_eq!(primary[1]["notice"], "sent");
    app.stop().await;
}

#[tokio::test]
async fn a_rota_posts_in_its_slack_channel_and_sets_its_user_group_at_each_handoff() {
    let (app, fake) = paging_app(Backend::Sqlite).await;
    let admin = app.admin.clone();
    let path = "/api/v1/teams/payments/rotas/triage";
    let doc = |notices: bool, remind: &str| {
        json!({ "document": {
            "layers": [{ "name": "first", "rotations": [{ "cadence": "daily", "handoff_time": "09:00",
                "start": "2026-01-05", "participants": ["alice", "bob"] }] }],
            "handoffs": { "notices": notices, "remind_before": [remind],
                "slack_channel": "C0PAYMENTS", "slack_usergroup": "S0ONCALL" }
        }, "accept_violations": true })
    };
    // A setting that does not read is refused, naming the field.
    let (s, v) = app
        .call(Method::PUT, path, Some(&admin), Some(doc(true, "soon")))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v.to_string().contains("handoffs.remind_before[0]"), "{v}");
    let (s, v) = app
        .call(Method::PUT, path, Some(&admin), Some(doc(true, "30m")))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // Each person may set their own reminder times; bob wants 2 hours.
    for (h, rules) in [("bob", json!({ "handoff": ["2h"] })), ("alice", json!({}))] {
        let (s, v) = app
            .call(
                Method::PUT,
                &format!("/api/v1/people/{h}"),
                Some(&admin),
                Some(json!({ "name": h, "phone": phone(h), "chat": chat(h),
                    "timezone": "America/New_York", "rules": rules })),
            )
            .await;
        assert!(s.is_success(), "{v}");
    }
    let on = |at: &'static str| {
        let app = &app;
        async move {
            let (_, v) = app.get(&format!("{path}/oncall?at={at}")).await;
            v["layers"][0]["on_call"][0]["person"]
                .as_str()
                .expect("someone")
                .to_string()
        }
    };
    let (first, second) = (
        on("2026-12-01T14:01:00Z").await,
        on("2026-12-02T14:01:00Z").await,
    );
    assert_ne!(first, second);
    let mine = |fake: &Fake, who: &str| -> Vec<String> {
        fake.to("chat", &chat(who))
            .into_iter()
            .map(|m| m.text)
            .filter(|t| t.contains("payments/triage"))
            .collect()
    };
    clock_to(&app, "2026-12-01T11:00:00Z").await;
    // The reminder comes at the person's own time (bob: 2 h before; alice:
    // the rota's 30 minutes), then "on call now".
    let bob = first == "bob";
    for (at, want) in [
        ("2026-12-01T12:00:30Z", if bob { 1 } else { 0 }),
        ("2026-12-01T13:30:30Z", 1),
        ("2026-12-01T14:00:30Z", 2),
    ] {
        clock_to(&app, at).await;
        assert_eq!(
            mine(&fake, &first).len(),
            want,
            "at {at}: {:?}",
            mine(&fake, &first)
        );
    }
    let got = mine(&fake, &first);
    assert!(got[0].contains("from Tue 1 Dec 09:00"), "{}", got[0]);
    assert!(got[1].contains("now, until Wed 2 Dec 09:00"), "{}", got[1]);
    // The team channel heard it, and the user group is the person on call.
    let posts: Vec<String> = fake
        .to("chat", "C0PAYMENTS")
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(
        posts,
        [format!(
            "{first} is now on call for payments/triage (first) until Wed 2 Dec 09:00 America/New_York. Handed over by {second}."
        )]
    );
    let groups: Vec<String> = fake
        .to("usergroup", "S0ONCALL")
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(groups, [chat(&first)]);
    // With notices to people turned off, the channel and the group still
    // follow the handoff, and nobody gets a personal message.
    let (_, h, _) = app
        .call_full(Method::GET, path, Some(&admin), None, &[])
        .await;
    let tag = h["etag"].to_str().expect("etag").to_string();
    let (s, _, v) = app
        .call_full(
            Method::PUT,
            path,
            Some(&admin),
            Some(doc(false, "30m")),
            &[("if-match", &tag)],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let before = (mine(&fake, &first).len(), mine(&fake, &second).len());
    for at in [
        "2026-12-02T12:00:30Z",
        "2026-12-02T13:30:30Z",
        "2026-12-02T14:00:30Z",
    ] {
        clock_to(&app, at).await;
    }
    assert_eq!(
        (mine(&fake, &first).len(), mine(&fake, &second).len()),
        before,
        "no personal notices"
    );
    assert_eq!(fake.to("chat", "C0PAYMENTS").len(), 2);
    let groups: Vec<String> = fake
        .to("usergroup", "S0ONCALL")
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(groups, [chat(&first), chat(&second)]);
    app.stop().await;
}

/// Takes `person`'s Slack id away, so their notices come by SMS.
async fn sms_only(app: &TestApp, person: &str) {
    let (s, v) = app
        .call(
            Method::PUT,
            &format!("/api/v1/people/{person}"),
            Some(&app.admin.clone()),
            Some(json!({ "name": person, "phone": phone(person), "timezone": "America/New_York" })),
        )
        .await;
    assert!(s.is_success(), "{v}");
}

async fn text_in(app: &TestApp, person: &str, body: &str) -> String {
    let (s, text) = twilio_post(
        app,
        "/api/v1/callbacks/twilio/sms",
        &[("From", &phone(person)), ("Body", body)],
        TWILIO_TOKEN,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{text}");
    text
}

#[tokio::test]
async fn a_note_texted_back_reaches_the_next_person_who_acknowledges_by_text() {
    let (app, fake) = paging_app(Backend::Sqlite).await;
    let (from, to) = (
        primary_at(&app, "2026-11-30T13:59:00Z").await,
        primary_at(&app, "2026-11-30T14:01:00Z").await,
    );
    sms_only(&app, &from).await;
    sms_only(&app, &to).await;
    let texts = |fake: &Fake, who: &str| -> Vec<String> {
        fake.to("sms", &phone(who))
            .into_iter()
            .map(|m| m.text)
            .filter(|t| t.contains(ROTA))
            .collect()
    };
    clock_to(&app, "2026-11-30T12:00:00Z").await;
    clock_to(&app, "2026-11-30T13:00:30Z").await;
    // An hour ahead the outgoing person hears who takes over, and how to
    // leave notes for them.
    let got = texts(&fake, &from);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].contains(&format!("{to} takes over"))
            && got[0].contains("Reply NOTE and your notes"),
        "{}",
        got[0]
    );
    let answer = text_in(&app, &from, "Note: rollback plan is in OPS-7").await;
    assert!(
        answer.contains("Noted for the payments/payments-weekly (primary) handoff at Mon 30 Nov 09:00 America/New_York"),
        "{answer}"
    );
    // At the handoff the note is in the incoming person's message.
    clock_to(&app, "2026-11-30T14:00:30Z").await;
    let got = texts(&fake, &to);
    let start = got.last().expect("on call now");
    assert!(
        start.contains("now, until")
            && start.contains(&format!("Note from {from}: rollback plan is in OPS-7"))
            && start.contains("Reply ACK to acknowledge the handoff."),
        "{start}"
    );
    // A bare ACK with no page open acknowledges the handoff.
    let answer = text_in(&app, &to, "ack").await;
    assert!(
        answer.contains("Handoff acknowledged: payments/payments-weekly (primary)"),
        "{answer}"
    );
    let (_, log) = app
        .get("/api/v1/teams/payments/rotas/payments-weekly/handoffs")
        .await;
    let h = log["handoffs"]
        .as_array()
        .expect("handoffs")
        .iter()
        .find(|h| h["layer"] == "primary" && h["start"] == "2026-11-30T14:00:00Z")
        .cloned()
        .expect("the handoff");
    assert_eq!(h["acknowledged_at"], "2026-11-30T14:00:30Z", "{h}");
    assert!(h.to_string().contains("rollback plan is in OPS-7"), "{h}");
    // Nothing left to acknowledge: the usual answer.
    let answer = text_in(&app, &to, "ack").await;
    assert!(answer.contains("No open page"), "{answer}");
    app.stop().await;
}
