//! Services in the console: the list, a ladder with who each stage would
//! page now and at a chosen time, and a lead's edit previewed before saving.

use super::*;

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
    assert!(p.body.contains("id=\"error\""), "{}", p.body);
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
    app.stop().await;
}
