//! The web console (IO): server-rendered pages (askama templates compiled
//! into the binary), htmx for partial updates and Server-Sent Events for
//! live ones. Handlers extract, call the engine's operations (the same ones
//! the JSON API calls) and render; they hold no business logic. Every asset
//! is embedded; the Content-Security-Policy allows nothing from elsewhere
//! and no inline script.

mod alerts;
mod assets;
pub(crate) mod audit;
mod chart;
mod coverage;
mod edits;
mod events;
mod fairness;
mod handoffs;
mod ladder;
mod limits;
mod login;
mod me;
mod mine;
mod now;
mod reports;
mod rotas;
mod services;
mod session;
mod swaps;
mod upkeep;
mod view;

use crate::api::state::AppState;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
pub use session::{ConsoleState, Viewer};

/// The console's routes, merged into the server's router.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(now::page))
        .route("/login", get(login::page))
        .route("/handoffs", get(handoffs::page))
        .route("/reports", get(reports::page))
        .route("/coverage", get(coverage::page))
        .route("/services", get(services::list))
        .route("/services/{id}", get(services::show))
        .route("/services/{id}/ladder", post(services::ladder))
        .route("/services/{id}/upkeep", post(upkeep::save))
        .route("/services/{id}/keys", post(services::create_key))
        .route(
            "/services/{id}/keys/{key}/revoke",
            post(services::revoke_key),
        )
        .route("/reports/{file}", get(reports::csv))
        .route("/rotas/{team}/{rota}", get(rotas::calendar))
        .route("/rotas/{team}/{rota}/override", post(rotas::override_post))
        .route("/rotas/{team}/{rota}/swaps", post(swaps::offer))
        .route("/rotas/{team}/{rota}/layer", post(edits::layer))
        .route("/rotas/{team}/{rota}/checks", post(limits::save))
        .route("/rotas/{team}/{rota}/swaps/{id}/{step}", post(swaps::step))
        .route("/rotas/{team}/{rota}/fairness", get(fairness::page))
        .route("/handoffs/ack", post(now::ack_handoff))
        .route("/handoffs/note", post(handoffs::note))
        .route("/login/link", post(login::request_link))
        .route("/login/token", post(login::with_token))
        .route(
            "/login/link/{secret}",
            get(login::link_page).post(login::with_link),
        )
        .route("/logout", post(login::logout))
        .route("/alerts", get(alerts::page))
        .route("/alerts/rows", get(alerts::rows))
        .route("/alerts/bulk", post(alerts::bulk))
        .route("/alerts/{id}", get(alerts::detail))
        .route("/alerts/{id}/{action}", post(alerts::act))
        .route("/events", get(events::stream))
        .route("/me", get(me::page))
        .route("/me/shifts", get(mine::page))
        .route("/me/contacts", post(me::add_contact))
        .route("/me/contacts/verify", post(me::verify_contact))
        .route("/me/contacts/{channel}/test", post(me::test_contact))
        .route("/me/contacts/{channel}/remove", post(me::remove_contact))
        .route("/me/rules", post(me::save_rules))
        .route("/me/feeds", post(me::create_feed))
        .route("/me/feeds/{id}/rotate", post(me::rotate_feed))
        .route("/me/feeds/{id}/revoke", post(me::revoke_feed))
        .route("/me/sessions/{id}/revoke", post(me::revoke_session))
        .route("/admin", get(me::admin))
        .route("/audit", get(audit::page))
        .route("/admin/login-link", post(me::admin_login_link))
        .route("/assets/{file}", get(assets::serve))
        .layer(axum::middleware::from_fn(security_headers))
}

/// Headers on every console answer: nothing from elsewhere, no inline
/// script, no framing, no sniffing, no referrer (with its link secrets) to
/// other sites; same-origin requests keep theirs, so browsers send `Origin`.
async fn security_headers(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// An error page: the status, and a message a person can act on.
pub struct PageError {
    status: StatusCode,
    message: String,
}

impl PageError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        PageError {
            status,
            message: message.into(),
        }
    }
    pub fn message(&self) -> &str {
        &self.message
    }
    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "You may not see or do this.")
    }
}

impl From<crate::engine::error::Error> for PageError {
    fn from(e: crate::engine::error::Error) -> Self {
        let api = crate::api::error::ApiError::from(e);
        let message = match &api.field {
            Some(f) if api.status.is_client_error() => format!("{f}: {}", api.message),
            _ => api.message.clone(),
        };
        PageError::new(api.status, message)
    }
}

impl From<crate::store::StoreError> for PageError {
    fn from(e: crate::store::StoreError) -> Self {
        crate::engine::error::Error::from(e).into()
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        tracing::error!(error = %e, "a console template failed to render");
        PageError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The page could not be shown.",
        )
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = view::ErrorPage {
            status: self.status.as_u16(),
            message: self.message,
        };
        match askama::Template::render(&page) {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(_) => (self.status, "error").into_response(),
        }
    }
}

/// Renders a template into an HTML answer.
pub fn render(t: &impl askama::Template) -> Result<Response, PageError> {
    Ok(Html(t.render()?).into_response())
}
