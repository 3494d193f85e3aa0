//! Editing a layer's participants from the calendar: a preview of the
//! shifts that change, a save from a date on that leaves earlier shifts as
//! they were, and a stale page refused with who changed the rota and when.

use super::browser::{browser, driver, shot, sign_in, until_text};
use super::*;
use std::time::Duration;

const CAL: &str = "/rotas/payments/payments-weekly";

async fn secondary(app: &TestApp, from: &str, to: &str) -> serde_json::Value {
    let (_, v) = app
        .get(&format!(
            "/api/v1/teams/payments/rotas/payments-weekly/shifts?from={from}&to={to}&layer=secondary"
        ))
        .await;
    v
}

#[tokio::test]
async fn a_lead_changes_who_takes_turns_from_a_date_and_a_stale_page_is_refused() {
    let Some(d) = driver().await else { return };
    let (app, _fake, _) = console_app(Backend::Sqlite).await;
    let past = secondary(&app, "2026-11-01T00:00:00Z", "2027-01-04T14:00:00Z").await;
    let later = secondary(&app, "2027-01-04T14:00:00Z", "2027-02-01T00:00:00Z").await;
    assert!(
        past["shifts"].as_array().is_some_and(|a| a.len() >= 8),
        "{past}"
    );
    let lead = app.token("lead", &["payments"], Some("dana")).await;
    let c = browser(&d).await;
    sign_in(&c, &app.base, &lead).await;
    c.goto(&format!("{}{CAL}?view=2week&start=2027-01-04", app.base))
        .await
        .expect("open");
    let people = c
        .execute(
            "return document.getElementById('people-secondary').value",
            vec![],
        )
        .await
        .expect("value");
    assert_eq!(people, json!("alice, bob, carol, dave"));
    c.execute(
        "document.getElementById('edit-secondary').closest('details').open = true;\
         document.getElementById('people-secondary').value = 'dave, carol, bob, alice';\
         document.getElementById('from-secondary').value = '2027-01-04T09:00';",
        vec![],
    )
    .await
    .expect("edit");
    c.find(fantoccini::Locator::Css("#edit-secondary .edit-preview"))
        .await
        .expect("preview")
        .click()
        .await
        .expect("click");
    until_text(&c, "#edit-preview", "shift(s) go", Duration::from_secs(5)).await;
    let html = c.source().await.expect("html");
    assert!(html.contains("class=\"diff removed\"") && html.contains("class=\"diff added\""));
    shot(&c, "calendar-edit-preview").await;
    // A preview saves nothing.
    assert_eq!(
        secondary(&app, "2027-01-04T14:00:00Z", "2027-02-01T00:00:00Z").await,
        later
    );
    c.find(fantoccini::Locator::Css("#edit-secondary .edit-save"))
        .await
        .expect("save")
        .click()
        .await
        .expect("click");
    until_text(&c, "#flash", "Saved", Duration::from_secs(5)).await;
    // Earlier shifts are as they were; from 4 January the new order holds.
    assert_eq!(
        secondary(&app, "2026-11-01T00:00:00Z", "2027-01-04T14:00:00Z").await,
        past
    );
    assert_ne!(
        secondary(&app, "2027-01-04T14:00:00Z", "2027-02-01T00:00:00Z").await,
        later
    );
    // A page made before someone else's change is refused, naming them.
    c.goto(&format!("{}{CAL}?view=2week&start=2027-01-04", app.base))
        .await
        .expect("open");
    let other = app.token("lead", &["payments"], Some("dana")).await;
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/teams/payments/rotas/payments-weekly/overrides",
            Some(&other),
            Some(json!({ "layer": "primary", "kind": "add", "person": "erin",
                "start": "2027-02-10T10:00:00Z", "end": "2027-02-10T11:00:00Z", "accept_violations": true })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    c.execute(
        "document.getElementById('edit-secondary').closest('details').open = true;\
         document.getElementById('people-secondary').value = 'alice, bob, carol, dave';",
        vec![],
    )
    .await
    .expect("edit");
    c.find(fantoccini::Locator::Css("#edit-secondary .edit-save"))
        .await
        .expect("save")
        .click()
        .await
        .expect("click");
    until_text(&c, "#error", "Changed by dana at", Duration::from_secs(5)).await;
    until_text(&c, "#error", "reload", Duration::from_secs(1)).await;
    shot(&c, "calendar-edit-conflict").await;
    c.close().await.expect("close");
    app.stop().await;
}
