//! The console's pages and forms over HTTP, as a browser would send them.

use super::*;
use crate::paging::{
    PEOPLE, TWILIO_TOKEN, advance, alert, on_call, phone, timeline_kinds, twilio_post,
};

#[tokio::test]
async fn pages_need_a_session_and_carry_strict_security_headers() {
    let (app, _fake, _) = console_app(Backend::Sqlite).await;
    let p = get(&app, None, "/alerts?status=open").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location(), "/login?next=%2Falerts%3Fstatus%3Dopen");
    let login = get(&app, None, "/login").await;
    assert_eq!(login.status, StatusCode::OK);
    let csp = login.headers["content-security-policy"]
        .to_str()
        .expect("csp");
    assert!(
        csp.contains("default-src 'self'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(login.headers["x-frame-options"], "DENY");
    assert!(!login.body.contains("<script>"), "no inline script");
    // Every asset is served by Vigil itself.
    for a in ["htmx.min.js", "sse.js", "vigil.js", "vigil.css", "icon.svg"] {
        assert_eq!(
            get(&app, None, &format!("/assets/{a}")).await.status,
            StatusCode::OK,
            "{a}"
        );
    }
    let s = with_token(&app, &app.admin.clone()).await;
    let home = get(&app, Some(&s), "/").await;
    assert!(
        !home.body.contains("src=\"http") && !home.body.contains("href=\"http"),
        "nothing from elsewhere"
    );
    // The cookie is HttpOnly and SameSite=Lax (Secure only off plain-http loopback).
    let p = post(
        &app,
        None,
        "/login/token",
        &[("token", &app.admin.clone())],
        &[],
    )
    .await;
    let set = p.headers["set-cookie"].to_str().expect("cookie");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax") && !set.contains("Secure"),
        "{set}"
    );
    app.stop().await;
}

