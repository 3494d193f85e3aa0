//! Server tests: the real server on a random port, a fresh database per test
//! (SQLite always; PostgreSQL when VIGIL_TEST_POSTGRES_URL is set, each test
//! in a database of its own), a manual clock, and plain HTTP.

mod access;
mod faults;
mod feeds;
mod input;
mod instances;
mod openapi;
mod process;
mod rotas;
mod swaps;
mod targets;
mod who;

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use vigil::app::App;
use vigil::clock::ManualClock;
use vigil::config::Config;

pub const PG_VAR: &str = "VIGIL_TEST_POSTGRES_URL";

#[derive(Clone, Debug)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

impl Backend {
    /// PostgreSQL when its variable is set; None (with the reason printed) if not.
    pub fn postgres() -> Option<Backend> {
        match std::env::var(PG_VAR) {
            Ok(url) if !url.is_empty() => Some(Backend::Postgres(url)),
            _ => {
                eprintln!("skipping the PostgreSQL run: {PG_VAR} is not set (.ci/run sets it)");
                None
            }
        }
    }
}

/// Runs a storage story on SQLite and, when available, on PostgreSQL.
#[macro_export]
macro_rules! both {
    ($sqlite:ident, $postgres:ident, $story:path) => {
        #[tokio::test]
        async fn $sqlite() {
            $story($crate::server::Backend::Sqlite).await;
        }
        #[tokio::test]
        async fn $postgres() {
            if let Some(b) = $crate::server::Backend::postgres() {
                $story(b).await;
            }
        }
    };
}

pub struct TestApp {
    pub base: String,
    pub admin: String,
    /// The server's clock, for tests that move time.
    #[allow(dead_code)]
    pub clock: Arc<ManualClock>,
    /// Wakes the dispatcher and waits until it has nothing left to do.
    #[allow(dead_code)]
    pub dispatch: vigil::dispatch::DispatchHandle,
    pub http: reqwest::Client,
    pub db_url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    dir: PathBuf,
    pg: Option<(String, String)>,
}

pub fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("literal")
        .with_timezone(&Utc)
}

fn unique(prefix: &str) -> String {
    let n: u64 = rand::random();
    format!("{prefix}_{}_{n:x}", std::process::id())
}

/// A fresh database URL for `backend` (creating the PostgreSQL database).
pub async fn fresh_database(
    backend: &Backend,
    dir: &std::path::Path,
) -> (String, Option<(String, String)>) {
    match backend {
        Backend::Sqlite => (format!("sqlite://{}/vigil.db", dir.display()), None),
        Backend::Postgres(admin) => {
            let name = unique("vigil_test");
            vigil::store::postgres_database(admin, &name, true)
                .await
                .expect("create test database");
            let (base, _) = admin
                .rsplit_once('/')
                .expect("a postgres URL with a database");
            (format!("{base}/{name}"), Some((admin.clone(), name)))
        }
    }
}

impl TestApp {
    /// A server with the example rotas loaded, the clock at 2026-11-27 12:00Z.
    pub async fn spawn(backend: Backend) -> TestApp {
        let dir = std::env::temp_dir().join(unique("vigil-it"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let (db_url, pg) = fresh_database(&backend, &dir).await;
        Self::spawn_on(&db_url, dir, pg).await
    }

    /// A server with its config adjusted by `tweak` (providers, timings).
    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let dir = std::env::temp_dir().join(unique("vigil-it"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let (db_url, pg) = fresh_database(&backend, &dir).await;
        Self::spawn_inner(&db_url, dir, pg, tweak).await
    }

    /// A server on an existing database (a second instance).
    pub async fn spawn_on(db_url: &str, dir: PathBuf, pg: Option<(String, String)>) -> TestApp {
        Self::spawn_inner(db_url, dir, pg, |_| {}).await
    }

    /// A second instance on an existing database, its config adjusted.
    #[allow(dead_code)]
    pub async fn spawn_on_with(
        db_url: &str,
        dir: PathBuf,
        tweak: impl FnOnce(&mut Config),
    ) -> TestApp {
        Self::spawn_inner(db_url, dir, None, tweak).await
    }

    async fn spawn_inner(
        db_url: &str,
        dir: PathBuf,
        pg: Option<(String, String)>,
        tweak: impl FnOnce(&mut Config),
    ) -> TestApp {
        // Server errors (500s log their cause) show in the failing test's output.
        let _ = tracing_subscriber::fmt()
            .with_env_filter("warn,vigil=warn")
            .with_test_writer()
            .try_init();
        let mut cfg = Config {
            listen: "127.0.0.1:0".into(),
            database_url: db_url.to_string(),
            public_url: "http://127.0.0.1:0".into(),
            schedules_dir: Some(PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/schedules"
            ))),
            admin_token_file: dir.join("admin-token"),
            ..Config::default()
        };
        // The fake providers listen on loopback.
        cfg.notify.allow_private_webhooks = true;
        tweak(&mut cfg);
        let clock = Arc::new(ManualClock::new(utc("2026-11-27T12:00:00Z")));
        let app = App::build(&cfg, clock.clone()).await.expect("app builds");
        let port = app.port();
        let dispatch = app.dispatch();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            app.run_until_stopped(async {
                let _ = rx.await;
            })
            .await
            .expect("server runs");
        });
        let admin = std::fs::read_to_string(cfg.admin_token_file)
            .unwrap_or_default()
            .trim()
            .to_string();
        TestApp {
            base: format!("http://127.0.0.1:{port}"),
            admin,
            clock,
            dispatch,
            http: reqwest::Client::new(),
            db_url: db_url.to_string(),
            shutdown: Some(tx),
            server: Some(server),
            dir,
            pg,
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let (s, _, v) = self.call_full(method, path, token, body, &[]).await;
        (s, v)
    }

    pub async fn call_full(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, headers, v)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(&self.admin.clone()), None)
            .await
    }

    /// A new API token (made by the admin).
    pub async fn token(&self, role: &str, teams: &[&str], person: Option<&str>) -> String {
        let body = serde_json::json!({ "role": role, "teams": teams, "person": person });
        let (s, v) = self
            .call(
                Method::POST,
                "/api/v1/tokens",
                Some(&self.admin.clone()),
                Some(body),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v["token"].as_str().expect("token").to_string()
    }

    pub async fn stop(mut self) {
        self.halt().await;
    }

    /// Stops the server and keeps its database (a restart follows); returns
    /// the folder it used, which the caller then owns.
    #[allow(dead_code)]
    pub async fn stop_keeping_data(mut self) -> PathBuf {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.server.take() {
            let _ = h.await;
        }
        self.pg = None;
        std::mem::take(&mut self.dir)
    }

    async fn halt(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.server.take() {
            let _ = h.await;
        }
        if let Some((admin, name)) = self.pg.take() {
            let _ = vigil::store::postgres_database(&admin, &name, false).await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
