//! Calendar feeds as a calendar client sees them.

use super::{Backend, TestApp};
use crate::both;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Fetches a feed URL: (status, headers, body).
async fn fetch(
    app: &TestApp,
    url: &str,
    etag: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let mut req = app.http.get(url);
    if let Some(t) = etag {
        req = req.header("if-none-match", t);
    }
    let r = req.send().await.expect("fetch");
    (
        r.status(),
        r.headers().clone(),
        r.text().await.unwrap_or_default(),
    )
}

/// (UID, DTSTART, DTEND) of every event, parsed with the `ical` crate.
fn events(ics: &str) -> Vec<(String, String, String)> {
    let cal = ical::IcalParser::new(ics.as_bytes())
        .next()
        .expect("one calendar")
        .expect("parses");
    cal.events
        .iter()
        .map(|e| {
            let p = |n: &str| {
                e.properties
                    .iter()
                    .find(|p| p.name == n)
                    .and_then(|p| p.value.clone())
                    .unwrap_or_default()
            };
            (p("UID"), p("DTSTART"), p("DTEND"))
        })
        .collect()
}

fn basic(rfc3339: &str) -> String {
    rfc3339.replace(['-', ':'], "")
}

async fn feeds_match_the_shifts_api(b: Backend) {
    let app = TestApp::spawn(b).await;
    let alice = app.token("responder", &[], Some("alice")).await;
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/feeds",
            Some(&alice),
            Some(json!({ "person": "alice" })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let url = v["url"].as_str().expect("url").to_string();
    assert!(url.starts_with(&format!("{}/ics/vf_", app.base)), "{url}");
    let (s, h, body) = fetch(&app, &url, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["content-type"], "text/calendar; charset=utf-8");
    assert!(h.contains_key("last-modified"));
    assert!(body.contains("TRANSP:TRANSPARENT"));
    assert!(!body.contains("TRANSP:OPAQUE"));
    // Asked for, the same feed shows on-call time as busy.
    let (s2, _, busy) = fetch(&app, &format!("{url}?busy=1"), None).await;
    assert_eq!(s2, StatusCode::OK);
    assert!(busy.contains("TRANSP:OPAQUE") && !busy.contains("TRANSP:TRANSPARENT"));
    // The feed spans 30 days back to a year ahead; compare with the API.
    let (_, api) = app
        .get("/api/v1/people/alice/shifts?from=2026-10-28T12:00:00Z&to=2027-11-28T12:00:00Z")
        .await;
    let want: Vec<(String, String)> = api["shifts"]
        .as_array()
        .expect("shifts")
        .iter()
        .map(|s| {
            (
                basic(s["start"].as_str().unwrap_or("")),
                basic(s["end"].as_str().unwrap_or("")),
            )
        })
        .collect();
    let got: Vec<(String, String)> = events(&body).into_iter().map(|(_, a, b)| (a, b)).collect();
    assert!(want.len() >= 20, "a year of alice's shifts");
    assert_eq!(got, want);

    // Nothing changed: 304, by ETag (compared weakly, or `*`) or by date.
    let tag = h["etag"].to_str().expect("etag").to_string();
    let (s, _, _) = fetch(&app, &url, Some(&tag)).await;
    assert_eq!(s, StatusCode::NOT_MODIFIED);
    for t in [
        format!("W/{tag}"),
        "*".to_string(),
        format!("\"nope\", {tag}"),
    ] {
        let (s, _, _) = fetch(&app, &url, Some(&t)).await;
        assert_eq!(s, StatusCode::NOT_MODIFIED, "If-None-Match: {t}");
    }
    let modified = h["last-modified"]
        .to_str()
        .expect("last-modified")
        .to_string();
    for (since, want) in [
        (modified.clone(), StatusCode::NOT_MODIFIED),
        (
            "Fri, 01 Jan 2100 00:00:00 GMT".to_string(),
            StatusCode::NOT_MODIFIED,
        ),
        ("Thu, 01 Jan 2015 00:00:00 GMT".to_string(), StatusCode::OK),
    ] {
        let r = app
            .http
            .get(&url)
            .header("if-modified-since", &since)
            .send()
            .await
            .expect("fetch");
        assert_eq!(r.status(), want, "If-Modified-Since: {since}");
    }
    // An edit shows up on the next fetch, and UIDs of untouched shifts stay.
    let lead = app.token("lead", &["payments"], Some("dana")).await;
    let o = json!({ "layer": "primary", "person": "alice", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T17:00:00Z" });
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/teams/payments/rotas/payments-weekly/overrides",
            Some(&lead),
            Some(o),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, _, body2) = fetch(&app, &url, Some(&tag)).await;
    assert_eq!(s, StatusCode::OK);
    let (before, after) = (events(&body), events(&body2));
    assert_eq!(after.len(), before.len() + 1);
    assert!(
        after
            .iter()
            .any(|(_, a, b)| a == "20261201T090000Z" && b == "20261201T170000Z")
    );
    let kept = before.iter().filter(|e| after.contains(e)).count();
    assert_eq!(kept, before.len(), "every earlier event keeps its UID");
    // A change that leaves alice's rotas as they were (another team's
    // lead) leaves the feed as it was; renaming her changes every event.
    let (_, h2, _) = fetch(&app, &url, None).await;
    let tag2 = h2["etag"].to_str().expect("etag").to_string();
    let (s, v) = app
        .call(
            Method::PUT,
            "/api/v1/teams/sre",
            Some(&app.admin),
            Some(json!({ "timezone": "America/New_York", "lead": "ivan" })),
        )
        .await;
    assert!(s.is_success(), "{v}");
    let (s, _, _) = fetch(&app, &url, Some(&tag2)).await;
    assert_eq!(s, StatusCode::NOT_MODIFIED, "another team's change");
    let (s, v) = app
        .call(
            Method::PUT,
            "/api/v1/people/alice",
            Some(&app.admin),
            Some(json!({ "name": "Alice Renamed" })),
        )
        .await;
    assert!(s.is_success(), "{v}");
    let (s, _, body3) = fetch(&app, &url, Some(&tag2)).await;
    assert_eq!(s, StatusCode::OK, "a rename shows");
    assert!(body3.contains("On call: Alice Renamed"), "{body3:.600}");
    assert!(!body3.contains("On call: Alice Adams"));
    app.stop().await;
}
both!(feeds_sqlite, feeds_postgres, feeds_match_the_shifts_api);

async fn feed_tokens_revoke_and_rotate(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin.clone();
    let body = json!({ "team": "sre", "rota": "sre-day-night", "layer": "on-call" });
    let (_, v) = app
        .call(Method::POST, "/api/v1/feeds", Some(&admin), Some(body))
        .await;
    let (id, url) = (
        v["id"].as_str().expect("id").to_string(),
        v["url"].as_str().expect("url").to_string(),
    );
    assert_eq!(fetch(&app, &url, None).await.0, StatusCode::OK);
    let (s, v): (StatusCode, Value) = app
        .call(
            Method::POST,
            &format!("/api/v1/feeds/{id}/rotate"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let new_url = v["url"].as_str().expect("url").to_string();
    assert_ne!(new_url, url);
    assert_eq!(
        fetch(&app, &url, None).await.0,
        StatusCode::NOT_FOUND,
        "old URL dies on rotation"
    );
    assert_eq!(fetch(&app, &new_url, None).await.0, StatusCode::OK);
    let new_id = v["id"].as_str().expect("id").to_string();
    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/feeds/{new_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(fetch(&app, &new_url, None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        fetch(&app, &format!("{}/ics/vf_guess", app.base), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    app.stop().await;
}
both!(
    feed_tokens_sqlite,
    feed_tokens_postgres,
    feed_tokens_revoke_and_rotate
);

/// A shift has one UID everywhere: in `vigil rota preview --format ics` of
/// the rota file and in the server's feed of the same rota, so importing
/// one and subscribing to the other does not duplicate events.
#[tokio::test]
async fn the_cli_preview_and_the_feed_share_uids() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/feeds",
            Some(&app.admin.clone()),
            Some(json!({ "team": "payments", "rota": "payments-weekly" })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, _, body) = fetch(&app, v["url"].as_str().expect("url"), None).await;
    let feed: std::collections::HashSet<String> =
        events(&body).into_iter().map(|(uid, _, _)| uid).collect();
    let file = format!(
        "{}/schedules/payments-weekly.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = crate::cli::vigil(&[
        "rota",
        "preview",
        &file,
        "--from",
        "2026-12-01",
        "--to",
        "2027-02-01",
        "--format",
        "ics",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let cli = events(&out.stdout);
    assert!(cli.len() >= 10, "{}", cli.len());
    for (uid, start, _) in &cli {
        assert!(
            feed.contains(uid),
            "the preview's event at {start} ({uid}) is not in the feed"
        );
    }
    app.stop().await;
}