async fn link_story(backend: Backend) {
    let (app, fake, _) = console_app(backend).await;
    // Someone unknown gets the same answer, and nothing is sent.
    let before = fake.count();
    let nobody = post(&app, None, "/login/link", &[("who", "nobody-here")], &[]).await;
    let alice = post(&app, None, "/login/link", &[("who", "alice")], &[]).await;
    assert_eq!(nobody.status, StatusCode::OK);
    assert_eq!(
        nobody.body, alice.body,
        "the answer does not reveal who exists"
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(fake.count(), before + 1, "one SMS, to alice");
    let link = link_in_sms(&fake, &phone("alice"));
    let path = link
        .strip_prefix(&app.base)
        .expect("a link to this server")
        .to_string();
    // Opening the link does not use it (mail scanners); the button does.
    assert_eq!(get(&app, None, &path).await.status, StatusCode::OK);
    let signed = post(&app, None, &path, &[], &[]).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
    let cookie = cookie_of(&signed);
    let home = get(
        &app,
        Some(&Session {
            cookie: cookie.clone(),
            csrf: String::new(),
        }),
        "/",
    )
    .await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.body.contains("On call now") && home.body.contains("alice"),
        "{}",
        home.body
    );
    // Single use.
    let again = post(&app, None, &path, &[], &[]).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    // And ten minutes only.
    post(&app, None, "/login/link", &[("who", "alice")], &[]).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let late = link_in_sms(&fake, &phone("alice"));
    assert_ne!(late, link);
    app.clock.advance(chrono::Duration::minutes(11));
    let late = late.strip_prefix(&app.base).expect("link").to_string();
    assert_eq!(
        post(&app, None, &late, &[], &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Sign-out ends the session for good.
    let s = Session {
        cookie,
        csrf: csrf_of(&home.body),
    };
    let out = post(&app, Some(&s), "/logout", &[("csrf", &s.csrf)], &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(get(&app, Some(&s), "/").await.status, StatusCode::SEE_OTHER);
    app.stop().await;
}
crate::both!(
    sign_in_by_link_on_sqlite,
    sign_in_by_link_on_postgres,
    link_story
);

#[tokio::test]
async fn sign_in_attempts_are_limited_per_person_and_address() {
    let (app, fake, _) = console_app(Backend::Sqlite).await;
    for _ in 0..5 {
        let p = post(&app, None, "/login/link", &[("who", "bob")], &[]).await;
        assert_eq!(p.status, StatusCode::OK);
    }
    let p = post(&app, None, "/login/link", &[("who", "bob")], &[]).await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS, "{}", p.body);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        fake.to("sms", &phone("bob")).len(),
        5,
        "no link past the limit"
    );
    // Another person is not held back by bob's limit…
    let p = post(&app, None, "/login/link", &[("who", "carol")], &[]).await;
    assert_eq!(p.status, StatusCode::OK);
    // …but one address trying many people, or many tokens, is (30 attempts
    // in 15 minutes, bad tokens included).
    for i in 0..23 {
        let p = post(
            &app,
            None,
            "/login/token",
            &[("token", &format!("vgl_wrong{i}"))],
            &[],
        )
        .await;
        assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    }
    let p = post(&app, None, "/login/link", &[("who", "nobody")], &[]).await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
    let p = post(
        &app,
        None,
        "/login/token",
        &[("token", &app.admin.clone())],
        &[],
    )
    .await;
    assert_eq!(
        p.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even a good token, until the window passes"
    );
    app.stop().await;
}

async fn actions_story(backend: Backend) {
    let (app, fake, key) = console_app(backend).await;
    let id = raise(&app, &key, "Disk full on db-1").await;
    let primary = on_call(&app, "primary").await;
    let (st, v) = app
        .call(
            Method::PUT,
            &format!("/api/v1/people/{primary}"),
            Some(&app.admin.clone()),
            Some(json!({ "name": "Robin Oncall", "phone": phone(&primary),
                         "chat": crate::paging::chat(&primary), "timezone": "America/New_York" })),
        )
        .await;
    assert!(st.is_success(), "{v}");
    let token = app.token("responder", &[], Some(&primary)).await;
    let s = with_token(&app, &token).await;
    let list = get(&app, Some(&s), "/alerts").await;
    assert!(list.body.contains("Disk full on db-1"), "{}", list.body);
    assert!(
        list.body.contains(&format!("paging {primary}")),
        "who is being paged"
    );
    assert!(list.body.contains("data-deadline"), "SLA countdowns");
    // No CSRF token: refused, nothing changes.
    let path = format!("/alerts/{id}/ack");
    let p = post(&app, Some(&s), &path, &[], &[]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = post(&app, Some(&s), &path, &[("csrf", "0000")], &[]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    // The right token from another site: refused.
    let p = post(
        &app,
        Some(&s),
        &path,
        &[("csrf", &s.csrf)],
        &[("origin", "https://evil.example")],
    )
    .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(alert(&app, &id).await["status"], "triggered");
    // With it: acknowledged, by this person, via the console.
    let origin = app.base.clone();
    let p = post(
        &app,
        Some(&s),
        &path,
        &[("csrf", &s.csrf), ("back", "/alerts")],
        &[("origin", &origin)],
    )
    .await;
    assert_eq!((p.status, p.location()), (StatusCode::SEE_OTHER, "/alerts"));
    let a = alert(&app, &id).await;
    assert_eq!(a["status"], "acknowledged");
    assert_eq!(a["acknowledged_via"], "console");
    assert!(
        a["acknowledged_by"]
            .as_str()
            .unwrap_or("")
            .starts_with(&primary)
    );
    // People see the name, not the handle or the session.
    let rows = get(&app, Some(&s), "/alerts/rows").await;
    assert!(
        rows.body.contains("acknowledged by Robin Oncall"),
        "{}",
        rows.body
    );
    // Nobody is paged any more.
    let sent = fake.count();
    advance(&app, 3600).await;
    assert_eq!(fake.count(), sent, "no page after the acknowledgement");
    // A note shows on the timeline.
    let p = post(
        &app,
        Some(&s),
        &format!("/alerts/{id}/note"),
        &[("csrf", &s.csrf), ("text", "Rotating logs <b>now</b>")],
        &[],
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let d = get(&app, Some(&s), &format!("/alerts/{id}")).await;
    assert!(
        d.body.contains("Rotating logs &#60;b&#62;now&#60;/b&#62;"),
        "escaped: {}",
        d.body
    );
    assert!(
        d.body.contains("https://runbooks.example/disk") && d.body.contains("97%"),
        "links and details"
    );
    assert!(timeline_kinds(&alert(&app, &id).await).contains(&"note".to_string()));
    // Bulk: resolve two at once.
    let b = raise(&app, &key, "Queue backlog").await;
    let p = post(
        &app,
        Some(&s),
        "/alerts/bulk",
        &[
            ("csrf", &s.csrf),
            ("action", "resolve"),
            ("ids", &id),
            ("ids", &b),
        ],
        &[],
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(alert(&app, &id).await["status"], "resolved");
    assert_eq!(alert(&app, &b).await["status"], "resolved");
    app.stop().await;
}
crate::both!(
    act_on_alerts_on_sqlite,
    act_on_alerts_on_postgres,
    actions_story
);

#[tokio::test]
async fn a_responder_sees_no_admin_controls() {
    let (app, _fake, _) = console_app(Backend::Sqlite).await;
    let token = app.token("responder", &[], Some("dave")).await;
    let s = with_token(&app, &token).await;
    let home = get(&app, Some(&s), "/").await;
    assert!(!home.body.contains("nav-admin"), "no admin link");
    assert_eq!(
        get(&app, Some(&s), "/admin").await.status,
        StatusCode::FORBIDDEN
    );
    let p = post(
        &app,
        Some(&s),
        "/admin/login-link",
        &[("csrf", &s.csrf), ("person", "alice")],
        &[],
    )
    .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let admin = with_token(&app, &app.admin.clone()).await;
    let home = get(&app, Some(&admin), "/").await;
    assert!(home.body.contains("nav-admin"));
    let page = get(&app, Some(&admin), "/admin").await;
    assert_eq!(page.status, StatusCode::OK);
    let p = post(
        &app,
        Some(&admin),
        "/admin/login-link",
        &[("csrf", &admin.csrf), ("person", "alice")],
        &[],
    )
    .await;
    assert!(p.body.contains("/login/link/vsl_"), "an admin makes a link");
    app.stop().await;
}

async fn contact_story(backend: Backend) {
    let (app, fake, _) = console_app(backend).await;
    let token = app.token("responder", &[], Some("erin")).await;
    let s = with_token(&app, &token).await;
    let new = "+15550109999";
    let p = post(
        &app,
        Some(&s),
        "/me/contacts",
        &[("csrf", &s.csrf), ("channel", "sms"), ("address", "12")],
        &[],
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("address:"), "names the field: {}", p.body);
    let p = post(
        &app,
        Some(&s),
        "/me/contacts",
        &[("csrf", &s.csrf), ("channel", "sms"), ("address", new)],
        &[],
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let code = code_in_sms(&fake, new);
    // Not used until verified.
    let (_, person) = app.get("/api/v1/people/erin").await;
    assert_eq!(person["phone"], phone("erin"));
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let p = post(
        &app,
        Some(&s),
        "/me/contacts/verify",
        &[("csrf", &s.csrf), ("channel", "sms"), ("code", wrong)],
        &[],
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    let p = post(
        &app,
        Some(&s),
        "/me/contacts/verify",
        &[("csrf", &s.csrf), ("channel", "sms"), ("code", &code)],
        &[],
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let (_, person) = app.get("/api/v1/people/erin").await;
    assert_eq!(person["phone"], new);
    let me = get(&app, Some(&s), "/me?done=verified").await;
    assert!(me.body.contains(new) && me.body.contains("verified"));
    // A test message goes to it.
    post(
        &app,
        Some(&s),
        "/me/contacts/sms/test",
        &[("csrf", &s.csrf)],
        &[],
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        fake.to("sms", new)
            .last()
            .expect("test")
            .text
            .contains("test from Vigil")
    );
    app.stop().await;
}
crate::both!(
    verify_a_contact_on_sqlite,
    verify_a_contact_on_postgres,
    contact_story
);

#[tokio::test]
async fn pages_link_to_the_console_and_sms_replies_show_live() {
    let (app, fake, key) = console_app(Backend::Sqlite).await;
    let admin = with_token(&app, &app.admin.clone()).await;
    // Open the event stream before anything changes.
    let mut events = client()
        .get(format!("{}/events", app.base))
        .header("cookie", &admin.cookie)
        .send()
        .await
        .expect("events");
    assert_eq!(events.status(), StatusCode::OK);
    let id = raise(&app, &key, "Checkout errors").await;
    let primary = on_call(&app, "primary").await;
    let sms = fake.to("sms", &phone(&primary));
    let text = &sms.last().expect("a page").text;
    assert!(
        text.contains(&format!("{}/alerts/{id}", app.base)),
        "{text}"
    );
    assert!(
        text.contains("Runbook: https://runbooks.example/disk") && text.contains("(from db-1)"),
        "the runbook link and the source: {text}"
    );
    let first = tokio::time::timeout(std::time::Duration::from_secs(2), events.chunk())
        .await
        .expect("an event within 2 s")
        .expect("chunk")
        .expect("data");
    assert!(String::from_utf8_lossy(&first).contains("event: alerts"));
    // The responder replies by SMS; the list shows it at the next refresh.
    let code = crate::paging::code_in(text);
    let (s, _) = twilio_post(
        &app,
        "/api/v1/callbacks/twilio/sms",
        &[("From", &phone(&primary)), ("Body", &format!("ack {code}"))],
        TWILIO_TOKEN,
    )
    .await;
    assert!(s.is_success());
    let next = tokio::time::timeout(std::time::Duration::from_secs(2), events.chunk())
        .await
        .expect("an event within 2 s of the reply")
        .expect("chunk")
        .expect("data");
    assert!(String::from_utf8_lossy(&next).contains("event: alerts"));
    let rows = get(&app, Some(&admin), "/alerts/rows").await;
    assert!(rows.body.contains("acknowledged by"), "{}", rows.body);
    let _ = PEOPLE;
    app.stop().await;
}
