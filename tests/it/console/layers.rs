//! Editing a rota's layers and check limits from its calendar: a layer's
//! hours changed from a date (earlier shifts untouched, the scheduled
//! change it replaces named), a new layer added from a date, the check
//! limits previewed with the problems they bring in and saved only with a
//! lead's acceptance of a hard rule, and bad input named by field.

use super::browser::{browser, driver, phone_shot, shot, sign_in, until_text};
use super::*;
use chrono::{DateTime, Datelike, Timelike, Utc};
use std::time::Duration;

const CAL: &str = "/rotas/payments/payments-weekly";
const ROTA: &str = "/api/v1/teams/payments/rotas/payments-weekly";

async fn shifts(app: &TestApp, layer: &str, from: &str, to: &str) -> Vec<serde_json::Value> {
    let (s, v) = app
        .get(&format!("{ROTA}/shifts?from={from}&to={to}&layer={layer}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["shifts"].as_array().cloned().unwrap_or_default()
}

fn at(v: &serde_json::Value, k: &str) -> DateTime<Utc> {
    v[k].as_str().expect("instant").parse().expect("RFC 3339")
}

/// Opens a layer's form and sets its fields (id suffix → value).
async fn fill(c: &fantoccini::Client, key: &str, fields: &[(&str, &str)]) {
    let mut js = format!("document.getElementById('edit-{key}').closest('details').open = true;");
    for (id, value) in fields {
        js.push_str(&format!(
            "document.getElementById('{id}-{key}').value = {};",
            json!(value)
        ));
    }
    c.execute(&js, vec![]).await.expect("fill");
}

async fn click(c: &fantoccini::Client, css: &str) {
    c.find(fantoccini::Locator::Css(css))
        .await
        .expect(css)
        .click()
        .await
        .expect("click");
}

#[tokio::test]
async fn a_lead_changes_a_layers_hours_and_adds_a_layer_from_a_date() {
    let Some(d) = driver().await else { return };
    let (app, _fake, _) = console_app(Backend::Sqlite).await;
    let past = shifts(
        &app,
        "secondary",
        "2026-11-01T00:00:00Z",
        "2027-01-04T14:00:00Z",
    )
    .await;
    assert!(past.len() >= 8, "{past:?}");
    let lead = app.token("lead", &["payments"], Some("dana")).await;
    let c = browser(&d).await;
    sign_in(&c, &app.base, &lead).await;
    c.goto(&format!("{}{CAL}?view=2week&start=2027-01-04", app.base))
        .await
        .expect("open");
    // The form shows the layer as it is now.
    let cadence = c
        .execute(
            "return document.getElementById('cadence-secondary').value",
            vec![],
        )
        .await
        .expect("cadence");
    assert_eq!(cadence, json!("weekly"));
    fill(
        &c,
        "secondary",
        &[
            ("hours", "mon-fri 09:00-17:00"),
            ("from", "2027-01-04T09:00"),
        ],
    )
    .await;
    click(&c, "#edit-secondary .edit-preview").await;
    until_text(&c, "#edit-preview", "shift(s) go", Duration::from_secs(5)).await;
    // The edit replaces the layer's scheduled March change, and says so.
    until_text(
        &c,
        "#edit-replaces",
        "secondary-weekly-with-erin",
        Duration::from_secs(1),
    )
    .await;
    shot(&c, "calendar-layer-hours-preview").await;
    assert_eq!(
        shifts(
            &app,
            "secondary",
            "2026-11-01T00:00:00Z",
            "2027-01-04T14:00:00Z"
        )
        .await,
        past,
        "a preview saves nothing"
    );
    click(&c, "#edit-secondary .edit-save").await;
    until_text(&c, "#flash", "Saved", Duration::from_secs(5)).await;
    assert_eq!(
        shifts(
            &app,
            "secondary",
            "2026-11-01T00:00:00Z",
            "2027-01-04T14:00:00Z"
        )
        .await,
        past,
        "earlier shifts never change"
    );
    // From 4 January the layer is on call 09:00-17:00 New York, weekdays.
    let ny = vigil::tz::Zone::named("America/New_York").expect("zone");
    let after = shifts(
        &app,
        "secondary",
        "2027-01-04T14:00:00Z",
        "2027-02-01T00:00:00Z",
    )
    .await;
    assert_eq!(after.len(), 20, "{after:?}");
    for s in &after {
        let local = |k| vigil::rota::civil::local(&ny, at(s, k));
        let (a, b) = (local("start"), local("end"));
        assert!(
            a.hour() == 9 && b.hour() == 17 && a.date() == b.date(),
            "{s}"
        );
        assert!(a.weekday().num_days_from_monday() < 5, "{s}");
    }
    // A new layer from 11 January: daily at 10:00, erin first.
    c.goto(&format!("{}{CAL}?view=2week&start=2027-01-11", app.base))
        .await
        .expect("open");
    fill(
        &c,
        "new",
        &[
            ("cadence", "daily"),
            ("handoff-time", "10:00"),
            ("people", "erin, alice"),
            ("from", "2027-01-11T10:00"),
        ],
    )
    .await;
    c.execute(
        "document.getElementById('name-new').value = 'shadow';",
        vec![],
    )
    .await
    .expect("name");
    click(&c, "#edit-new .edit-preview").await;
    until_text(&c, "#edit-preview", "shift(s) go", Duration::from_secs(5)).await;
    click(&c, "#edit-new .edit-save").await;
    until_text(&c, "#flash", "Saved", Duration::from_secs(5)).await;
    until_text(&c, "#calendar", "shadow", Duration::from_secs(2)).await;
    shot(&c, "calendar-layer-added").await;
    // The layer forms as a phone shows them.
    phone_shot(
        &c,
        "document.getElementById('edit-secondary').closest('details').open = true;\
         document.getElementById('layers-edit').scrollIntoView();",
        "calendar-layer-form-phone",
    )
    .await;
    assert!(
        shifts(
            &app,
            "shadow",
            "2026-11-01T00:00:00Z",
            "2027-01-11T15:00:00Z"
        )
        .await
        .is_empty(),
        "a new layer has no past"
    );
    let new = shifts(
        &app,
        "shadow",
        "2027-01-11T15:00:00Z",
        "2027-01-14T15:00:00Z",
    )
    .await;
    let who: Vec<&str> = new.iter().filter_map(|s| s["person"].as_str()).collect();
    assert_eq!(who, ["erin", "alice", "erin"], "{new:?}");
    assert_eq!(new[0]["start"], "2027-01-11T15:00:00Z");
    c.close().await.expect("close");
    app.stop().await;
}

async fn checks(app: &TestApp, token: &str) -> serde_json::Value {
    let (_, v) = app.call(Method::GET, ROTA, Some(token), None).await;
    v["document"]["checks"].clone()
}

fn version_of(html: &str) -> String {
    let i = html.find("name=\"version\" value=\"").expect("a version") + 22;
    html[i..].split('"').next().unwrap_or("").to_string()
}

#[tokio::test]
async fn check_limits_are_previewed_and_a_hard_rule_needs_the_leads_acceptance() {
    let (app, _fake, _) = console_app(Backend::Sqlite).await;
    let lead = app.token("lead", &["payments"], Some("dana")).await;
    let s = with_token(&app, &lead).await;
    let page = get(&app, Some(&s), CAL).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("id=\"limits-form\""),
        "a lead sees the form"
    );
    // The example's limits are shown (min rest 48 h, weekend spread 2).
    assert!(
        page.body.contains(
            "name=\"min_rest_hours\" inputmode=\"decimal\" maxlength=\"10\" value=\"48\""
        )
    );
    let version = version_of(&page.body);
    let path = format!("{CAL}/checks");
    let form = |action: &'static str, accept: bool, week: &'static str, version: String| {
        let mut f: Vec<(&str, String)> = vec![
            ("csrf", s.csrf.clone()),
            ("version", version),
            ("coverage_gaps", "on".into()),
            ("min_gap_minutes", "1".into()),
            ("max_consecutive_shifts", "2".into()),
            ("min_rest_hours", "48".into()),
            ("max_hours_per_7_days", week.into()),
            ("weekend_spread", "2".into()),
            ("hard", "coverage_gap".into()),
            ("hard", "max_hours_per_7_days".into()),
            ("action", action.into()),
        ];
        if accept {
            f.push(("accept", "on".into()));
        }
        f
    };
    let send = |f: Vec<(&'static str, String)>| {
        let app = &app;
        let s = &s;
        let path = path.clone();
        async move {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post(app, Some(s), &path, &pairs, &[]).await
        }
    };
    let before = checks(&app, &lead).await;
    // Preview: weekly shifts of 168 h break a 24 h limit, a hard rule here.
    let p = send(form("preview", false, "24", version.clone())).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(p.body.contains("id=\"edit-preview\""), "{}", p.body);
    assert!(p.body.contains("max_hours_per_7_days:"), "{}", p.body);
    assert!(p.body.contains("breaking a hard rule"), "{}", p.body);
    assert!(p.body.contains("No shift changes"), "{}", p.body);
    assert_eq!(checks(&app, &lead).await, before, "a preview saves nothing");
    // Saving without the lead's acceptance is refused, and keeps the form.
    let p = send(form("save", false, "24", version.clone())).await;
    assert!(
        p.body.contains("id=\"error\"") && p.body.contains("hard rule"),
        "{}",
        p.body
    );
    assert!(p.body.contains(
        "name=\"max_hours_per_7_days\" inputmode=\"decimal\" maxlength=\"10\" value=\"24\""
    ));
    assert_eq!(checks(&app, &lead).await, before);
    // Bad input names the field.
    let p = send(form("save", true, "lots", version.clone())).await;
    assert!(
        p.body
            .contains("max_hours_per_7_days: &#34;lots&#34; is not a number")
            || p.body
                .contains("max_hours_per_7_days: &quot;lots&quot; is not a number"),
        "{}",
        p.body
    );
    // Accepted: saved.
    let p = send(form("save", true, "24", version.clone())).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.location(), format!("{CAL}?done=limits"));
    let after = checks(&app, &lead).await;
    assert_eq!(after["max_hours_per_7_days"], 24.0, "{after}");
    assert_eq!(
        after["hard"],
        json!(["coverage_gap", "max_hours_per_7_days"])
    );
    // The page made before that save is now stale.
    let p = send(form("save", true, "30", version)).await;
    assert!(p.body.contains("Changed by dana at"), "{}", p.body);
    // A layer form's mistakes name the field too.
    let page = get(&app, Some(&s), CAL).await;
    let v = version_of(&page.body);
    let layer = format!("{CAL}/layer");
    for (field, value, want) in [
        ("every", "0", "every: &#34;0&#34; is not a whole number"),
        (
            "restrictions",
            "funday 09:00-17:00",
            "restrictions line 1: &#34;funday&#34; is not a day",
        ),
        (
            "restrictions",
            "mon 09:00",
            "restrictions line 1: &#34;mon 09:00&#34;: write hours as HH:MM-HH:MM",
        ),
        ("handoff_time", "25:00", "handoff_time"),
    ] {
        let mut f = vec![
            ("csrf", s.csrf.as_str()),
            ("version", v.as_str()),
            ("layer", "secondary"),
            ("cadence", "every_hours"),
            ("every", "12"),
            ("participants", "alice, bob"),
            ("from", "2027-01-04T09:00"),
            ("action", "save"),
        ];
        f.retain(|(k, _)| *k != field);
        f.push((field, value));
        let p = post(&app, Some(&s), &layer, &f, &[]).await;
        assert!(p.body.contains(want), "{field}={value}: {}", p.body);
    }
    assert_eq!(
        checks(&app, &lead).await,
        after,
        "nothing written by a bad form"
    );
    app.stop().await;
}
