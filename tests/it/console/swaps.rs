//! Swaps from the calendar: a responder offers a shift they picked, another
//! on the layer takes it, the lead approves, and both see it on the
//! calendar and in their shifts; each step is told to the people involved.

use super::browser::{browser, driver, shot, sign_in, until_text};
use super::*;
use crate::paging::chat;
use std::time::Duration;

const CAL: &str = "/rotas/payments/payments-weekly";

async fn shifts_of(app: &TestApp, person: &str) -> Vec<(String, String)> {
    let (_, v) = app
        .get(&format!(
            "/api/v1/people/{person}/shifts?from=2026-12-14T00:00:00Z&to=2026-12-22T00:00:00Z"
        ))
        .await;
    v["shifts"]
        .as_array()
        .expect("shifts")
        .iter()
        .filter(|s| s["layer"] == "primary")
        .map(|s| {
            (
                s["start"].as_str().unwrap_or("").to_string(),
                s["end"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_shift_is_offered_taken_and_approved_from_the_calendar() {
    let Some(d) = driver().await else { return };
    let (app, fake, _) = console_app(Backend::Sqlite).await;
    let (s, v) = app
        .call(
            Method::PUT,
            "/api/v1/teams/payments",
            Some(&app.admin.clone()),
            Some(json!({ "timezone": "America/New_York", "lead": "dana", "swap_approval": true })),
        )
        .await;
    assert!(s.is_success(), "{v}");
    let offerer = holder(&app, 0, "2026-12-14T15:00:00Z").await;
    let taker = holder(&app, 0, "2026-12-21T15:00:00Z").await;
    assert_ne!(offerer, taker);

    // The offerer picks their own week on the calendar and offers it.
    let token = app.token("responder", &[], Some(&offerer)).await;
    let c = browser(&d).await;
    sign_in(&c, &app.base, &token).await;
    c.goto(&format!("{}{CAL}?view=2week&start=2026-12-14", app.base))
        .await
        .expect("open");
    let bar = format!(
        "svg.bar[data-layer='primary'][data-person='{offerer}'][data-start='2026-12-14T09:00']"
    );
    c.find(fantoccini::Locator::Css(&bar))
        .await
        .expect("my shift")
        .click()
        .await
        .expect("pick");
    let start = c
        .execute("return document.getElementById('sw-start').value", vec![])
        .await
        .expect("value");
    assert_eq!(start, json!("2026-12-14T09:00"));
    c.find(fantoccini::Locator::Css("#sw-offer"))
        .await
        .expect("offer")
        .click()
        .await
        .expect("click");
    until_text(
        &c,
        "#flash",
        "Your shift is offered",
        Duration::from_secs(5),
    )
    .await;
    app.dispatch.settle().await;
    let told: Vec<String> = fake
        .to("chat", &chat(&taker))
        .into_iter()
        .map(|m| m.text)
        .filter(|t| t.contains("offers their shift"))
        .collect();
    assert_eq!(
        told.len(),
        1,
        "the others on the layer hear of it: {told:?}"
    );

    // The taker takes it; the lead approves (each from their own session).
    let id = {
        let (_, v) = app
            .get("/api/v1/teams/payments/rotas/payments-weekly/swaps")
            .await;
        v["swaps"][0]["id"].as_str().expect("the swap").to_string()
    };
    let t = with_token(&app, &app.token("responder", &[], Some(&taker)).await).await;
    let page = get(
        &app,
        Some(&t),
        &format!("{CAL}?view=2week&start=2026-12-14"),
    )
    .await;
    assert!(
        page.body.contains("class=\"swap-accept\""),
        "the taker may take it"
    );
    let form = [("csrf", t.csrf.as_str())];
    let p = post(
        &app,
        Some(&t),
        &format!("{CAL}/swaps/{id}/accept"),
        &form,
        &[],
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    // The offerer hears who takes it; the lead is asked to approve.
    let texts = |who: &str, what: &'static str| {
        fake.to("chat", &chat(who))
            .into_iter()
            .map(|m| m.text)
            .filter(|t| t.contains(what))
            .collect::<Vec<_>>()
    };
    let heard = texts(&offerer, "will take your shift");
    assert_eq!(heard.len(), 1, "{heard:?}");
    assert!(
        heard[0].contains("from Mon 14 Dec 09:00 to Mon 21 Dec 09:00 America/New_York"),
        "in the rota's zone: {heard:?}"
    );
    assert_eq!(texts("dana", "approve or decline").len(), 1);
    // Someone else may not approve it; the lead may.
    let p = post(
        &app,
        Some(&t),
        &format!("{CAL}/swaps/{id}/approve"),
        &form,
        &[],
    )
    .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let l = with_token(&app, &app.token("lead", &["payments"], Some("dana")).await).await;
    let lf = [("csrf", l.csrf.as_str())];
    let p = post(
        &app,
        Some(&l),
        &format!("{CAL}/swaps/{id}/approve"),
        &lf,
        &[],
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    for who in [&offerer, &taker] {
        let on: Vec<String> = fake
            .to("chat", &chat(who))
            .into_iter()
            .map(|m| m.text)
            .filter(|t| t.contains("the swap is on"))
            .collect();
        assert_eq!(on.len(), 1, "{who} is told: {on:?}");
    }

    // Both see it: the calendar marks the swap, and their shifts changed.
    c.refresh().await.expect("reload");
    let html = c.source().await.expect("html");
    assert!(
        html.contains("class=\"bar swap"),
        "the swap on the calendar"
    );
    assert!(html.contains("applied"), "the swap's state");
    shot(&c, "calendar-swap").await;
    c.close().await.expect("close");
    assert!(
        shifts_of(&app, &taker)
            .await
            .contains(&("2026-12-14T14:00:00Z".into(), "2026-12-21T14:00:00Z".into())),
        "the taker holds the week"
    );
    assert!(
        !shifts_of(&app, &offerer)
            .await
            .iter()
            .any(|(s, _)| s == "2026-12-14T14:00:00Z"),
        "the offerer no longer does"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_taker_gives_one_of_their_shifts_back_when_accepting() {
    let (app, _fake, _) = console_app(Backend::Sqlite).await;
    let offerer = holder(&app, 0, "2026-12-14T15:00:00Z").await;
    let taker = holder(&app, 0, "2026-12-21T15:00:00Z").await;
    let o = with_token(&app, &app.token("responder", &[], Some(&offerer)).await).await;
    let p = post(
        &app,
        Some(&o),
        &format!("{CAL}/swaps"),
        &[
            ("csrf", o.csrf.as_str()),
            ("layer", "primary"),
            ("start", "2026-12-14T09:00"),
            ("end", "2026-12-21T09:00"),
        ],
        &[],
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let t = with_token(&app, &app.token("responder", &[], Some(&taker)).await).await;
    let page = get(
        &app,
        Some(&t),
        &format!("{CAL}?view=2week&start=2026-12-14"),
    )
    .await;
    // The accept form lists the taker's own coming shifts on the layer.
    let select = page
        .body
        .split("class=\"give-back\">")
        .nth(1)
        .expect("a give-back list")
        .split("</select>")
        .next()
        .unwrap_or("")
        .to_string();
    let given = select
        .split("<option value=\"")
        .nth(2)
        .and_then(|r| r.split('"').next())
        .expect("one of the taker's shifts")
        .to_string();
    let (a, b) = given.split_once('-').expect("START-END");
    let iso = |s: &str| {
        chrono::DateTime::from_timestamp(s.parse().expect("seconds"), 0)
            .expect("instant")
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    let (a, b) = (iso(a), iso(b));
    assert!(
        a.as_str() >= "2026-12-21",
        "a coming shift, not the offered one: {a}"
    );
    let id = page
        .body
        .split("<li id=\"swap-")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the swap")
        .to_string();
    // A made-up shift is refused, naming the field.
    let p = post(
        &app,
        Some(&t),
        &format!("{CAL}/swaps/{id}/accept"),
        &[("csrf", t.csrf.as_str()), ("in_return", "nonsense")],
        &[],
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("in_return"), "{}", p.body);
    let p = post(
        &app,
        Some(&t),
        &format!("{CAL}/swaps/{id}/accept"),
        &[("csrf", t.csrf.as_str()), ("in_return", given.as_str())],
        &[],
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    // No approval asked for: applied at once, both ways.
    let (_, mine) = app
        .get(&format!("/api/v1/people/{offerer}/shifts?from={a}&to={b}"))
        .await;
    assert!(
        mine["shifts"]
            .as_array()
            .is_some_and(|v| v.iter().any(|s| s["layer"] == "primary"
                && s["start"] == a.as_str()
                && s["end"] == b.as_str())),
        "{offerer} holds the shift given back: {mine}"
    );
    assert!(
        shifts_of(&app, &taker).await.contains(&(
            "2026-12-14T14:00:00Z".to_string(),
            "2026-12-21T14:00:00Z".to_string()
        )),
        "{taker} holds the offered week"
    );
    app.stop().await;
}
