//! The web console over plain HTTP: sign-in by link and by token, sessions,
//! CSRF, roles, contact verification, live updates and the security
//! headers. The browser tests (`browser`) drive the same pages in Chromium.

mod audit;
mod browser;
mod calendar;
mod edits;
mod handoffs;
mod http;
mod layers;
mod reports;
mod services;
mod swaps;

use crate::paging::{Fake, ladder, paging_app, service};
use crate::server::{Backend, TestApp};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// A browser's session, kept by hand: the cookie and the page's CSRF token.
#[derive(Clone, Debug)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

/// A client that does not follow redirects (the tests look at them).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

pub async fn get(app: &TestApp, s: Option<&Session>, path: &str) -> Page {
    let mut req = client().get(format!("{}{path}", app.base));
    if let Some(s) = s {
        req = req.header("cookie", &s.cookie);
    }
    let r = req.send().await.expect("sent");
    Page {
        status: r.status(),
        headers: r.headers().clone(),
        body: r.text().await.unwrap_or_default(),
    }
}

pub async fn post(
    app: &TestApp,
    s: Option<&Session>,
    path: &str,
    form: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> Page {
    let mut req = client()
        .post(format!("{}{path}", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).expect("form"));
    if let Some(s) = s {
        req = req.header("cookie", &s.cookie);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.expect("sent");
    let p = Page {
        status: r.status(),
        headers: r.headers().clone(),
        body: r.text().await.unwrap_or_default(),
    };
    app.dispatch.settle().await;
    p
}

/// The session cookie a sign-in answer sets.
pub fn cookie_of(p: &Page) -> String {
    let set = p
        .headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("a session cookie");
    set.split(';').next().expect("name=value").to_string()
}

/// The CSRF token a console page carries.
pub fn csrf_of(html: &str) -> String {
    let i = html.find("data-csrf=\"").expect("a page with a CSRF token") + 11;
    html[i..].split('"').next().unwrap_or("").to_string()
}

/// Signs in by exchanging an API token.
pub async fn with_token(app: &TestApp, token: &str) -> Session {
    let p = post(
        app,
        None,
        "/login/token",
        &[("token", token), ("next", "/")],
        &[],
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let cookie = cookie_of(&p);
    let home = get(
        app,
        Some(&Session {
            cookie: cookie.clone(),
            csrf: String::new(),
        }),
        "/",
    )
    .await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    Session {
        cookie,
        csrf: csrf_of(&home.body),
    }
}

/// The sign-in link in the SMS the fake received last for `phone`.
pub fn link_in_sms(fake: &Fake, phone: &str) -> String {
    let sms = fake.to("sms", phone);
    let text = &sms.last().expect("an SMS with a sign-in link").text;
    let i = text.find("http").expect("a link");
    text[i..]
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_string()
}

/// The six-digit code in the last SMS to `phone`.
pub fn code_in_sms(fake: &Fake, phone: &str) -> String {
    let sms = fake.to("sms", phone);
    let text = &sms.last().expect("an SMS with a code").text;
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .expect("a six-digit code")
        .to_string()
}

/// A paging server with a service `web` on the two-stage ladder and its key.
pub async fn console_app(backend: Backend) -> (TestApp, Fake, String) {
    let (app, fake) = paging_app(backend).await;
    let key = service(&app, "web", ladder()).await;
    (app, fake, key)
}

/// Raises a P1 on `web` through the PagerDuty Events API; returns its id.
pub async fn raise(app: &TestApp, key: &str, summary: &str) -> String {
    let (s, v) = app
        .call(
            Method::POST,
            "/v2/enqueue",
            None,
            Some(json!({
                "routing_key": key,
                "event_action": "trigger",
                "dedup_key": summary,
                "payload": { "summary": summary, "source": "db-1", "severity": "critical",
                             "custom_details": { "disk": "97%" } },
                "links": [{ "href": "https://runbooks.example/disk", "text": "Runbook" }],
            })),
        )
        .await;
    assert!(s.is_success(), "{v}");
    app.dispatch.settle().await;
    let (_, list) = app.get("/api/v1/alerts?status=triggered").await;
    list["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .find(|a| a["summary"] == summary)
        .and_then(|a| a["id"].as_str())
        .expect("the alert")
        .to_string()
}

/// Who holds layer `layer` (0 = primary) of payments-weekly at `at`.
pub async fn holder(app: &TestApp, layer: usize, at: &str) -> String {
    let (_, v) = app
        .get(&format!(
            "/api/v1/teams/payments/rotas/payments-weekly/oncall?at={at}"
        ))
        .await;
    v["layers"][layer]["on_call"][0]["person"]
        .as_str()
        .expect("someone")
        .to_string()
}
