//! My profile: contact methods (verified by a code sent to them), my
//! notification rules, my calendar feeds and my sessions; and the admin
//! page (people, sign-in links, the audit log).

use super::login::send_notice;
use super::now::{chrome, viewer_zone};
use super::session::{NoFields, Posted, Viewer};
use super::view::{
    AdminPage, AuditItem, ContactItem, FeedItem, MePage, PersonItem, RuleItem, SessionItem, When,
};
use super::{PageError, render};
use crate::api::state::AppState;
use crate::engine::{console, directory, feeds};
use crate::escalation::rules::HANDOFF;
use crate::notify::Outgoing;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::BTreeMap;

/// What a finished change shows (fixed texts: nothing from the URL is shown).
fn done_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "code-sent" => "A code is on its way. Enter it below to verify.",
        "verified" => "Verified: pages can now reach you there.",
        "test-sent" => "A test message is on its way.",
        "removed" => "Removed.",
        "rules" => "Notification rules saved.",
        "feed-revoked" => "The feed is revoked; its address no longer works.",
        "session-revoked" => "Signed out there.",
        _ => return None,
    })
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

fn me_of(v: &Viewer) -> Result<String, PageError> {
    v.person().map(str::to_string).ok_or_else(|| {
        PageError::new(
            StatusCode::NOT_FOUND,
            "This session belongs to an API token, not a person, so it has no profile. Sign in with a link to see yours.",
        )
    })
}

