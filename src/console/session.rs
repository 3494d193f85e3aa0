//! Who is looking: the session cookie, the viewer it stands for, CSRF
//! checks, and the limits on sign-in attempts.

use super::PageError;
use crate::api::auth::{Principal, Role};
use crate::api::state::AppState;
use crate::engine::console;
use crate::store::SessionRow;
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const COOKIE: &str = "vigil_session";

/// The console's own state: where messages go, and the sign-in limits.
pub struct ConsoleState {
    /// Sends sign-in links, verification codes and tests.
    pub notices: crate::notify::Registry,
    /// Whether cookies carry `Secure` (all but plain http on loopback).
    pub secure_cookies: bool,
    /// Sign-in links and codes asked for, per person (5 per 15 minutes).
    pub limits: Limiter,
    /// Sign-in attempts per client address (30 per 15 minutes; failed
    /// token sign-ins count, successful ones do not).
    pub address_limits: Limiter,
    /// The alerts' change stamp, watched by every open event stream; one
    /// poller per process reads it (every 250 ms while anyone watches, and
    /// at once when this instance changes an alert), so other instances'
    /// changes arrive too.
    pub stamp: tokio::sync::watch::Sender<i64>,
    poke: tokio::sync::Notify,
}

impl ConsoleState {
    pub fn new(notices: crate::notify::Registry, public_url: &str) -> ConsoleState {
        let url = url::Url::parse(public_url).ok();
        let loopback_http = url.as_ref().is_some_and(|u| {
            u.scheme() == "http"
                && matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
        });
        ConsoleState {
            notices,
            secure_cookies: !loopback_http,
            limits: Limiter::new(5, Duration::from_secs(15 * 60)),
            address_limits: Limiter::new(30, Duration::from_secs(15 * 60)),
            stamp: tokio::sync::watch::channel(0).0,
            poke: tokio::sync::Notify::new(),
        }
    }

    /// Alerts changed here: read the stamp now rather than at the next tick.
    pub fn alerts_changed(&self) {
        self.poke.notify_one();
    }

    /// Starts the poller; it ends when the state is dropped.
    pub fn start_poller(self: &std::sync::Arc<Self>, store: crate::store::Store) {
        let weak = std::sync::Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let Some(me) = weak.upgrade() else { return };
                if me.stamp.receiver_count() > 0 {
                    match crate::engine::alerts::views::stamp(&store).await {
                        Ok(v) => {
                            me.stamp.send_if_modified(|s| std::mem::replace(s, v) != v);
                        }
                        Err(e) => {
                            tracing::debug!(error = %e, "console: reading the alerts stamp failed")
                        }
                    }
                }
                let _ = tokio::time::timeout(Duration::from_millis(250), me.poke.notified()).await;
            }
        });
    }
}

