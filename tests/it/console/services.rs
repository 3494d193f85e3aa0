//! Services in the console: the list, a ladder with who each stage would
//! page now and at a chosen time, and a lead's edit previewed before saving.

use super::browser::{browser, driver, phone_shot, shot, sign_in, until_text};
use super::*;
use std::time::Duration;

fn cell(body: &str, stage: usize, class: &str) -> String {
    body.split(&format!("<tr data-stage=\"{stage}\">"))
        .nth(1)
        .and_then(|r| r.split(&format!("<td class=\"{class}\">")).nth(1))
        .and_then(|r| r.split("</td>").next())
        .unwrap_or_else(|| panic!("stage {stage} {class} in {body:.3000}"))
        .to_string()
}

#[tokio::test]
async fn a_ladder_shows_who_each_stage_pages_and_a_lead_edits_it() {
    let (app, _fake, _) = console_app(Backend::Sqlite).await;
    let then = holder(&app, 0, "2026-12-14T15:00:00Z").await;
    let lead = app.token("lead", &["payments"], Some("dana")).await;
    let s = with_token(&app, &lead).await;
    let list = get(&app, Some(&s), "/services").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body.contains("href=\"/services/web\""),
        "{}",
        list.body
    );
    let page = get(&app, Some(&s), "/services/web?at=2026-12-14T10:00").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let now = vigil::clock::Clock::now(app.clock.as_ref())
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let primary_now = holder(&app, 0, &now).await;
    assert!(cell(&page.body, 1, "now").contains(&primary_now));
    assert!(
        cell(&page.body, 1, "then").contains(&then),
        "stage 1 at 14 Dec"
    );
    assert_eq!(cell(&page.body, 3, "now"), "dana", "the lead");
    // A preview of an edit shows who it would page and saves nothing.
    let form = [
        ("csrf", s.csrf.as_str()),
        ("stages", "person:erin | 2m\nlead | 5m"),
        ("at", "2026-12-14T10:00"),
        ("action", "preview"),
    ];
    let p = post(&app, Some(&s), "/services/web/ladder", &form, &[]).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(p.body.contains("Preview: the edited ladder"));
    assert_eq!(cell(&p.body, 1, "now"), "erin");
    assert_eq!(cell(&p.body, 2, "then"), "dana");
    let (_, svc) = app.get("/api/v1/services/web").await;
    assert_eq!(svc["ladder"]["stages"].as_array().map(Vec::len), Some(3));
    // A target that does not read is named.
    let mut bad = form;
    bad[1].1 = "nonsense:x | 5m";
    let p = post(&app, Some(&s), "/services/web/ladder", &bad, &[]).await;
    assert!(p.body.contains("id=\"ladder-error\""), "{}", p.body);
    // Saved, the API has it; a responder may not.
    let mut save = form;
    save[3].1 = "save";
    let p = post(&app, Some(&s), "/services/web/ladder", &save, &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let (_, svc) = app.get("/api/v1/services/web").await;
    assert_eq!(
        svc["ladder"]["stages"][0]["targets"][0], "person:erin",
        "{svc}"
    );
    let r = with_token(&app, &app.token("responder", &[], Some("erin")).await).await;
    let mut theirs = save;
    theirs[0].1 = r.csrf.as_str();
    let p = post(&app, Some(&r), "/services/web/ladder", &theirs, &[]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);

    // A lead makes an integration key (shown once), it takes events, and
    // once revoked it takes none.
    let made = post(
        &app,
        Some(&s),
        "/services/web/keys",
        &[("csrf", s.csrf.as_str()), ("kind", "events")],
        &[],
    )
    .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    let secret = made
        .body
        .split("id=\"key-secret\" readonly value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the new key")
        .to_string();
    assert!(secret.starts_with("vik_"), "{secret}");
    let event = |key: String| {
        json!({ "routing_key": key, "event_action": "trigger", "dedup_key": "k1",
                "payload": { "summary": "from the new key", "source": "x", "severity": "error" } })
    };
    let (st, v) = app
        .call(
            Method::POST,
            "/v2/enqueue",
            None,
            Some(event(secret.clone())),
        )
        .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    let page = get(&app, Some(&s), "/services/web").await;
    let key_id = page
        .body
        .split("<li id=\"key-")
        .filter_map(|r| r.split('"').next())
        .last()
        .expect("a key listed")
        .to_string();
    let p = post(
        &app,
        Some(&s),
        &format!("/services/web/keys/{key_id}/revoke"),
        &[("csrf", s.csrf.as_str())],
        &[],
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let (st, _) = app
        .call(Method::POST, "/v2/enqueue", None, Some(event(secret)))
        .await;
    assert!(st.is_client_error(), "a revoked key is refused: {st}");

    // In the browser: the lead edits the stages and sees who they page.
    if let Some(d) = driver().await {
        let secondary_then = holder(&app, 1, "2026-12-14T15:00:00Z").await;
        let c = browser(&d).await;
        sign_in(&c, &app.base, &lead).await;
        c.goto(&format!("{}/services/web?at=2026-12-14T10:00", app.base))
            .await
            .expect("open");
        until_text(&c, "#stages", "erin", Duration::from_secs(5)).await;
        // Stage 1 picks the secondary instead, 3 minutes (1 for P1): the
        // ladder above follows the edit before anything is saved.
        c.execute(
            "const s = document.getElementById('t0');\
             for (const o of s.options) o.selected = (o.value === 'oncall:*/secondary');\
             document.getElementById('d0').value = '3m';\
             document.getElementById('p0_P1').value = '1m';\
             s.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![],
        )
        .await
        .expect("edit");
        until_text(
            &c,
            "#ladder-live h2",
            "Preview: the edited ladder",
            Duration::from_secs(5),
        )
        .await;
        until_text(&c, "#stages", "3m (P1 1m)", Duration::from_secs(2)).await;
        let html = c.source().await.expect("html");
        assert!(
            cell(&html, 1, "then").contains(&secondary_then),
            "stage 1 pages the secondary"
        );
        assert_eq!(cell(&html, 2, "now"), "dana");
        let (_, svc) = app.get("/api/v1/services/web").await;
        assert_eq!(
            svc["ladder"]["stages"][0]["targets"][0], "person:erin",
            "not saved yet"
        );
        shot(&c, "ladder").await;
        c.find(fantoccini::Locator::Css("#ladder-save"))
            .await
            .expect("save")
            .click()
            .await
            .expect("click");
        until_text(&c, "#flash", "Saved", Duration::from_secs(5)).await;
        let (_, svc) = app.get("/api/v1/services/web").await;
        let first = &svc["ladder"]["stages"][0];
        assert_eq!(first["targets"], json!(["oncall:*/secondary"]), "{svc}");
        assert_eq!(first["timeout"], "3m");
        assert_eq!(first["timeouts"]["P1"], "1m");
        // A maintenance window and a heartbeat, set from the same page.
        c.execute(
            "document.getElementById('mw-start').value = '2026-12-14T22:00';\
             document.getElementById('mw-end').value = '2026-12-15T02:00';",
            vec![],
        )
        .await
        .expect("window");
        c.find(fantoccini::Locator::Css("#mw-add"))
            .await
            .expect("add")
            .click()
            .await
            .expect("click");
        until_text(&c, "#window-0", "→", Duration::from_secs(5)).await;
        c.execute("document.getElementById('hb').value = '10m';", vec![])
            .await
            .expect("heartbeat");
        c.find(fantoccini::Locator::Css("#hb-save"))
            .await
            .expect("hb")
            .click()
            .await
            .expect("click");
        until_text(
            &c,
            "#heartbeat",
            "Checks in every 10m",
            Duration::from_secs(5),
        )
        .await;
        let (_, svc) = app.get("/api/v1/services/web").await;
        assert_eq!(svc["heartbeat_secs"], 600, "{svc}");
        // Local times in the team's zone (New York): 03:00Z to 07:00Z.
        assert_eq!(
            svc["maintenance"],
            json!([{ "start": "2026-12-15T03:00:00Z", "end": "2026-12-15T07:00:00Z" }])
        );
        shot(&c, "service-upkeep").await;
        // The stage form as a phone shows it.
        phone_shot(
            &c,
            "document.getElementById('stage-0').scrollIntoView();",
            "ladder-form-phone",
        )
        .await;
        c.close().await.expect("close");
    }
    app.stop().await;
}

#[tokio::test]
async fn maintenance_and_heartbeat_edits_name_what_is_wrong_and_keep_leads_only() {
    let (app, _fake, _) = console_app(Backend::Sqlite).await;
    let s = with_token(&app, &app.token("lead", &["payments"], Some("dana")).await).await;
    let path = "/services/web/upkeep";
    let send = |fields: Vec<(&'static str, &'static str)>| {
        let (app, s) = (&app, &s);
        async move {
            let mut f = vec![("csrf", s.csrf.as_str())];
            f.extend(fields);
            post(app, Some(s), path, &f, &[]).await
        }
    };
    for (fields, want) in [
        (
            vec![
                ("action", "add"),
                ("start", "2026-12-15T02:00"),
                ("end", "2026-12-14T22:00"),
            ],
            "end: must be after start",
        ),
        (
            vec![
                ("action", "add"),
                ("start", "2026-11-20T02:00"),
                ("end", "2026-11-21T02:00"),
            ],
            "end: the window is already over",
        ),
        (
            vec![
                ("action", "add"),
                ("start", "soon"),
                ("end", "2026-12-14T22:00"),
            ],
            "start",
        ),
        (
            vec![("action", "heartbeat"), ("heartbeat", "often")],
            "heartbeat",
        ),
        (
            vec![("action", "remove"), ("window", "3")],
            "window: no such maintenance window",
        ),
    ] {
        let p = send(fields.clone()).await;
        assert_eq!(p.status, StatusCode::OK, "{fields:?}");
        assert!(
            p.body.contains("id=\"error\"") && p.body.contains(want),
            "{fields:?}: {}",
            p.body
        );
    }
    let (_, svc) = app.get("/api/v1/services/web").await;
    assert_eq!(svc["maintenance"], json!([]), "nothing saved: {svc}");
    assert!(svc["heartbeat_secs"].is_null(), "{svc}");
    // A window in effect ends now; one to come is removed.
    let p = send(vec![
        ("action", "add"),
        ("start", "2026-11-27T06:00"),
        ("end", "2026-11-27T09:00"),
    ])
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let page = get(&app, Some(&s), "/services/web").await;
    assert!(page.body.contains("in effect now"), "{}", page.body);
    let p = send(vec![("action", "end"), ("window", "0")]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let (_, svc) = app.get("/api/v1/services/web").await;
    assert_eq!(
        svc["maintenance"][0]["end"], "2026-11-27T12:00:00Z",
        "{svc}"
    );
    // A responder may not.
    let r = with_token(&app, &app.token("responder", &[], Some("erin")).await).await;
    let p = post(
        &app,
        Some(&r),
        path,
        &[
            ("csrf", r.csrf.as_str()),
            ("action", "heartbeat"),
            ("heartbeat", "5m"),
        ],
        &[],
    )
    .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    app.stop().await;
}
