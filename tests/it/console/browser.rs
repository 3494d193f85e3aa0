//! The console in a real browser: headless Chromium driven over WebDriver
//! (Debian's `chromium` and `chromium-driver`; `.ci/run` installs them)
//! against the real server with the fake providers. Skipped, with the
//! reason printed, where no browser is installed. Each check saves a
//! screenshot of its page under `target/screenshots/`.

use super::*;
use crate::paging::{TWILIO_TOKEN, advance, alert, code_in, on_call, phone, twilio_post};
use fantoccini::{Client, ClientBuilder, Locator};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub(super) struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find_binary(names: &[&str]) -> Option<String> {
    let path = std::env::var("PATH").unwrap_or_default();
    let dirs = path.split(':').chain(["/usr/bin", "/usr/lib/chromium"]);
    for d in dirs {
        for n in names {
            let p = std::path::Path::new(d).join(n);
            if p.is_file() {
                return Some(p.display().to_string());
            }
        }
    }
    None
}

/// chromedriver on a free port, or None (and why) when there is no browser.
pub(super) async fn driver() -> Option<Driver> {
    let (Some(driver), Some(_)) = (
        find_binary(&["chromedriver"]),
        find_binary(&["chromium", "chromium-browser", "google-chrome"]),
    ) else {
        eprintln!(
            "skipping the browser test: chromium and chromedriver are not installed (apt-get install chromium chromium-driver; .ci/run does)"
        );
        return None;
    };
    let port = crate::helpers::unused_port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let d = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Some(d);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not listen");
}

pub(super) async fn browser(d: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    let mut args = vec![
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=390,844",
    ];
    if let Some(bin) = find_binary(&["chromium", "chromium-browser", "google-chrome"]) {
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "args": args.clone(), "binary": bin }),
        );
    } else {
        args.clear();
    }
    let conn = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(conn)
        .capabilities(caps)
        .connect(&d.url)
        .await
        .expect("a browser session")
}

fn screenshot_dir() -> std::path::PathBuf {
    let d = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&d).expect("screenshot dir");
    d
}

/// Signs the browser in with an API token (the sign-in page's token form)
/// on a desktop-sized window, and waits for the Now page.
pub(super) async fn sign_in(c: &Client, base: &str, token: &str) {
    c.set_window_size(1280, 1000).await.expect("size");
    c.goto(&format!("{base}/login")).await.expect("open");
    css(c, "details.card summary")
        .await
        .click()
        .await
        .expect("open the token form");
    css(c, "#token").await.send_keys(token).await.expect("type");
    css(c, "#token-sign-in")
        .await
        .click()
        .await
        .expect("sign in");
    until_text(c, "h1", "On call now", Duration::from_secs(5)).await;
}

pub(super) async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).expect("saved");
}

/// The page at a phone's width (390 px) after running `scroll` (a script
/// that brings the part to check into view): saved as `name`, and nothing
/// on it may be wider than the screen.
pub(super) async fn phone_shot(c: &Client, scroll: &str, name: &str) {
    c.set_window_size(390, 844).await.expect("phone");
    c.execute(scroll, vec![]).await.expect("scroll");
    shot(c, name).await;
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
            vec![],
        )
        .await
        .expect("width");
    assert_eq!(
        overflow,
        serde_json::json!(0),
        "nothing wider than a phone's screen ({name})"
    );
}

async fn css(c: &Client, sel: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(5))
        .for_element(Locator::Css(sel))
        .await
        .unwrap_or_else(|e| panic!("no {sel} on the page: {e}"))
}

