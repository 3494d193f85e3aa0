//! Handoffs in the console: the person taking over acknowledges from the
//! Now page; the Handoffs page shows the log and takes notes.

use super::*;

#[tokio::test]
async fn the_person_taking_over_acknowledges_the_handoff_from_the_now_page() {
    let (app, _fake, _) = console_app(Backend::Sqlite).await;
    let (_, v) = app
        .get("/api/v1/teams/payments/rotas/payments-weekly/oncall?at=2026-11-30T14:01:00Z")
        .await;
    let to = v["layers"][0]["on_call"][0]["person"]
        .as_str()
        .expect("someone")
        .to_string();
    // Past the handoff (the notices are planned and the "on call now" one sent).
    for at in ["2026-11-30T13:30:00Z", "2026-11-30T14:05:00Z"] {
        let now = vigil::clock::Clock::now(app.clock.as_ref());
        app.clock.advance(crate::server::utc(at) - now);
        app.dispatch.settle().await;
    }
    let token = app.token("responder", &[], Some(&to)).await;
    let s = with_token(&app, &token).await;
    let home = get(&app, Some(&s), "/").await;
    assert!(home.body.contains("Acknowledge handoff"), "{}", home.body);
    let form = [
        ("csrf", s.csrf.as_str()),
        ("team", "payments"),
        ("rota", "payments-weekly"),
        ("layer", "primary"),
    ];
    assert_eq!(
        post(&app, Some(&s), "/handoffs/ack", &form[1..], &[])
            .await
            .status,
        StatusCode::FORBIDDEN,
        "the CSRF token is required"
    );
    let p = post(&app, Some(&s), "/handoffs/ack", &form, &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let home = get(&app, Some(&s), "/").await;
    assert!(
        !home.body.contains("Acknowledge handoff"),
        "acknowledged once"
    );
    let (_, log) = app
        .get("/api/v1/teams/payments/rotas/payments-weekly/handoffs")
        .await;
    let mine = log["handoffs"]
        .as_array()
        .expect("log")
        .iter()
        .find(|h| h["layer"] == "primary" && h["person"] == to.as_str())
        .expect("the handoff");
    assert_eq!(mine["acknowledged_at"], "2026-11-30T14:05:00Z");
    // The Handoffs page shows it, acknowledged, and takes a note for the
    // layer's next handoff (only from someone on the layer).
    let page = get(&app, Some(&s), "/handoffs").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("payments / payments-weekly")
            && page.body.contains("2026-11-30T14:05:00Z")
            && page.body.contains(&format!("<strong>{to}</strong>")),
        "{}",
        page.body
    );
    let note = [
        ("csrf", s.csrf.as_str()),
        ("team", "payments"),
        ("rota", "payments-weekly"),
        ("layer", "primary"),
        ("text", "Card network flaky since Tuesday; see OPS-9"),
    ];
    let p = post(&app, Some(&s), "/handoffs/note", &note, &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let page = get(&app, Some(&s), "/handoffs?noted=payments%2Fpayments-weekly").await;
    assert!(
        page.body.contains("Notes for the coming handoffs")
            && page
                .body
                .contains("Card network flaky since Tuesday; see OPS-9"),
        "{}",
        page.body
    );
    let other = app.token("responder", &[], Some("ananya")).await;
    let o = with_token(&app, &other).await;
    let mut theirs = note;
    theirs[0].1 = o.csrf.as_str();
    let p = post(&app, Some(&o), "/handoffs/note", &theirs, &[]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.body);
    app.stop().await;
}