/// At most `max` attempts per key in a sliding `window` (in memory: a
/// restart forgets, which only ever lets a few more attempts through).
/// Hand-written: the rate-limit crates (governor, tower_governor) limit by
/// rate per key but keep no count a test can reason about; this is 30 lines.
pub struct Limiter {
    max: usize,
    window: Duration,
    seen: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Limiter {
    pub fn new(max: usize, window: Duration) -> Limiter {
        Limiter {
            max,
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `key` is already at its limit (counts nothing).
    pub fn exhausted(&self, key: &str) -> bool {
        let now = Instant::now();
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.get(key).is_some_and(|v| {
            v.iter()
                .filter(|t| now.duration_since(**t) < self.window)
                .count()
                >= self.max
        })
    }

    /// Counts an attempt for every key; false if any key is over its limit.
    pub fn allow(&self, keys: &[String]) -> bool {
        let now = Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() > 100_000 {
            seen.retain(|_, v| v.iter().any(|t| now.duration_since(*t) < self.window));
        }
        let mut ok = true;
        for k in keys {
            let v = seen.entry(k.clone()).or_default();
            v.retain(|t| now.duration_since(*t) < self.window);
            if v.len() >= self.max {
                ok = false;
            } else {
                v.push(now);
            }
        }
        ok
    }
}

/// A signed-in person (or an API token's session, with no person).
#[derive(Clone)]
pub struct Viewer {
    pub session: SessionRow,
    pub principal: Principal,
}

impl Viewer {
    pub fn person(&self) -> Option<&str> {
        self.principal.person.as_deref()
    }
    pub fn is_admin(&self) -> bool {
        self.principal.is_admin()
    }
    pub fn csrf(&self) -> &str {
        &self.session.csrf
    }
    /// The viewer's name for the timeline and the audit log.
    pub fn actor(&self) -> String {
        match self.person() {
            Some(p) => format!("{p} (console)"),
            None => format!("{} (console)", self.session.id),
        }
    }

    /// Refuses a change unless the request carries this session's CSRF
    /// token (form field or `X-CSRF-Token`) and, when the browser says where
    /// it comes from, comes from this server.
    pub fn check_csrf(
        &self,
        headers: &HeaderMap,
        form_token: Option<&str>,
    ) -> Result<(), PageError> {
        use subtle::ConstantTimeEq;
        check_origin(headers)?;
        let given = headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .or(form_token)
            .unwrap_or("");
        if bool::from(given.as_bytes().ct_eq(self.session.csrf.as_bytes())) && !given.is_empty() {
            Ok(())
        } else {
            Err(PageError::new(
                StatusCode::FORBIDDEN,
                "This form has expired or did not come from Vigil (CSRF token missing or wrong). Reload the page and try again.",
            ))
        }
    }
}

/// A cross-site request (an `Origin` that is not this host) is refused.
pub fn check_origin(headers: &HeaderMap) -> Result<(), PageError> {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        host,
    ) {
        (None, _) => Ok(()),
        (Some(o), Some(h)) if o.split_once("://").is_some_and(|(_, rest)| rest == h) => Ok(()),
        _ => Err(PageError::new(
            StatusCode::FORBIDDEN,
            "This request came from another site and was refused.",
        )),
    }
}

fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

/// The `Set-Cookie` value that starts a session.
pub fn set_cookie(st: &AppState, secret: &str) -> String {
    format!(
        "{COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        console::SESSION_MAX_MS / 1000,
        if st.console.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    )
}

/// The `Set-Cookie` value that ends one.
pub fn clear_cookie(st: &AppState) -> String {
    format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        if st.console.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    )
}

pub fn role_of(s: &SessionRow) -> Role {
    match s.role.as_str() {
        "admin" => Role::Admin,
        "lead" => Role::Lead(s.teams.clone()),
        _ => Role::Responder,
    }
}

async fn viewer(parts: &Parts, st: &AppState) -> Result<Option<Viewer>, PageError> {
    let Some(secret) = cookie_value(&parts.headers) else {
        return Ok(None);
    };
    let Some(session) = console::session(&st.store, &secret, st.now()).await? else {
        return Ok(None);
    };
    let generation = crate::engine::calendar::generation(&st.store).await?;
    let principal = Principal {
        token_id: session.id.clone(),
        role: role_of(&session),
        person: Some(session.person.clone()).filter(|p| !p.is_empty()),
        generation,
    };
    Ok(Some(Viewer { session, principal }))
}

/// Not signed in: a page goes to the sign-in form, an htmx request is told
/// to reload (so it lands there too).
pub struct SignIn(Response);

impl IntoResponse for SignIn {
    fn into_response(self) -> Response {
        self.0
    }
}

impl From<PageError> for SignIn {
    fn from(e: PageError) -> Self {
        SignIn(e.into_response())
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = SignIn;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, SignIn> {
        match viewer(parts, st).await? {
            Some(v) => Ok(v),
            None if parts.headers.contains_key("hx-request") => Err(SignIn(
                (StatusCode::UNAUTHORIZED, [("hx-redirect", "/login")]).into_response(),
            )),
            None => {
                let back = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let to = format!("/login?next={}", urlencode(back));
                Err(SignIn(Redirect::to(&to).into_response()))
            }
        }
    }
}

impl OptionalFromRequestParts<AppState> for Viewer {
    type Rejection = SignIn;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Option<Self>, SignIn> {
        Ok(viewer(parts, st).await?)
    }
}

/// A form posted by a signed-in viewer, its CSRF token (form field `csrf`
/// or the `X-CSRF-Token` header) and origin checked before the handler
/// runs, and its fields read as `T` (`Vec<(String, String)>` keeps repeated
/// keys).
pub struct Posted<T> {
    pub v: Viewer,
    pub form: T,
}

/// A form with no fields but its CSRF token.
#[derive(serde::Deserialize)]
pub struct NoFields {}

#[derive(serde::Deserialize)]
struct CsrfField {
    csrf: Option<String>,
}

impl<T: serde::de::DeserializeOwned> axum::extract::FromRequest<AppState> for Posted<T> {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, st: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let v = <Viewer as FromRequestParts<AppState>>::from_request_parts(&mut parts, st)
            .await
            .map_err(IntoResponse::into_response)?;
        let bytes = axum::body::to_bytes(body, crate::api::MAX_BODY)
            .await
            .map_err(|_| {
                PageError::new(StatusCode::PAYLOAD_TOO_LARGE, "This form is too large.")
                    .into_response()
            })?;
        let csrf = serde_urlencoded::from_bytes::<CsrfField>(&bytes)
            .ok()
            .and_then(|c| c.csrf);
        v.check_csrf(&parts.headers, csrf.as_deref())
            .map_err(IntoResponse::into_response)?;
        let form = serde_urlencoded::from_bytes::<T>(&bytes).map_err(|e| {
            PageError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("The form is incomplete or malformed: {e}"),
            )
            .into_response()
        })?;
        Ok(Posted { v, form })
    }
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Where to go after signing in: a path on this server only.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && n.len() <= 512 =>
        {
            n.to_string()
        }
        _ => "/".into(),
    }
}
