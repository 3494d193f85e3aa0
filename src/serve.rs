//! The HTTP listener (IO): accepts connections and serves the router on
//! each, with the limits a server facing the internet needs and
//! `axum::serve` does not set:
//! - a header-read timeout, which also closes idle keep-alive connections
//!   (hyper starts it whenever it waits for the next request's head);
//! - at most `max_connections` at once (more wait in the listen backlog);
//! - HTTP/1.1 only (what calendars, monitoring tools and browsers send to a
//!   plain-HTTP server behind a proxy);
//! - on shutdown: stop accepting, let requests in flight finish, and close
//!   whatever is still open at the deadline.
//!
//! Body-read timeouts are a router layer (`tower_http`), so a slow body
//! gets the API's JSON error.

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// A request's head must arrive within this (VIGIL_HTTP_HEADER_TIMEOUT);
    /// also how long an idle keep-alive connection stays open.
    pub header_timeout: Duration,
    /// A request's body must arrive within this (VIGIL_HTTP_BODY_TIMEOUT).
    pub body_timeout: Duration,
    /// Connections served at once (VIGIL_HTTP_MAX_CONNECTIONS).
    pub max_connections: usize,
    /// How long shutdown waits for requests in flight (VIGIL_SHUTDOWN_TIMEOUT).
    pub shutdown_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: 1024,
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let mut conns = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        while conns.try_join_next().is_some() {}
        let slot = tokio::select! {
            s = slots.clone().acquire_owned() => s,
            () = &mut shutdown => break,
        };
        let Ok(slot) = slot else { break };
        let stream = tokio::select! {
            r = listener.accept() => r,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match stream {
            Ok(s) => s,
            Err(e) => {
                // Out of file descriptors and the like: back off, do not spin.
                tracing::warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        // Each request carries the client's address (sign-in limits use it).
        let svc = tower::util::MapRequest::new(
            app.clone(),
            move |mut req: axum::http::Request<hyper::body::Incoming>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                req
            },
        );
        let conn = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(svc));
        let conn = graceful.watch(conn);
        conns.spawn(async move {
            let _ = conn.await;
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.shutdown_timeout) => {
            tracing::warn!(
                open = conns.len(),
                timeout_ms = limits.shutdown_timeout.as_millis() as u64,
                "shutdown deadline: closing the connections still open"
            );
        }
    }
    conns.abort_all();
    while conns.join_next().await.is_some() {}
}
