//! The rota calendar in the console: layers and the paged rows, overrides,
//! swaps, gaps and fatigue flags as a team lead sees them, navigation
//! within a year, and a screenshot of the month in a desktop browser.

use super::browser::{browser, driver, shot, sign_in, until_text};
use super::*;
use std::time::Duration;

const CAL: &str = "/rotas/payments/payments-weekly";

use super::holder;

async fn overrides(app: &TestApp, body: serde_json::Value) {
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/teams/payments/rotas/payments-weekly/overrides",
            Some(&app.admin.clone()),
            Some(body),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}

#[tokio::test]
async fn a_lead_reads_the_month_with_overrides_swaps_gaps_and_flags() {
    let (app, _fake, _) = console_app(Backend::Sqlite).await;
    // A one-day cover mid-week leaves the week's holder 24 h of rest
    // between two stretches (the rota asks for 48): a fatigue flag.
    let x = holder(&app, 0, "2026-12-08T12:00:00Z").await;
    let y = ["alice", "bob", "carol", "dave"]
        .into_iter()
        .find(|p| *p != x)
        .expect("another");
    overrides(&app, json!({ "layer": "primary", "kind": "replace", "person": y, "replaces": x,
        "start": "2026-12-09T14:00:00Z", "end": "2026-12-10T14:00:00Z", "accept_violations": true }))
    .await;
    // Nobody on primary for an afternoon: a gap in who is paged.
    overrides(&app, json!({ "layer": "primary", "kind": "remove",
        "start": "2026-12-16T18:00:00Z", "end": "2026-12-16T22:00:00Z", "accept_violations": true }))
    .await;
    let token = app.token("lead", &["payments"], Some("dana")).await;
    let s = with_token(&app, &token).await;
    let page = get(
        &app,
        Some(&s),
        &format!("{CAL}?view=month&start=2026-12-01"),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let b = &page.body;
    assert!(b.contains("December 2026"), "heading");
    assert_eq!(
        b.matches("class=\"cal-week\"").count(),
        5,
        "Mon 30 Nov to Sun 3 Jan"
    );
    for row in [
        "primary",
        "secondary",
        "Paged (primary)",
        "Paged (secondary)",
    ] {
        assert!(b.contains(&format!("aria-label=\"{row}\"")), "row {row}");
    }
    // Bob's Christmas cover (from the rota file) and the one-day cover.
    let classes: std::collections::BTreeSet<&str> = b
        .split("class=\"bar ")
        .skip(1)
        .filter_map(|r| r.split('"').next())
        .collect();
    assert!(
        classes.iter().any(|c| c.starts_with("override")),
        "overrides marked: {classes:?}"
    );
    assert!(b.contains("Carol is travelling") || b.contains("(override)"));
    // The gap, in red, with its times in the viewer's zone.
    assert!(classes.contains("gap"), "the gap: {classes:?}");
    assert!(
        b.contains("Nobody is paged: Wed 16 Dec 13:00 – Wed 16 Dec 17:00"),
        "gap times in New York"
    );
    // The holder's shifts around the cover break min_rest_hours.
    assert!(
        classes.contains("rotation flagged"),
        "a flagged shift: {classes:?}"
    );
    let rule = b.split("⚠ ").nth(1).map(|r| &r[..r.len().min(80)]);
    assert!(b.contains("⚠ min_rest"), "the rule named: {rule:?}");
    assert!(b.contains("Times in America/New_York"));
    // January: the swap from the rota file.
    let jan = get(
        &app,
        Some(&s),
        &format!("{CAL}?view=month&start=2027-01-01"),
    )
    .await;
    assert!(jan.body.contains("class=\"bar swap"), "the swap");
    // The current fortnight has "now" drawn; a week view has one week.
    let two = get(&app, Some(&s), CAL).await;
    assert_eq!(two.body.matches("class=\"cal-week\"").count(), 2);
    assert!(two.body.contains("class=\"now\""), "now is drawn");
    let week = get(&app, Some(&s), &format!("{CAL}?view=week&start=2026-12-09")).await;
    assert_eq!(week.body.matches("class=\"cal-week\"").count(), 1);
    assert!(week.body.contains("Mon 7 Dec 2026 – Sun 13 Dec 2026"));
    let earlier = week
        .body
        .split("id=\"cal-prev\" href=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("an earlier link");
    assert!(earlier.ends_with("start=2026-11-30"), "{earlier}");
    // Bad or far requests are refused, naming the field; unknown rotas 404.
    for (q, want) in [
        ("?start=2026-13-01", StatusCode::BAD_REQUEST),
        ("?start=2029-01-01", StatusCode::BAD_REQUEST),
        ("?view=year", StatusCode::BAD_REQUEST),
    ] {
        let p = get(&app, Some(&s), &format!("{CAL}{q}")).await;
        assert_eq!(p.status, want, "{q}: {}", p.body);
    }
    let p = get(&app, Some(&s), "/rotas/payments/nope").await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    // Signed out: to the sign-in page.
    let p = get(&app, None, CAL).await;
    assert_ne!(p.status, StatusCode::OK);

    // The month in a desktop browser, for the README.
    if let Some(d) = driver().await {
        let c = browser(&d).await;
        sign_in(&c, &app.base, &token).await;
        c.goto(&format!("{}{CAL}?view=month&start=2026-12-01", app.base))
            .await
            .expect("open");
        until_text(&c, "#cal-heading", "December 2026", Duration::from_secs(5)).await;
        shot(&c, "calendar").await;
        c.close().await.expect("close");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_fairness_page_matches_the_engine() {
    let (app, _fake, _) = console_app(Backend::Sqlite).await;
    let token = app.token("lead", &["payments"], Some("dana")).await;
    let s = with_token(&app, &token).await;
    let page = get(
        &app,
        Some(&s),
        &format!("{CAL}/fairness?from=2026-12-01&to=2027-02-01"),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let rota = vigil::cli::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schedules/payments-weekly.toml"
    )))
    .expect("the example");
    let zone: vigil::tz::Zone = "America/New_York".parse().expect("zone");
    let day = |d: &str| {
        vigil::rota::civil::start_of_day(
            &zone,
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("date"),
        )
    };
    let want = vigil::rota::fairness::fairness_between(&rota, day("2026-12-01"), day("2027-02-01"));
    assert!(want.len() >= 5);
    for r in &want {
        let row = page
            .body
            .split(&format!("<tr data-person=\"{}\">", r.person))
            .nth(1)
            .and_then(|x| x.split("</tr>").next())
            .unwrap_or_else(|| panic!("a row for {}", r.person));
        let cells: Vec<&str> = row
            .split("<td>")
            .skip(1)
            .filter_map(|c| c.split("</td>").next())
            .collect();
        let expect = vec![
            r.shifts.to_string(),
            format!("{:.1}", r.total_hours),
            format!("{:.1}", r.night_hours),
            format!("{:.1}", r.weekend_hours),
            format!("{:.1}", r.holiday_hours),
        ];
        assert_eq!(cells, expect, "{}", r.person);
    }
    assert!(page.body.contains("id=\"spread\""));
    assert!(page.body.contains("<svg class=\"chart\""));
    let bad = get(
        &app,
        Some(&s),
        &format!("{CAL}/fairness?from=2027-02-01&to=2026-12-01"),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    app.stop().await;
}

/// The ICS feed of `person` (made by the admin).
async fn feed_of(app: &TestApp, person: &str) -> String {
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/feeds",
            Some(&app.admin.clone()),
            Some(json!({ "person": person })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["url"].as_str().expect("url").to_string()
}

async fn fetch(app: &TestApp, url: &str) -> String {
    let r = app.http.get(url).send().await.expect("feed");
    r.text().await.expect("body")
}

/// Publishes the previewed removal (ticking "I accept" when asked), checks
/// nobody is on primary `at` (RFC 3339), and returns the feed at `url`.
async fn publish_removal(c: &fantoccini::Client, app: &TestApp, url: &str, at: &str) -> String {
    if let Ok(tick) = c.find(fantoccini::Locator::Css("#ov-accept")).await {
        tick.click().await.expect("tick");
    }
    c.find(fantoccini::Locator::Css("#ov-publish"))
        .await
        .expect("publish")
        .click()
        .await
        .expect("click");
    until_text(c, "#flash", "Override published", Duration::from_secs(5)).await;
    let (_, v) = app
        .get(&format!(
            "/api/v1/teams/payments/rotas/payments-weekly/oncall?at={at}"
        ))
        .await;
    assert!(
        v["layers"][0]["on_call"]
            .as_array()
            .is_none_or(|a| a.is_empty()),
        "nobody on primary at {at}: {v}"
    );
    fetch(app, url).await
}

#[tokio::test]
async fn a_lead_picks_a_shift_previews_a_gap_and_publishes_the_override() {
    let Some(d) = driver().await else { return };
    let (app, _fake, _) = console_app(Backend::Sqlite).await;
    let h = holder(&app, 0, "2026-12-14T15:00:00Z").await;
    let url = feed_of(&app, &h).await;
    let before = fetch(&app, &url).await;
    assert!(
        before.contains("DTSTART:20261214T140000Z"),
        "{h}'s week starts Monday 09:00"
    );
    // A responder may not post overrides from the console.
    let r = app.token("responder", &[], Some(&h)).await;
    let rs = with_token(&app, &r).await;
    let form = [
        ("csrf", rs.csrf.as_str()),
        ("layer", "primary"),
        ("kind", "remove"),
        ("start", "2026-12-14T09:00"),
        ("end", "2026-12-15T09:00"),
        ("action", "publish"),
    ];
    let p = post(&app, Some(&rs), &format!("{CAL}/override"), &form, &[]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);

    let token = app.token("lead", &["payments"], Some("dana")).await;
    let c = browser(&d).await;
    sign_in(&c, &app.base, &token).await;
    c.goto(&format!("{}{CAL}?view=2week&start=2026-12-14", app.base))
        .await
        .expect("open");
    // Pick the holder's primary shift: the form takes its layer, person and times.
    let bar =
        format!("svg.bar[data-layer='primary'][data-person='{h}'][data-start='2026-12-14T09:00']");
    c.find(fantoccini::Locator::Css(&bar))
        .await
        .expect("the shift on the calendar")
        .click()
        .await
        .expect("pick it");
    let value = |id: &'static str| {
        let c = c.clone();
        async move {
            c.execute(
                &format!("return document.getElementById('{id}').value"),
                vec![],
            )
            .await
            .expect("value")
        }
    };
    assert_eq!(value("ov-start").await, json!("2026-12-14T09:00"));
    assert_eq!(value("ov-end").await, json!("2026-12-21T09:00"));
    assert_eq!(value("ov-replaces").await, json!(h));
    // Nobody on primary for the first day of it: preview.
    c.execute(
        "document.getElementById('ov-kind').value = 'remove';\
         document.getElementById('ov-replaces').value = '';\
         document.getElementById('ov-end').value = '2026-12-15T09:00';",
        vec![],
    )
    .await
    .expect("set");
    c.find(fantoccini::Locator::Css("#ov-preview"))
        .await
        .expect("preview")
        .click()
        .await
        .expect("click");
    until_text(&c, "#preview", "coverage_gap", Duration::from_secs(5)).await;
    // In the page's zone (New York), like the calendar under it.
    until_text(
        &c,
        "#preview",
        "nobody is on call in layer primary from Mon 14 Dec 09:00 to Tue 15 Dec 09:00",
        Duration::from_secs(1),
    )
    .await;
    // And how it moves on-call hours: the holder loses the day.
    until_text(
        &c,
        "#preview .fairness-shift",
        "-24.0 h on call",
        Duration::from_secs(1),
    )
    .await;
    let html = c.source().await.expect("html");
    assert!(
        html.contains("class=\"bar gap\""),
        "the gap is drawn in the preview"
    );
    shot(&c, "calendar-preview").await;
    // Nothing is saved by a preview.
    let (_, v) = app
        .get("/api/v1/teams/payments/rotas/payments-weekly/oncall?at=2026-12-14T15:00:00Z")
        .await;
    assert_eq!(v["layers"][0]["on_call"][0]["person"], h.as_str());
    // The on-call answer and the person's feed change.
    let after = publish_removal(&c, &app, &url, "2026-12-14T15:00:00Z").await;
    shot(&c, "calendar-published").await;
    c.close().await.expect("close");
    assert!(
        !after.contains("DTSTART:20261214T140000Z"),
        "the removed day left the feed"
    );
    assert!(
        after.contains("DTSTART:20261215T140000Z"),
        "the rest of the week stays"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_lead_selects_a_range_by_dragging_across_a_layer() {
    let Some(d) = driver().await else { return };
    let (app, _fake, _) = console_app(Backend::Sqlite).await;
    let token = app.token("lead", &["payments"], Some("dana")).await;
    let c = browser(&d).await;
    super::browser::sign_in(&c, &app.base, &token).await;
    c.goto(&format!("{}{CAL}?view=week&start=2026-12-14", app.base))
        .await
        .expect("open");
    until_text(
        &c,
        "#cal-heading",
        "Mon 14 Dec 2026",
        Duration::from_secs(5),
    )
    .await;
    // Press at Tuesday 00:00 on the primary row and let go at Wednesday
    // 09:00 (a seventh of the row per day, wall-clock within the day).
    let got = c
        .execute(
            "const svg = document.querySelector(\".cal-row[data-layer='primary'] svg.cal-bars\");\
             const r = svg.getBoundingClientRect(), y = r.top + 5;\
             const at = f => r.left + r.width * f;\
             svg.dispatchEvent(new PointerEvent('pointerdown', { clientX: at(1 / 7), clientY: y, bubbles: true }));\
             svg.dispatchEvent(new PointerEvent('pointerup', { clientX: at((2 + 9 / 24) / 7), clientY: y, bubbles: true }));\
             return [document.getElementById('ov-layer').value, document.getElementById('ov-start').value,\
                     document.getElementById('ov-end').value, document.querySelectorAll('rect.selection').length];",
            vec![],
        )
        .await
        .expect("drag");
    assert_eq!(
        got,
        json!(["primary", "2026-12-15T00:00", "2026-12-16T09:00", 1])
    );
    c.execute(
        "document.getElementById('ov-kind').value = 'remove';",
        vec![],
    )
    .await
    .expect("kind");
    c.find(fantoccini::Locator::Css("#ov-preview"))
        .await
        .expect("preview")
        .click()
        .await
        .expect("click");
    until_text(&c, "#preview", "coverage_gap", Duration::from_secs(5)).await;
    let html = c.source().await.expect("html");
    assert!(
        html.contains("Nobody is paged: Tue 15 Dec 00:00 – Wed 16 Dec 09:00"),
        "the selected range is the gap"
    );
    shot(&c, "calendar-range").await;
    // Published, the range leaves the holder's feed and the on-call answer.
    let h = holder(&app, 0, "2026-12-15T15:00:00Z").await;
    let url = feed_of(&app, &h).await;
    let feed = publish_removal(&c, &app, &url, "2026-12-15T15:00:00Z").await;
    assert!(
        feed.contains("DTSTART:20261214T140000Z") && feed.contains("DTEND:20261215T050000Z"),
        "{h}'s week now ends at Tuesday 00:00 New York: {feed}"
    );
    assert!(
        feed.contains("DTSTART:20261216T140000Z"),
        "and starts again on Wednesday 09:00"
    );
    // On a phone the calendar scrolls sideways inside its card.
    c.set_window_size(390, 844).await.expect("phone");
    c.goto(&format!("{}{CAL}?view=week&start=2026-12-14", app.base))
        .await
        .expect("open");
    until_text(
        &c,
        "#cal-heading",
        "Mon 14 Dec 2026",
        Duration::from_secs(5),
    )
    .await;
    shot(&c, "calendar-phone").await;
    c.close().await.expect("close");
    app.stop().await;
}

#[tokio::test]
async fn my_shifts_across_rotas_show_only_mine() {
    let (app, _fake, _) = console_app(Backend::Sqlite).await;
    let s = with_token(&app, &app.token("responder", &[], Some("bob")).await).await;
    let page = get(&app, Some(&s), "/me/shifts?view=month&start=2026-12-01").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("December 2026"));
    for layer in ["primary", "secondary"] {
        assert!(
            page.body
                .contains(&format!("payments/payments-weekly<small>{layer}</small>")),
            "a row for {layer}"
        );
    }
    let people: std::collections::BTreeSet<&str> = page
        .body
        .split("data-person=\"")
        .skip(1)
        .filter_map(|r| r.split('"').next())
        .collect();
    assert_eq!(
        people.into_iter().collect::<Vec<_>>(),
        ["bob"],
        "only bob's shifts"
    );
    // Bob's Christmas cover is there.
    assert!(
        page.body.contains("data-start=\"2026-12-24T17:00\""),
        "the override"
    );
    let t = with_token(&app, &app.admin.clone()).await;
    let p = get(&app, Some(&t), "/me/shifts").await;
    assert_eq!(
        p.status,
        StatusCode::FORBIDDEN,
        "a token's session has no shifts"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_coverage_page_names_a_service_that_would_page_nobody() {
    let (app, _fake, _) = console_app(Backend::Sqlite).await;
    let s = with_token(&app, &app.token("lead", &["payments"], Some("dana")).await).await;
    let page = get(&app, Some(&s), "/coverage?days=30").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"all-covered\""), "{}", page.body);
    // A service paging only payments' primary layer, and a gap in it.
    crate::paging::service(
        &app,
        "lonely",
        json!({ "ladder": { "stages": [{ "timeout": "5m", "targets": ["oncall:payments-weekly/primary"] }] } }),
    )
    .await;
    overrides(&app, json!({ "layer": "primary", "kind": "remove",
        "start": "2026-12-16T18:00:00Z", "end": "2026-12-16T22:00:00Z", "accept_violations": true }))
    .await;
    let page = get(&app, Some(&s), "/coverage?days=30").await;
    assert!(
        page.body.contains("<strong>lonely</strong> (payments)"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("datetime=\"2026-12-16T18:00:00Z\"")
            && page.body.contains("datetime=\"2026-12-16T22:00:00Z\""),
        "the gap: {}",
        page.body
    );
    assert!(
        !page.body.contains("<strong>web</strong>"),
        "web's ladder reaches the lead"
    );
    let bad = get(&app, Some(&s), "/coverage?days=400").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    app.stop().await;
}
