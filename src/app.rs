//! Composition root: `App::build` connects and migrates the database, makes
//! the first admin token, loads the example rotas into an empty database and
//! binds the listener; `run_until_stopped` serves until the shutdown future
//! resolves, letting in-flight requests finish.

use crate::api::{self, state::AppState};
use crate::clock::Clock;
use crate::config::Config;
use crate::dispatch::Dispatcher;
use crate::engine::{RotaCache, schedules};
use crate::notify::Registry;
use crate::store::Reads as _;
use crate::store::Store;
use std::future::Future;
use std::sync::Arc;

pub struct App {
    listener: tokio::net::TcpListener,
    state: AppState,
    dispatcher: Arc<Dispatcher>,
    dispatch_enabled: bool,
    http: crate::serve::Limits,
}

impl App {
    pub async fn build(cfg: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<App> {
        let store = Store::connect_with(&cfg.database_url, cfg.pool).await?;
        store.migrate().await?;
        let now = clock.now().timestamp();
        bootstrap_admin(&store, cfg, clock.now()).await?;
        if let Some(dir) = &cfg.schedules_dir
            && store.load_rotas(None).await?.is_empty()
        {
            let changes = schedules::apply(
                &store,
                dir,
                false,
                "vigil serve",
                now,
                cfg.notify.allow_private_webhooks,
            )
            .await
            .map_err(anyhow::Error::msg)?;
            tracing::info!(dir = %dir.display(), changes = changes.len(), "loaded rota files into the empty database");
        }
        let listener = tokio::net::TcpListener::bind(&cfg.listen).await?;
        // Listening on port 0 (tests) means "any port": put the real one in the URL.
        let public_url = match cfg.public_url.strip_suffix(":0") {
            Some(base) => format!("{base}:{}", listener.local_addr()?.port()),
            None => cfg.public_url.clone(),
        };
        let fresh = || crate::ids::new_secret("").0;
        let link_secret = store.secret("link", &fresh()).await?;
        let webhook_secret = store.secret("webhook", &fresh()).await?;
        // reqwest is built without a TLS provider of its own: use ring, as sqlx does.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(cfg.dispatch.send_timeout)
            .build()?;
        let cache = Arc::new(RotaCache::default());
        let mut dispatch_cfg = cfg.dispatch.clone();
        if dispatch_cfg.instance.is_empty() {
            dispatch_cfg.instance = format!("vigil@{}", listener.local_addr()?);
        }
        let registry =
            Registry::from_config(&cfg.notify, http, webhook_secret, cfg.dispatch.send_timeout);
        let console = Arc::new(crate::console::ConsoleState::new(
            registry.clone(),
            &public_url,
        ));
        console.start_poller(store.clone());
        let metrics: Arc<crate::metrics::Metrics> = Default::default();
        let mut dispatcher = Dispatcher::new(
            store.clone(),
            cache.clone(),
            clock.clone(),
            registry,
            dispatch_cfg,
            public_url.clone(),
            link_secret.clone(),
        );
        dispatcher.metrics = metrics.clone();
        let dispatcher = Arc::new(dispatcher);
        let dedup = crate::engine::dedup::Deduper::start(store.clone());
        let opener = crate::engine::opener::Opener::start(store.clone(), cache.clone());
        let state = AppState {
            store,
            cache,
            clock,
            public_url,
            tokens: Default::default(),
            feeds: Default::default(),
            dispatch: dispatcher.handle(),
            notify: cfg.notify.clone(),
            link_secret,
            dedup,
            opener,
            intake_timeout: cfg.intake_timeout,
            metrics,
            console,
        };
        Ok(App {
            listener,
            state,
            dispatcher,
            dispatch_enabled: cfg.dispatch.enabled,
            http: cfg.http,
        })
    }

    /// Wakes the dispatcher and waits until it is idle (for tests).
    pub fn dispatch(&self) -> crate::dispatch::DispatchHandle {
        self.state.dispatch.clone()
    }

    /// Where people reach this server (the port filled in).
    pub fn public_url(&self) -> &str {
        &self.state.public_url
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let store = self.state.store.clone();
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let worker = self
            .dispatch_enabled
            .then(|| tokio::spawn(self.dispatcher.clone().run(stop_rx.clone())));
        let mut http_stop = stop_rx;
        let signal = tokio::spawn(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        let router = api::router(self.state).layer(
            tower_http::timeout::RequestBodyTimeoutLayer::new(self.http.body_timeout),
        );
        crate::serve::serve(self.listener, router, self.http, async move {
            let _ = http_stop.wait_for(|v| *v).await;
        })
        .await;
        // The dispatcher finishes the sends in flight and records them.
        if let Some(w) = worker {
            let _ = w.await;
        }
        signal.abort();
        store.close().await;
        Ok(())
    }
}

/// On the very first start (no tokens at all), makes an admin token and
/// writes it to a file only its owner can read, instead of logging it.
async fn bootstrap_admin(
    store: &Store,
    cfg: &Config,
    now: crate::rota::Instant,
) -> anyhow::Result<()> {
    if crate::engine::directory::has_tokens(store).await? {
        return Ok(());
    }
    let (_, secret) = crate::engine::directory::issue_token(
        store,
        "admin",
        Vec::new(),
        None,
        "vigil serve (first start)",
        now,
    )
    .await?;
    write_private(&cfg.admin_token_file, &format!("{secret}\n"))?;
    tracing::warn!(file = %cfg.admin_token_file.display(), "first start: an admin token was written to this file (readable only by its owner); use it as `Authorization: Bearer …` and keep it safe");
    Ok(())
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)?.write_all(text.as_bytes())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing in-flight requests");
}
