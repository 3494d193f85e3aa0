//! The audit log in the console: filtered by team, actor and kind, a rota
//! edit with what changed in its document, and leads kept to their teams.

use super::*;

#[tokio::test]
async fn the_audit_log_filters_and_shows_what_a_rota_edit_changed() {
    let (app, _fake, _) = console_app(Backend::Sqlite).await;
    let lead = app.token("lead", &["payments"], Some("dana")).await;
    let rota = "/api/v1/teams/payments/rotas/payments-weekly";
    let (_, h, v) = app
        .call_full(Method::GET, rota, Some(&lead), None, &[])
        .await;
    let tag = h["etag"].to_str().expect("etag").to_string();
    let mut doc = v["document"].clone();
    assert_eq!(doc["checks"]["weekend_spread"], 2, "{doc}");
    doc["checks"]["weekend_spread"] = json!(3);
    let (s, _, v) = app
        .call_full(
            Method::PUT,
            rota,
            Some(&lead),
            Some(json!({ "document": doc, "accept_violations": true })),
            &[("if-match", &tag)],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/teams/sre/rotas/sre-day-night/overrides",
            Some(&app.admin.clone()),
            Some(json!({ "layer": "on-call", "kind": "add", "person": "ivan",
                "start": "2027-02-10T10:00:00Z", "end": "2027-02-10T11:00:00Z", "accept_violations": true })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    let s = with_token(&app, &lead).await;
    let page = get(&app, Some(&s), "/audit?team=payments").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("<code>rota.update</code>"),
        "{}",
        page.body
    );
    let body = page.body.replace("&#34;", "\"");
    assert!(
        body.contains("<span class=\"del\">-     \"weekend_spread\": 2</span>"),
        "{body}"
    );
    assert!(
        body.contains("<span class=\"ins\">+     \"weekend_spread\": 3</span>"),
        "{body}"
    );
    assert!(
        !page.body.contains("sre/sre-day-night"),
        "another team's entries stay out"
    );
    let by_her = get(&app, Some(&s), "/audit?team=payments&actor=dana&kind=rota.").await;
    assert!(by_her.body.contains("<code>rota.update</code>"));
    let nobody = get(&app, Some(&s), "/audit?team=payments&actor=zoe").await;
    assert!(nobody.body.contains("Nothing matches"));
    // A lead sees only their teams; with none named, theirs.
    let p = get(&app, Some(&s), "/audit?team=sre").await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = get(&app, Some(&s), "/audit").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    // An admin sees every team; a kind filter keeps to it.
    let a = with_token(&app, &app.admin.clone()).await;
    let p = get(&app, Some(&a), "/audit?kind=override.").await;
    assert!(
        p.body.contains("<code>override.create</code>") && p.body.contains("sre/sre-day-night")
    );
    assert!(!p.body.contains("<code>rota.update</code>"));
    // Wildcards are taken literally.
    let p = get(&app, Some(&a), "/audit?actor=%25").await;
    assert!(p.body.contains("Nothing matches"), "a % matches no actor");
    app.stop().await;
}
