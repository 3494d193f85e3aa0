//! Signing in and out: one-time links sent to the person's own contact
//! methods, API tokens exchanged for a session, and sign-out.

use super::session::{self, NoFields, Posted, Viewer, check_origin, safe_next};
use super::view::{LinkPage, LoginPage};
use super::{PageError, render};
use crate::api::state::AppState;
use crate::engine::console;
use crate::notify::Outgoing;
use axum::Form;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::net::SocketAddr;

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

pub async fn page(v: Option<Viewer>, Query(q): Query<Next>) -> Result<Response, PageError> {
    if v.is_some() {
        return Ok(Redirect::to(&safe_next(q.next.as_deref())).into_response());
    }
    render(&LoginPage {
        next: safe_next(q.next.as_deref()),
        notice: None,
        error: None,
    })
}

#[derive(Deserialize)]
pub struct LinkForm {
    who: String,
    next: Option<String>,
}

const TOO_MANY: &str = "Too many sign-in attempts. Wait a few minutes and try again.";

/// The sign-in page again, saying why, with `status`.
fn refused(next: String, status: StatusCode, why: &str) -> Result<Response, PageError> {
    let page = LoginPage {
        next,
        notice: None,
        error: Some(why.to_string()),
    };
    let mut res = render(&page)?;
    *res.status_mut() = status;
    Ok(res)
}

/// The same answer whether or not the person exists.
const SENT: &str = "If that is someone Vigil knows, a sign-in link is on its way to their email, phone or Slack. It works once, for 10 minutes.";

fn client(headers: &HeaderMap, addr: Option<SocketAddr>) -> String {
    // Behind a proxy every client shares its address; the person limit still holds.
    addr.map(|a| a.ip().to_string())
        .or_else(|| {
            headers
                .get("x-real-ip")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        })
        .unwrap_or_default()
}

pub async fn request_link(
    State(st): State<AppState>,
    addr: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(f): Form<LinkForm>,
) -> Result<Response, PageError> {
    check_origin(&headers)?;
    let next = safe_next(f.next.as_deref());
    let who = f.who.trim().to_ascii_lowercase();
    let ip = client(&headers, addr.map(|c| c.0.0));
    let by_address = st.console.address_limits.allow(&[ip]);
    if !(by_address && st.console.limits.allow(&[format!("who:{who}")])) {
        return refused(next, StatusCode::TOO_MANY_REQUESTS, TOO_MANY);
    }
    if let Some(p) = console::find_person(&st.store, &who).await? {
        let secret = console::issue_login_link(&st.store, &p.handle, st.now()).await?;
        let url = format!("{}/login/link/{secret}", st.public_url);
        let (channel, address) = console::sign_in_channel(&p);
        let text = format!("Sign in to Vigil: {url} (works once, for 10 minutes)");
        send_notice(
            &st,
            Outgoing::notice(
                channel,
                &address,
                Some(&p.handle),
                text,
                st.now().timestamp_millis(),
            ),
        );
        tracing::info!(person = %p.handle, channel = channel.as_str(), "sign-in link sent");
    }
    render(&LoginPage {
        next,
        notice: Some(SENT.into()),
        error: None,
    })
}

/// Sends a notice in the background, retrying a few times; a lost sign-in
/// link or code costs the person one more click, never a page.
pub fn send_notice(st: &AppState, out: Outgoing) {
    let notifier = st.console.notices.get(out.message.channel);
    tokio::spawn(async move {
        for attempt in 1..=3u64 {
            match tokio::time::timeout(std::time::Duration::from_secs(10), notifier.send(&out))
                .await
            {
                Ok(Ok(_)) => return,
                Ok(Err(e)) => tracing::warn!(error = ?e, attempt, "a console notice failed"),
                Err(_) => tracing::warn!(attempt, "a console notice timed out"),
            }
            tokio::time::sleep(std::time::Duration::from_millis(500 * attempt)).await;
        }
    });
}

/// The link opens a page with a button: mail scanners that fetch links do
/// not use up the one-time link, only the person's click does.
pub async fn link_page(Path(secret): Path<String>) -> Result<Response, PageError> {
    if secret.len() > 100
        || !secret
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(PageError::new(
            StatusCode::NOT_FOUND,
            "This sign-in link is not valid.",
        ));
    }
    render(&LinkPage { secret })
}

fn agent(headers: &HeaderMap) -> String {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("unknown browser")
        .chars()
        .take(200)
        .collect()
}

fn signed_in(st: &AppState, secret: &str, next: &str) -> Response {
    (
        [(header::SET_COOKIE, session::set_cookie(st, secret))],
        Redirect::to(next),
    )
        .into_response()
}

pub async fn with_link(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(secret): Path<String>,
) -> Result<Response, PageError> {
    check_origin(&headers)?;
    match console::sign_in_with_link(&st.store, &secret, &agent(&headers), st.now()).await? {
        Some(s) => Ok(signed_in(&st, &s.secret, "/")),
        None => {
            let why = "That sign-in link has expired or was used already. Ask for a new one.";
            refused("/".into(), StatusCode::UNAUTHORIZED, why)
        }
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    token: String,
    next: Option<String>,
}

pub async fn with_token(
    State(st): State<AppState>,
    addr: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(f): Form<TokenForm>,
) -> Result<Response, PageError> {
    check_origin(&headers)?;
    let next = safe_next(f.next.as_deref());
    let ip = client(&headers, addr.map(|c| c.0.0));
    let limited = st.console.address_limits.exhausted(&ip);
    let started = if limited || f.token.len() > 200 {
        None
    } else {
        console::sign_in_with_token(&st.store, &st.tokens, &f.token, &agent(&headers), st.now())
            .await?
    };
    if started.is_none() && !limited {
        st.console.address_limits.allow(&[ip]);
    }
    match started {
        Some(s) => Ok(signed_in(&st, &s.secret, &next)),
        None if limited => refused(next, StatusCode::TOO_MANY_REQUESTS, TOO_MANY),
        None => refused(next, StatusCode::UNAUTHORIZED, "That token is not valid."),
    }
}

pub async fn logout(
    State(st): State<AppState>,
    Posted { v, form: _ }: Posted<NoFields>,
) -> Result<Response, PageError> {
    console::revoke_session(&st.store, &v.session.id, None, &v.actor(), st.now()).await?;
    Ok((
        [(header::SET_COOKIE, session::clear_cookie(&st))],
        Redirect::to("/login"),
    )
        .into_response())
}