async fn me_page(
    st: &AppState,
    v: &Viewer,
    flash: Option<String>,
    error: Option<String>,
    new_feed_url: Option<String>,
) -> Result<Response, PageError> {
    let handle = me_of(v)?;
    let zone = viewer_zone(st, v).await;
    let z = zone.as_ref();
    let now = st.now();
    let p = directory::person(&st.store, &handle).await?;
    let pending = console::pending_contacts(&st.store, &handle, now).await?;
    let pending_of = |ch: &str| {
        pending
            .iter()
            .find(|(c, _)| c == ch)
            .map(|(_, a)| a.clone())
    };
    let contacts = vec![
        ContactItem {
            channel: "sms".into(),
            label: "Phone (SMS, voice)",
            address: p.phone.clone(),
            pending: pending_of("sms"),
        },
        ContactItem {
            channel: "email".into(),
            label: "Email",
            address: p.email.clone(),
            pending: pending_of("email"),
        },
        ContactItem {
            channel: "chat".into(),
            label: "Slack",
            address: p.chat.clone(),
            pending: pending_of("chat"),
        },
    ];
    let spec = console::rules_of(&st.store, &handle).await?;
    let rules = ["P1", "P2", "P3", "P4", HANDOFF]
        .iter()
        .map(|pr| RuleItem {
            priority: pr.to_string(),
            rules: match spec.get(*pr) {
                Some(v) if v.is_empty() => "none".into(),
                Some(v) => v.join(", "),
                None => String::new(),
            },
        })
        .collect();
    let feeds = console::feeds_of(&st.store, &handle)
        .await?
        .into_iter()
        .map(|(id, by)| FeedItem {
            id,
            what: format!("My shifts (made by {by})"),
        })
        .collect();
    let sessions = console::sessions(&st.store, &handle, now)
        .await?
        .into_iter()
        .map(|s| SessionItem {
            current: s.id == v.session.id,
            created: When::at(s.created_ms, z),
            last_seen: When::at(s.last_seen_ms, z),
            agent: s.agent,
            id: s.id,
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut res = render(&MePage {
        c: chrome(st, v, "Me", "me", z),
        handle,
        name: p.name,
        contacts,
        rules,
        feeds,
        new_feed_url,
        sessions,
        flash,
        error,
    })?;
    *res.status_mut() = status;
    Ok(res)
}

pub async fn page(
    State(st): State<AppState>,
    v: Viewer,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let flash = q.done.as_deref().and_then(done_text).map(str::to_string);
    me_page(&st, &v, flash, None, None).await
}

fn done(code: &str) -> Response {
    Redirect::to(&format!("/me?done={code}")).into_response()
}

/// A refused change: the page again, with the reason (field and message).
async fn refused(
    st: &AppState,
    v: &Viewer,
    e: crate::engine::error::Error,
) -> Result<Response, PageError> {
    let e = PageError::from(e);
    if !e.status.is_client_error() {
        return Err(e);
    }
    me_page(st, v, None, Some(e.message), None).await
}

#[derive(Deserialize)]
pub struct ContactForm {
    channel: String,
    address: String,
}

pub async fn add_contact(
    State(st): State<AppState>,
    Posted { v, form: f }: Posted<ContactForm>,
) -> Result<Response, PageError> {
    let me = me_of(&v)?;
    if !st.console.limits.allow(&[format!("code:{me}")]) {
        return me_page(
            &st,
            &v,
            None,
            Some("Too many codes asked for. Wait a few minutes.".into()),
            None,
        )
        .await;
    }
    let code = match console::start_contact(&st.store, &me, &f.channel, &f.address, st.now()).await
    {
        Ok(c) => c,
        Err(e) => return refused(&st, &v, e).await,
    };
    if let Some(ch) = console::channel_of(&f.channel) {
        let text = format!("Your Vigil verification code is {code}. It expires in 15 minutes.");
        send_notice(
            &st,
            Outgoing::notice(
                ch,
                f.address.trim(),
                Some(&me),
                text,
                st.now().timestamp_millis(),
            ),
        );
    }
    Ok(done("code-sent"))
}

#[derive(Deserialize)]
pub struct VerifyForm {
    channel: String,
    code: String,
}

pub async fn verify_contact(
    State(st): State<AppState>,
    Posted { v, form: f }: Posted<VerifyForm>,
) -> Result<Response, PageError> {
    let me = me_of(&v)?;
    match console::verify_contact(&st.store, &me, &f.channel, &f.code, st.now()).await {
        Ok(_) => Ok(done("verified")),
        Err(e) => refused(&st, &v, e).await,
    }
}

pub async fn test_contact(
    State(st): State<AppState>,
    Path(channel): Path<String>,
    Posted { v, form: _ }: Posted<NoFields>,
) -> Result<Response, PageError> {
    let me = me_of(&v)?;
    let p = directory::person(&st.store, &me).await?;
    let address = match channel.as_str() {
        "sms" => p.phone,
        "email" => p.email,
        "chat" => p.chat,
        _ => None,
    };
    let (Some(ch), Some(address)) = (console::channel_of(&channel), address) else {
        return Err(PageError::new(
            StatusCode::NOT_FOUND,
            "There is no such contact method to test.",
        ));
    };
    if !st.console.limits.allow(&[format!("test:{me}")]) {
        return me_page(
            &st,
            &v,
            None,
            Some("Too many tests. Wait a few minutes.".into()),
            None,
        )
        .await;
    }
    let text = "This is a test from Vigil: pages will reach you here.".to_string();
    send_notice(
        &st,
        Outgoing::notice(ch, &address, Some(&me), text, st.now().timestamp_millis()),
    );
    Ok(done("test-sent"))
}

pub async fn remove_contact(
    State(st): State<AppState>,
    Path(channel): Path<String>,
    Posted { v, form: _ }: Posted<NoFields>,
) -> Result<Response, PageError> {
    let me = me_of(&v)?;
    match console::remove_contact(&st.store, &me, &channel, st.now()).await {
        Ok(()) => Ok(done("removed")),
        Err(e) => refused(&st, &v, e).await,
    }
}

pub async fn save_rules(
    State(st): State<AppState>,
    Posted { v, form: f }: Posted<BTreeMap<String, String>>,
) -> Result<Response, PageError> {
    let me = me_of(&v)?;
    let mut spec = BTreeMap::new();
    for p in ["P1", "P2", "P3", "P4", HANDOFF] {
        // "none" for handoff reminders: no reminders at all.
        if p == HANDOFF
            && f.get(p)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("none"))
        {
            spec.insert(p.to_string(), Vec::new());
            continue;
        }
        let list: Vec<String> = f
            .get(p)
            .map(|s| {
                s.split(',')
                    .map(|r| r.trim().to_string())
                    .filter(|r| !r.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if !list.is_empty() {
            spec.insert(p.to_string(), list);
        }
    }
    let row = directory::person(&st.store, &me).await?;
    match directory::save_person(&st.store, row, Some(spec), &v.actor(), st.now()).await {
        Ok(_) => Ok(done("rules")),
        Err(e) => refused(&st, &v, e).await,
    }
}

pub async fn create_feed(
    State(st): State<AppState>,
    Posted { v, form: _ }: Posted<NoFields>,
) -> Result<Response, PageError> {
    let me = me_of(&v)?;
    let (_, secret) = feeds::create(
        &st.store,
        &st.cache,
        feeds::Target::Person(me),
        &v.actor(),
        st.now(),
    )
    .await?;
    let url = format!("{}/ics/{secret}", st.public_url.trim_end_matches('/'));
    me_page(&st, &v, None, None, Some(url)).await
}

/// One of my own feeds.
async fn my_feed(st: &AppState, v: &Viewer, id: &str) -> Result<crate::store::FeedRow, PageError> {
    let me = me_of(v)?;
    let f = feeds::find(&st.store, id).await?;
    if f.person.as_deref() == Some(me.as_str()) {
        Ok(f)
    } else {
        Err(PageError::forbidden())
    }
}

pub async fn rotate_feed(
    State(st): State<AppState>,
    Path(id): Path<String>,
    Posted { v, form: _ }: Posted<NoFields>,
) -> Result<Response, PageError> {
    let old = my_feed(&st, &v, &id).await?;
    let (_, secret) = feeds::rotate(&st.store, old, &v.actor(), st.now()).await?;
    let url = format!("{}/ics/{secret}", st.public_url.trim_end_matches('/'));
    me_page(&st, &v, None, None, Some(url)).await
}

pub async fn revoke_feed(
    State(st): State<AppState>,
    Path(id): Path<String>,
    Posted { v, form: _ }: Posted<NoFields>,
) -> Result<Response, PageError> {
    my_feed(&st, &v, &id).await?;
    feeds::revoke(&st.store, &id, &v.actor(), st.now()).await?;
    Ok(done("feed-revoked"))
}

pub async fn revoke_session(
    State(st): State<AppState>,
    Path(id): Path<String>,
    Posted { v, form: _ }: Posted<NoFields>,
) -> Result<Response, PageError> {
    let me = me_of(&v)?;
    console::revoke_session(&st.store, &id, Some(&me), &v.actor(), st.now()).await?;
    Ok(done("session-revoked"))
}

async fn admin_page(
    st: &AppState,
    v: &Viewer,
    link: Option<String>,
) -> Result<Response, PageError> {
    if !v.is_admin() {
        return Err(PageError::forbidden());
    }
    let zone = viewer_zone(st, v).await;
    let z = zone.as_ref();
    let people = directory::people(&st.store)
        .await?
        .into_iter()
        .map(|p| PersonItem {
            contacts: [p.phone.as_deref(), p.email.as_deref(), p.chat.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", "),
            handle: p.handle,
            name: p.name,
        })
        .collect();
    let audit = directory::audit(&st.store, 50)
        .await?
        .into_iter()
        .map(|e| AuditItem {
            at: When::at(e.at * 1000, z),
            actor: e.actor,
            action: e.action,
            target: e.target,
        })
        .collect();
    render(&AdminPage {
        c: chrome(st, v, "Admin", "admin", z),
        people,
        audit,
        link,
    })
}

pub async fn admin(State(st): State<AppState>, v: Viewer) -> Result<Response, PageError> {
    admin_page(&st, &v, None).await
}

#[derive(Deserialize)]
pub struct LinkForm {
    person: String,
}

/// An admin makes a sign-in link for someone (shown, not sent).
pub async fn admin_login_link(
    State(st): State<AppState>,
    Posted { v, form: f }: Posted<LinkForm>,
) -> Result<Response, PageError> {
    if !v.is_admin() {
        return Err(PageError::forbidden());
    }
    let secret = console::issue_login_link(&st.store, &f.person, st.now()).await?;
    let url = format!("{}/login/link/{secret}", st.public_url);
    admin_page(&st, &v, Some(url)).await
}
