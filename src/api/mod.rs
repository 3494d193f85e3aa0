//! The HTTP API (IO): extract → call → map, no business logic. Versioned
//! under /api/v1; calendar feeds under /ics; /healthz and /readyz for
//! operators. Every error is `{"error":{"code","message","field"}}`.

pub mod auth;
mod calendar;
pub mod error;
mod feeds;
mod layers;
mod overrides;
mod rotas;
pub mod state;
mod swaps;
mod teams;
mod time;
pub mod tokens;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use error::ApiError;
use state::AppState;
use tower_http::trace::TraceLayer;

/// Bodies larger than this are refused with 413.
pub const MAX_BODY: usize = 1024 * 1024;

pub fn router(state: AppState) -> Router {
    let rota = "/api/v1/teams/{team}/rotas/{rota}";
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/api/v1/teams", get(teams::list_teams))
        .route(
            "/api/v1/teams/{team}",
            get(teams::get_team)
                .put(teams::put_team)
                .delete(teams::delete_team),
        )
        .route("/api/v1/people", get(teams::list_people))
        .route(
            "/api/v1/people/{handle}",
            get(teams::get_person)
                .put(teams::put_person)
                .delete(teams::delete_person),
        )
        .route(
            "/api/v1/people/{handle}/shifts",
            get(calendar::person_shifts),
        )
        .route("/api/v1/teams/{team}/rotas", get(rotas::list))
        .route(rota, get(rotas::get).put(rotas::put).delete(rotas::delete))
        .route(&format!("{rota}/oncall"), get(calendar::oncall))
        .route(&format!("{rota}/shifts"), get(calendar::shifts))
        .route(
            &format!("{rota}/overrides"),
            get(overrides::list).post(overrides::create),
        )
        .route(
            &format!("{rota}/overrides/{{id}}"),
            delete(overrides::delete),
        )
        .route(
            &format!("{rota}/swaps"),
            get(swaps::list).post(swaps::offer),
        )
        .route(&format!("{rota}/swaps/{{id}}/accept"), post(swaps::accept))
        .route(
            &format!("{rota}/swaps/{{id}}/approve"),
            post(swaps::approve),
        )
        .route(
            &format!("{rota}/swaps/{{id}}/decline"),
            post(swaps::decline),
        )
        .route(&format!("{rota}/swaps/{{id}}/cancel"), post(swaps::cancel))
        .route(
            &format!("{rota}/layers/{{layer}}"),
            get(layers::get).put(layers::put).delete(layers::delete),
        )
        .route(
            "/api/v1/people/{handle}/oncall",
            get(calendar::person_oncall),
        )
        .route("/api/v1/tokens", post(tokens::create))
        .route("/api/v1/tokens/{id}", delete(tokens::revoke))
        .route("/api/v1/audit", get(tokens::audit))
        .route("/api/v1/feeds", post(feeds::create))
        .route("/api/v1/feeds/{id}", delete(feeds::revoke))
        .route("/api/v1/feeds/{id}/rotate", post(feeds::rotate))
        .route("/ics/{token}", get(feeds::ics))
        .fallback(|| async { ApiError::not_found("route") })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            // Feed URLs carry their secret: never log it in full.
            let path = req.uri().path();
            let shown = match path.strip_prefix("/ics/") {
                Some(secret) => format!("/ics/{}", auth::redact(secret)),
                None => path.to_string(),
            };
            tracing::info_span!("request", method = %req.method(), path = %shown)
        }))
        .with_state(state)
}

async fn readyz(State(st): State<AppState>) -> (StatusCode, &'static str) {
    if st.store.ready().await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready")
    }
}