/// Waits (without reloading) until `sel`'s text contains `want`.
pub(super) async fn until_text(c: &Client, sel: &str, want: &str, within: Duration) {
    let start = std::time::Instant::now();
    loop {
        if let Ok(el) = c.find(Locator::Css(sel)).await
            && el.text().await.unwrap_or_default().contains(want)
        {
            return;
        }
        if start.elapsed() > within {
            shot(c, "failed").await;
            let html = c.source().await.unwrap_or_default();
            panic!(
                "{sel} did not show \"{want}\" within {within:?}; the page (target/screenshots/failed.png):\n{html}"
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_responder_works_an_alert_in_the_browser() {
    let Some(d) = driver().await else { return };
    let (app, fake, key) = console_app(Backend::Sqlite).await;
    let me = on_call(&app, "primary").await;
    let c = browser(&d).await;

    // Sign in by link: ask for one, open the SMS, press the button.
    c.goto(&format!("{}/alerts", app.base)).await.expect("open");
    css(&c, "#who").await.send_keys(&me).await.expect("type");
    css(&c, "#send-link").await.click().await.expect("click");
    until_text(
        &c,
        "#notice",
        "sign-in link is on its way",
        Duration::from_secs(5),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    c.goto(&link_in_sms(&fake, &phone(&me)))
        .await
        .expect("open the link");
    css(&c, "#confirm-sign-in")
        .await
        .click()
        .await
        .expect("sign in");
    until_text(&c, "h1", "On call now", Duration::from_secs(5)).await;
    assert!(c.source().await.expect("html").contains(&me));
    shot(&c, "now").await;

    // A responder sees no admin controls.
    assert!(
        c.find(Locator::Css("#nav-admin")).await.is_err(),
        "no admin link for a responder"
    );
    c.goto(&format!("{}/admin", app.base)).await.expect("open");
    until_text(&c, "main", "You may not see", Duration::from_secs(5)).await;

    // A new alert appears on the Alerts page without a reload.
    c.goto(&format!("{}/alerts", app.base)).await.expect("open");
    css(&c, "#rows").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let id = raise(&app, &key, "Disk full on db-1").await;
    let row = format!("#alert-{id}");
    let start = std::time::Instant::now();
    until_text(&c, &row, "Disk full on db-1", Duration::from_secs(5)).await;
    eprintln!("new alert shown after {:?}", start.elapsed());

    // Acknowledge with the button; the fake stops receiving pages.
    // The live list may swap the row between finding the button and
    // clicking it: find it again then.
    let mut clicked = false;
    for _ in 0..5 {
        if css(&c, &format!("{row} button.ack"))
            .await
            .click()
            .await
            .is_ok()
        {
            clicked = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(clicked, "the acknowledge button");
    until_text(
        &c,
        &format!("{row} .status"),
        "acknowledged",
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(alert(&app, &id).await["status"], "acknowledged");
    let sent = fake.count();
    advance(&app, 3600).await;
    assert_eq!(fake.count(), sent, "no page after the acknowledgement");

    // An acknowledgement by SMS reply elsewhere shows live.
    let id2 = raise(&app, &key, "Checkout errors").await;
    let row2 = format!("#alert-{id2}");
    until_text(&c, &row2, "Checkout errors", Duration::from_secs(5)).await;
    let sms = fake.to("sms", &phone(&me));
    let code = code_in(&sms.last().expect("a page").text);
    let (s, _) = twilio_post(
        &app,
        "/api/v1/callbacks/twilio/sms",
        &[("From", &phone(&me)), ("Body", &format!("ack {code}"))],
        TWILIO_TOKEN,
    )
    .await;
    assert!(s.is_success());
    until_text(
        &c,
        &format!("{row2} .status"),
        "acknowledged",
        Duration::from_secs(2),
    )
    .await;
    shot(&c, "alerts").await;

    // Add a note on the alert's page; it shows on the timeline.
    c.goto(&format!("{}/alerts/{id2}", app.base))
        .await
        .expect("open");
    css(&c, "#note")
        .await
        .send_keys("Rolled back release 4.2")
        .await
        .expect("type");
    css(&c, "#add-note").await.click().await.expect("note");
    until_text(
        &c,
        "#timeline",
        "Rolled back release 4.2",
        Duration::from_secs(5),
    )
    .await;
    shot(&c, "alert").await;

    // The CSRF token is required: the same request without it is refused.
    let status = c
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             fetch(arguments[0], { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' })\
               .then(r => done(r.status));",
            vec![json!(format!("/alerts/{id2}/resolve"))],
        )
        .await
        .expect("fetch");
    assert_eq!(status, json!(403));
    assert_eq!(alert(&app, &id2).await["status"], "acknowledged");

    // Add a contact method and verify it with the code sent to it.
    c.goto(&format!("{}/me", app.base)).await.expect("open");
    css(&c, "#address")
        .await
        .send_keys("+15550107777")
        .await
        .expect("type");
    css(&c, "#send-code").await.click().await.expect("send");
    until_text(&c, "#flash", "code is on its way", Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let code = code_in_sms(&fake, "+15550107777");
    css(&c, "#code-sms")
        .await
        .send_keys(&code)
        .await
        .expect("type");
    css(&c, "#verify-sms").await.click().await.expect("verify");
    until_text(&c, "#flash", "Verified", Duration::from_secs(5)).await;
    until_text(&c, "#contact-sms", "+15550107777", Duration::from_secs(1)).await;
    shot(&c, "me").await;

    c.close().await.expect("close");
    app.stop().await;
}
