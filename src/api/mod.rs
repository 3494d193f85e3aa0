//! The HTTP API (IO): extract → call → map, no business logic. Versioned
//! under /api/v1; calendar feeds under /ics; /healthz and /readyz for
//! operators. Every error is `{"error":{"code","message","field"}}`.

pub mod alerts;
pub mod auth;
mod calendar;
mod callbacks;
pub mod error;
mod feeds;
mod intake;
mod layers;
pub mod openapi;
mod overrides;
pub mod removal;
mod reports;
mod rotas;
mod services;
mod slack_events;
pub mod state;
mod swaps;
mod teams;
mod time;
pub mod tokens;
pub mod wire;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use error::ApiError;
pub use openapi::{ApiDoc, ErrorBody};
use state::AppState;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

/// Bodies larger than this are refused with 413.
pub const MAX_BODY: usize = 1024 * 1024;

/// The routes, each registered once through `Routes`, which records its
/// method and path: `route_table` lists them, and a test holds the OpenAPI
/// document to the same list.
fn routes() -> Routes {
    let r = Routes::default();
    let rota = "/api/v1/teams/{team}/rotas/{rota}";
    let rota = |tail: &str| format!("{rota}{tail}");
    r.get("/healthz", healthz)
        .get("/readyz", readyz)
        .get("/metrics", reports::metrics)
        .get("/api/v1/teams", teams::list_teams)
        .get("/api/v1/teams/{team}", teams::get_team)
        .put("/api/v1/teams/{team}", teams::put_team)
        .delete("/api/v1/teams/{team}", teams::delete_team)
        .get("/api/v1/people", teams::list_people)
        .get("/api/v1/people/{handle}", teams::get_person)
        .put("/api/v1/people/{handle}", teams::put_person)
        .delete("/api/v1/people/{handle}", teams::delete_person)
        .get("/api/v1/people/{handle}/shifts", calendar::person_shifts)
        .get("/api/v1/people/{handle}/oncall", calendar::person_oncall)
        .get("/api/v1/teams/{team}/rotas", rotas::list)
        .get(&rota(""), rotas::get)
        .put(&rota(""), rotas::put)
        .delete(&rota(""), rotas::delete)
        .get(&rota("/oncall"), calendar::oncall)
        .get(&rota("/shifts"), calendar::shifts)
        .get(&rota("/overrides"), overrides::list)
        .post(&rota("/overrides"), overrides::create)
        .delete(&rota("/overrides/{id}"), overrides::delete)
        .get(&rota("/swaps"), swaps::list)
        .post(&rota("/swaps"), swaps::offer)
        .post(&rota("/swaps/{id}/accept"), swaps::accept)
        .post(&rota("/swaps/{id}/approve"), swaps::approve)
        .post(&rota("/swaps/{id}/decline"), swaps::decline)
        .post(&rota("/swaps/{id}/cancel"), swaps::cancel)
        .get(&rota("/layers/{layer}"), layers::get)
        .put(&rota("/layers/{layer}"), layers::put)
        .delete(&rota("/layers/{layer}"), layers::delete)
        .post(&rota("/layers/{layer}/handoff-notes"), layers::handoff_note)
        .post(&rota("/layers/{layer}/handoff-ack"), layers::handoff_ack)
        .get(&rota("/handoffs"), layers::handoff_log)
        .post("/api/v1/tokens", tokens::create)
        .delete("/api/v1/tokens/{id}", tokens::revoke)
        .get("/api/v1/audit", tokens::audit)
        .post("/api/v1/feeds", feeds::create)
        .delete("/api/v1/feeds/{id}", feeds::revoke)
        .post("/api/v1/feeds/{id}/rotate", feeds::rotate)
        .get("/ics/{token}", feeds::ics)
        .get("/api/v1/services", services::list)
        .get("/api/v1/services/{id}", services::get)
        .put("/api/v1/services/{id}", services::put)
        .delete("/api/v1/services/{id}", services::delete)
        .post("/api/v1/services/{id}/keys", services::create_key)
        .delete("/api/v1/services/{id}/keys/{key}", services::revoke_key)
        .post("/api/v1/services/{id}/heartbeat", services::heartbeat)
        .get("/api/v1/alerts", alerts::list)
        .post("/api/v1/alerts", alerts::create)
        .get("/api/v1/alerts/{id}", alerts::get)
        .post("/api/v1/alerts/{id}/{action}", alerts::action)
        .get("/api/v1/reports", reports::report)
        .get("/api/v1/coverage", reports::coverage)
        .post("/v2/enqueue", intake::enqueue)
        .post(
            "/api/v1/integrations/alertmanager/{key}",
            intake::alertmanager,
        )
        .post("/api/v1/callbacks/twilio/sms", callbacks::twilio_sms)
        .post("/api/v1/callbacks/twilio/voice", callbacks::twilio_voice)
        .post("/api/v1/callbacks/twilio/status", callbacks::twilio_status)
        .post("/api/v1/callbacks/slack", callbacks::slack)
        .post("/api/v1/callbacks/slack/events", slack_events::events)
        .get("/ack/{token}", callbacks::link_get)
        .post("/ack/{token}", callbacks::link_post)
}

