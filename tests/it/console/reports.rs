//! The Reports page: its figures per priority equal `GET /api/v1/reports`
//! for the same window, each chart has its numbers and a CSV, and a bad
//! window is refused naming the field.

use super::browser::{browser, driver, phone_shot, shot, sign_in, until_text};
use super::*;
use crate::paging::{advance, on_call, trigger};
use std::time::Duration;

/// The `data-v` values of a priority's row on the page.
fn row(body: &str, p: &str) -> Vec<String> {
    let tr = body
        .split(&format!("<tr data-priority=\"{p}\">"))
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .unwrap_or_else(|| panic!("a {p} row in {body:.2000}"));
    tr.split("data-v=\"")
        .skip(1)
        .filter_map(|c| c.split('"').next())
        .map(str::to_string)
        .collect()
}

fn num(v: &serde_json::Value) -> String {
    match v.as_f64() {
        Some(f) if v.is_u64() => (f as u64).to_string(),
        Some(f) => f.to_string(),
        None => String::new(),
    }
}

#[tokio::test]
async fn the_reports_page_shows_what_the_api_reports() {
    let (app, _fake, key) = console_app(Backend::Sqlite).await;
    let me = on_call(&app, "primary").await;
    let tok = app.token("responder", &[], Some(&me)).await;
    let act = |id: String, action: &'static str| {
        let (app, tok) = (&app, &tok);
        async move {
            let (s, v) = app
                .call(
                    Method::POST,
                    &format!("/api/v1/alerts/{id}/{action}"),
                    Some(tok),
                    None,
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
    };
    let start = vigil::clock::Clock::now(app.clock.as_ref()).date_naive();
    // Four weeks of alerts at three priorities, acknowledged sooner or later.
    for week in 0..4i64 {
        for (p, ack_after) in [
            ("P1", 120 + 200 * week),
            ("P2", 300 + 400 * week),
            ("P3", 900),
        ] {
            let (s, v) = trigger(
                &app,
                &key,
                json!({ "service": "web", "summary": format!("{p} week {week}"), "priority": p }),
            )
            .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            let id = v["id"].as_str().expect("id").to_string();
            advance(&app, ack_after).await;
            act(id.clone(), "ack").await;
            advance(&app, 1800).await;
            act(id, "resolve").await;
        }
        advance(&app, 7 * 86_400 - 3 * 2000).await;
    }
    // Acknowledged in 90 s and resolved; left to breach; still inside.
    let a = raise(&app, &key, "Queue backlog").await;
    advance(&app, 90).await;
    act(a.clone(), "ack").await;
    act(a, "resolve").await;
    raise(&app, &key, "Disk full").await;
    advance(&app, 10 * 60).await;
    raise(&app, &key, "Checkout slow").await;
    advance(&app, 30).await;
    let today = vigil::clock::Clock::now(app.clock.as_ref()).date_naive();
    let from = start;
    let lead = app.token("lead", &["payments"], Some("dana")).await;
    let s = with_token(&app, &lead).await;
    let page = get(&app, Some(&s), &format!("/reports?from={from}&to={today}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let (_, api) = app
        .get(&format!(
            "/api/v1/reports?from={from}T00:00:00Z&to={}T00:00:00Z",
            today + chrono::Duration::days(1)
        ))
        .await;
    let p1 = &api["by_priority"]["P1"];
    assert_eq!(p1["alerts"], 7, "{api}");
    let want: Vec<String> = [
        "alerts",
        "acknowledged",
        "mtta_secs",
        "mttr_secs",
        "ack_sla_attainment",
        "breach_rate",
    ]
    .iter()
    .map(|k| num(&p1[*k]))
    .collect();
    assert_eq!(
        row(&page.body, "P1"),
        want,
        "the page's P1 row against {api}"
    );
    let shown = format!(
        "{:.1}% of {}",
        p1["ack_sla_attainment"].as_f64().expect("a share") * 100.0,
        p1["ack_sla_counted"]
    );
    assert_eq!(
        p1["ack_sla_counted"], 6,
        "the one 30 s old is not decided: {api}"
    );
    assert!(page.body.contains(&shown), "{shown}");
    // Seven charts, each with its numbers and a CSV of them.
    assert_eq!(page.body.matches("<svg class=\"chart\"").count(), 7);
    for id in [
        "attainment",
        "breaches",
        "mtta",
        "mttr",
        "services",
        "pages",
        "load",
    ] {
        assert!(page.body.contains(&format!("id=\"chart-{id}\"")), "{id}");
    }
    assert!(page.body.contains("2% target"));
    let csv = get(
        &app,
        Some(&s),
        &format!("/reports/services.csv?from={from}&to={today}"),
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.body, "service,alerts\r\nweb,15\r\n");
    let csv = get(
        &app,
        Some(&s),
        &format!("/reports/breaches.csv?from={from}&to={today}"),
    )
    .await;
    assert!(csv.body.starts_with("week,P1,P2,P3\r\n"), "{}", csv.body);
    assert_eq!(
        csv.body.lines().count(),
        1 + 5,
        "a row per week: {}",
        csv.body
    );
    // Hours on call per person: the rotas' own count over the window.
    let csv = get(
        &app,
        Some(&s),
        &format!("/reports/load.csv?from={from}&to={today}&team=payments"),
    )
    .await;
    assert!(csv.body.starts_with("person,hours\r\n"), "{}", csv.body);
    let total: f64 = csv
        .body
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(1)?.parse::<f64>().ok())
        .sum();
    let days = (today - from).num_days() as f64 + 1.0;
    // payments-weekly has two always-covered layers: two people at a time.
    assert!(
        (total - 2.0 * 24.0 * days).abs() < 1.0,
        "{total} hours over {days} days: {}",
        csv.body
    );
    // The team filter, and bad windows.
    let other = get(
        &app,
        Some(&s),
        &format!("/reports?from={from}&to={today}&team=sre"),
    )
    .await;
    assert!(
        other.body.contains("No alerts in this window"),
        "sre has none"
    );
    for (q, want) in [
        ("from=2026-02-30", StatusCode::BAD_REQUEST),
        ("from=2020-01-01&to=2026-01-01", StatusCode::BAD_REQUEST),
        ("team=nope", StatusCode::NOT_FOUND),
    ] {
        let p = get(&app, Some(&s), &format!("/reports?{q}")).await;
        assert_eq!(p.status, want, "{q}");
    }
    if let Some(d) = driver().await {
        let c = browser(&d).await;
        sign_in(&c, &app.base, &lead).await;
        c.set_window_size(1100, 1400).await.expect("size");
        c.goto(&format!("{}/reports?from={from}&to={today}", app.base))
            .await
            .expect("open");
        until_text(&c, "h1", "Reports", Duration::from_secs(5)).await;
        shot(&c, "reports").await;
        // On a phone: the filter form and a chart with its numbers.
        phone_shot(&c, "window.scrollTo(0, 0)", "reports-phone").await;
        phone_shot(
            &c,
            "document.querySelector('#window').nextElementSibling.nextElementSibling.scrollIntoView()",
            "reports-chart-phone",
        )
        .await;
        c.close().await.expect("close");
    }
    app.stop().await;
}
