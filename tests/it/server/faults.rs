//! The HTTP server and the database under faults: slow and idle clients are
//! cut off, shutdown has a deadline, every error keeps the JSON shape, and
//! a database that was read-only is used again by itself once writable.

use super::{Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn quick(c: &mut vigil::config::Config) {
    c.http.header_timeout = Duration::from_millis(500);
    c.http.body_timeout = Duration::from_millis(500);
    c.http.shutdown_timeout = Duration::from_millis(500);
}

/// Reads until the server closes the connection; returns what it sent and
/// how long that took.
async fn until_closed(s: &mut TcpStream) -> (String, Duration) {
    let start = Instant::now();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
    (String::from_utf8_lossy(&out).into_owned(), start.elapsed())
}

#[tokio::test]
async fn slow_and_idle_clients_are_cut_off_and_shutdown_has_a_deadline() {
    let app = TestApp::spawn_with(Backend::Sqlite, quick).await;
    let addr = app.base.trim_start_matches("http://").to_string();

    // Headers that never finish.
    let mut s = TcpStream::connect(&addr).await.expect("connect");
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let (_, took) = until_closed(&mut s).await;
    assert!(
        took < Duration::from_secs(3),
        "unfinished headers held for {took:?}"
    );

    // A keep-alive connection left idle after one request.
    let mut s = TcpStream::connect(&addr).await.expect("connect");
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let (text, took) = until_closed(&mut s).await;
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(
        took < Duration::from_secs(3),
        "idle connection held for {took:?}"
    );

    // A body that never finishes: the JSON error, then the connection ends.
    let mut s = TcpStream::connect(&addr).await.expect("connect");
    s.write_all(b"POST /v2/enqueue HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"routing_key\":")
        .await
        .expect("write");
    let (text, took) = until_closed(&mut s).await;
    assert!(
        took < Duration::from_secs(3),
        "unfinished body held for {took:?}"
    );
    assert!(text.contains("HTTP/1.1 4") || text.is_empty(), "{text}");

    // Shutdown while a client holds a request open: done by the deadline.
    let mut s = TcpStream::connect(&addr).await.expect("connect");
    s.write_all(b"POST /v2/enqueue HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
        .await
        .expect("write");
    let start = Instant::now();
    app.stop().await;
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "shutdown took {:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn at_most_max_connections_are_served_at_once() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.http.max_connections = 2;
        c.http.header_timeout = Duration::from_secs(2);
    })
    .await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(&addr).await.expect("connect");
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .await
            .expect("write");
        held.push(s);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // A third waits in the backlog until a slot frees (the header timeout
    // closes the two half-open ones after 2 s).
    let start = Instant::now();
    let r = app
        .http
        .get(format!("{}/healthz", app.base))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("served in the end");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        start.elapsed() >= Duration::from_millis(1500),
        "served at once: {:?}",
        start.elapsed()
    );
    drop(held);
    app.stop().await;
}

#[tokio::test]
async fn every_error_keeps_the_json_shape() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let check = |s: StatusCode, v: &Value, want: StatusCode| {
        assert_eq!(s, want, "{v}");
        assert!(v["error"]["code"].is_string(), "not the JSON shape: {v}");
        assert!(v["error"]["message"].is_string(), "{v}");
    };
    // A query string the handler cannot read.
    let (s, v) = app.get("/api/v1/alerts?limit=many").await;
    check(s, &v, StatusCode::BAD_REQUEST);
    // 405 keeps its Allow header.
    let (s, h, v) = app
        .call_full(
            Method::PATCH,
            "/api/v1/teams",
            Some(&app.admin.clone()),
            None,
            &[],
        )
        .await;
    check(s, &v, StatusCode::METHOD_NOT_ALLOWED);
    assert!(h.get("allow").is_some());
    // 413 on the intake and on a callback.
    let big = "x".repeat(2 * 1024 * 1024);
    for path in ["/v2/enqueue", "/api/v1/callbacks/slack"] {
        let r = app
            .http
            .post(format!("{}{path}", app.base))
            .header("content-type", "application/json")
            .body(big.clone())
            .send()
            .await
            .expect("sent");
        let s = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        check(s, &v, StatusCode::PAYLOAD_TOO_LARGE);
    }
    app.stop().await;
}

/// PostgreSQL made read-only (`default_transaction_read_only`) and then
/// writable again: while read-only, writes answer 503 and /readyz is 503;
/// afterwards Vigil replaces the connections opened in between by itself.
#[tokio::test]
async fn a_database_that_was_read_only_is_written_again() {
    let Some(Backend::Postgres(admin)) = Backend::postgres() else {
        return;
    };
    let app = TestApp::spawn(Backend::Postgres(admin.clone())).await;
    let db = app.db_url.rsplit('/').next().expect("db name").to_string();
    let sql = |q: String| {
        let admin = admin.clone();
        async move {
            let c = sea_orm::Database::connect(&admin)
                .await
                .expect("admin connection");
            use sea_orm::ConnectionTrait;
            c.execute_unprepared(&q).await.expect("admin sql");
            c.close().await.ok();
        }
    };
    let write = || {
        app.call(
            Method::PUT,
            "/api/v1/people/zoe",
            Some(&app.admin),
            Some(json!({ "name": "Zoe" })),
        )
    };
    let ready = || async {
        let r = app
            .http
            .get(format!("{}/readyz", app.base))
            .send()
            .await
            .ok()?;
        let s = r.status();
        if s != StatusCode::OK {
            eprintln!("readyz: {s} {}", r.text().await.unwrap_or_default());
        }
        Some(s)
    };
    assert_eq!(ready().await, Some(StatusCode::OK));
    sql(format!(
        "ALTER DATABASE {db} SET default_transaction_read_only = on"
    ))
    .await;
    // Vigil's sessions reconnect and pick the setting up.
    sql(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}'"
    ))
    .await;
    let mut refused = false;
    for _ in 0..50 {
        let (s, v) = write().await;
        if s == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(v["error"]["code"], "unavailable", "{v}");
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(refused, "writes are refused with 503 while read-only");
    assert_eq!(ready().await, Some(StatusCode::SERVICE_UNAVAILABLE));
    sql(format!(
        "ALTER DATABASE {db} SET default_transaction_read_only = off"
    ))
    .await;
    // Within seconds, by itself: the read-only connections are replaced.
    let start = Instant::now();
    let mut ok = false;
    while start.elapsed() < Duration::from_secs(15) {
        let (s, _) = write().await;
        if s.is_success() {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(ok, "writes work again within 15 s");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    let mut readiness = None;
    for _ in 0..25 {
        readiness = ready().await;
        if readiness == Some(StatusCode::OK) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(readiness, Some(StatusCode::OK));
    app.stop().await;
}