/// Every route the API registers, as (method, path) with `{param}`s.
pub fn route_table() -> Vec<(&'static str, String)> {
    routes().table
}

/// A router that records each route it is given.
#[derive(Default)]
struct Routes {
    router: Router<AppState>,
    table: Vec<(&'static str, String)>,
}

macro_rules! method {
    ($name:ident) => {
        fn $name<H, T>(mut self, path: &str, handler: H) -> Self
        where
            H: axum::handler::Handler<T, AppState>,
            T: 'static,
        {
            self.table.push((stringify!($name), path.to_string()));
            self.router = self.router.route(path, axum::routing::$name(handler));
            self
        }
    };
}

impl Routes {
    method!(get);
    method!(put);
    method!(post);
    method!(delete);
}

/// Counts each answered request and its time, by route template.
async fn measured(
    State(st): State<AppState>,
    req: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let start = std::time::Instant::now();
    let method = req.method().as_str().to_string();
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let res = next.run(req).await;
    st.metrics.request(
        &method,
        &route,
        res.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    res
}

pub fn router(state: AppState) -> Router {
    routes()
        .router
        .merge(SwaggerUi::new("/api/v1/docs").url("/api/v1/openapi.json", ApiDoc::openapi()))
        .layer(axum::middleware::from_fn(error::json_errors))
        .merge(crate::console::router())
        .fallback(|| async { ApiError::not_found("route") })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            measured,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            // Feed URLs carry their secret: never log it in full.
            let path = req.uri().path();
            let shown = if let Some(secret) = path.strip_prefix("/ics/") {
                format!("/ics/{}", auth::redact(secret))
            } else if let Some(key) = path.strip_prefix("/api/v1/integrations/alertmanager/") {
                format!("/api/v1/integrations/alertmanager/{}", auth::redact(key))
            } else if let Some(token) = path.strip_prefix("/ack/") {
                format!("/ack/{}", auth::redact(token))
            } else if let Some(secret) = path.strip_prefix("/login/link/") {
                format!("/login/link/{}", auth::redact(secret))
            } else {
                path.to_string()
            };
            tracing::info_span!("request", method = %req.method(), path = %shown)
        }))
        .with_state(state)
}

/// Liveness, with what an operator needs to know about this build: its
/// version and the tz database its zone rules come from.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "the process is up", body = wire::Health)))]
async fn healthz() -> axum::Json<wire::Health> {
    let tz = crate::tz::database();
    axum::Json(wire::Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        tzdata: tz.source.version().map(str::to_string),
        tzdata_source: tz.source.to_string(),
    })
}

/// Ready when the database takes a write within a second (a rolled-back
/// one); 503 while it is read-only, locked or unreachable.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200, description = "the database takes writes", body = wire::Ready), (status = 503, description = "not ready, and why", body = wire::Ready)))]
async fn readyz(State(st): State<AppState>) -> (StatusCode, axum::Json<wire::Ready>) {
    let probe = tokio::time::timeout(std::time::Duration::from_secs(1), st.store.ready()).await;
    let why = match probe {
        Ok(Ok(())) => {
            let ok = wire::Ready {
                status: "ready".into(),
                reason: None,
            };
            return (StatusCode::OK, axum::Json(ok));
        }
        Ok(Err(e)) => e,
        Err(_) => "the database did not take a write within 1 s".to_string(),
    };
    tracing::warn!(reason = %why, "not ready");
    let not = wire::Ready {
        status: "not ready".into(),
        reason: Some(why),
    };
    (StatusCode::SERVICE_UNAVAILABLE, axum::Json(not))
}
