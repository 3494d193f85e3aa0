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
mod overrides;
pub mod removal;
mod reports;
mod rotas;
mod services;
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
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

/// The OpenAPI document, generated from the handlers' annotations and served
/// at /api/v1/openapi.json, with Swagger UI (vendored, works offline) at
/// /api/v1/docs.
#[derive(OpenApi)]
#[openapi(
    info(title = "Vigil", description = "On-call scheduling: rotas, shifts, overrides, swaps and calendar feeds."),
    paths(
        teams::list_teams, teams::get_team, teams::put_team, teams::delete_team,
        teams::list_people, teams::get_person, teams::put_person, teams::delete_person,
        calendar::oncall, calendar::shifts, calendar::person_shifts, calendar::person_oncall,
        rotas::list, rotas::get, rotas::put, rotas::delete,
        layers::get, layers::put, layers::delete,
        overrides::list, overrides::create, overrides::delete,
        swaps::list, swaps::offer, swaps::accept, swaps::approve, swaps::decline, swaps::cancel,
        tokens::create, tokens::revoke, tokens::audit,
        feeds::create, feeds::revoke, feeds::rotate, feeds::ics,
        services::list, services::get, services::put, services::delete,
        services::create_key, services::revoke_key, services::heartbeat,
        alerts::create, alerts::list, alerts::get, alerts::action, reports::report, reports::coverage
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// The error body every 4xx and 5xx carries.
#[derive(utoipa::ToSchema, serde::Serialize)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(utoipa::ToSchema, serde::Serialize)]
pub struct ErrorDetail {
    /// bad_request, unauthorized, forbidden, not_found, conflict, invalid,
    /// rule_violation, too_large, precondition_required, internal
    code: String,
    message: String,
    /// The field or parameter at fault, when there is one.
    field: Option<String>,
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// Bodies larger than this are refused with 413.
pub const MAX_BODY: usize = 1024 * 1024;

pub fn router(state: AppState) -> Router {
    let rota = "/api/v1/teams/{team}/rotas/{rota}";
    Router::new()
        .route("/healthz", get(healthz))
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
        .route("/api/v1/services", get(services::list))
        .route(
            "/api/v1/services/{id}",
            get(services::get)
                .put(services::put)
                .delete(services::delete),
        )
        .route("/api/v1/services/{id}/keys", post(services::create_key))
        .route(
            "/api/v1/services/{id}/keys/{key}",
            delete(services::revoke_key),
        )
        .route("/api/v1/services/{id}/heartbeat", post(services::heartbeat))
        .route("/api/v1/alerts", get(alerts::list).post(alerts::create))
        .route("/api/v1/alerts/{id}", get(alerts::get))
        .route("/api/v1/alerts/{id}/{action}", post(alerts::action))
        .route("/api/v1/reports", get(reports::report))
        .route("/api/v1/coverage", get(reports::coverage))
        .route("/metrics", get(reports::metrics))
        .route("/v2/enqueue", post(intake::enqueue))
        .route(
            "/api/v1/integrations/alertmanager/{key}",
            post(intake::alertmanager),
        )
        .route("/api/v1/callbacks/twilio/sms", post(callbacks::twilio_sms))
        .route(
            "/api/v1/callbacks/twilio/voice",
            post(callbacks::twilio_voice),
        )
        .route(
            "/api/v1/callbacks/twilio/status",
            post(callbacks::twilio_status),
        )
        .route("/api/v1/callbacks/slack", post(callbacks::slack))
        .route(
            "/ack/{token}",
            get(callbacks::link_get).post(callbacks::link_post),
        )
        .merge(SwaggerUi::new("/api/v1/docs").url("/api/v1/openapi.json", ApiDoc::openapi()))
        .fallback(|| async { ApiError::not_found("route") })
        .layer(axum::middleware::from_fn(error::json_errors))
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
            } else {
                path.to_string()
            };
            tracing::info_span!("request", method = %req.method(), path = %shown)
        }))
        .with_state(state)
}

/// Liveness, with what an operator needs to know about this build: its
/// version and the tz database its zone rules come from.
async fn healthz() -> axum::Json<serde_json::Value> {
    let tz = crate::tz::database();
    axum::Json(serde_json::json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "tzdata": tz.source.version(),
        "tzdata_source": tz.source.to_string(),
    }))
}

/// Ready when the database takes a write within a second (a rolled-back
/// one); 503 while it is read-only, locked or unreachable.
async fn readyz(State(st): State<AppState>) -> (StatusCode, axum::Json<serde_json::Value>) {
    let probe = tokio::time::timeout(std::time::Duration::from_secs(1), st.store.ready()).await;
    let why = match probe {
        Ok(Ok(())) => {
            return (
                StatusCode::OK,
                axum::Json(serde_json::json!({ "status": "ready" })),
            );
        }
        Ok(Err(e)) => e,
        Err(_) => "the database did not take a write within 1 s".to_string(),
    };
    tracing::warn!(reason = %why, "not ready");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(serde_json::json!({ "status": "not ready", "reason": why })),
    )
}
