//! Sign-in and sessions of the web console, and contact methods verified
//! by a code (IO). Secrets (session ids, link tokens, codes) are random and
//! stored as their SHA-256 only; a session's role is fixed when it starts.

use super::error::{Error, Result};
use crate::escalation::rules;
use crate::ids::{hash, new_id, new_secret};
use crate::rota::Instant;
use crate::store::{ConsoleReads, ContactCodeRow, PersonRow, Reads, SessionRow, Store};
use serde_json::json;

/// A sign-in link lives 10 minutes and works once.
pub const LINK_TTL_MS: i64 = 10 * 60 * 1000;
/// A session ends after 12 hours without a request…
pub const SESSION_IDLE_MS: i64 = 12 * 3600 * 1000;
/// …and 30 days after sign-in in any case.
pub const SESSION_MAX_MS: i64 = 30 * 86_400 * 1000;
/// A verification code lives 15 minutes and allows 5 tries.
pub const CODE_TTL_MS: i64 = 15 * 60 * 1000;
pub const CODE_TRIES: i64 = 5;
/// The idle expiry is written at most this often (not on every request).
const TOUCH_EVERY_MS: i64 = 60 * 1000;

fn ms(t: Instant) -> i64 {
    t.timestamp_millis()
}

/// A new one-time sign-in link secret for `person` (the caller builds the
/// URL and sends it).
pub async fn issue_login_link(store: &Store, person: &str, now: Instant) -> Result<String> {
    store
        .load_person(person)
        .await?
        .ok_or_else(|| Error::not_found(format!("person {person}")))?;
    let (secret, h) = new_secret("vsl_");
    let tx = store.tx_quiet().await?;
    tx.insert_login_link(&h, person, ms(now), ms(now) + LINK_TTL_MS)
        .await?;
    tx.prune_console(ms(now) - SESSION_MAX_MS).await?;
    tx.commit().await?;
    Ok(secret)
}

/// The person `who` names: a handle, an email address or a phone number.
pub async fn find_person(store: &Store, who: &str) -> Result<Option<PersonRow>> {
    let who = who.trim();
    if who.is_empty() || who.len() > 254 {
        return Ok(None);
    }
    if let Some(p) = store.load_person(&who.to_ascii_lowercase()).await? {
        return Ok(Some(p));
    }
    Ok(store.load_people().await?.into_iter().find(|p| {
        p.email
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(who))
            || p.phone.as_deref() == Some(who)
    }))
}

/// Where a sign-in link for `p` goes: the first of email, SMS and chat the
/// person has, else the console (the server's log, for development).
pub fn sign_in_channel(p: &PersonRow) -> (rules::Channel, String) {
    use rules::Channel;
    if let Some(e) = &p.email {
        (Channel::Email, e.clone())
    } else if let Some(ph) = &p.phone {
        (Channel::Sms, ph.clone())
    } else if let Some(c) = &p.chat {
        (Channel::Chat, c.clone())
    } else {
        (Channel::Console, String::new())
    }
}

/// The role a person's session gets: admin if they hold a live admin API
/// token; lead of the teams they lead (as a team's lead or by a lead
/// token); else responder.
pub async fn role_of(store: &Store, person: &str) -> Result<(String, Vec<String>)> {
    if store.holds_admin_token(person).await? {
        return Ok(("admin".into(), Vec::new()));
    }
    let mut teams = store.lead_token_teams(person).await?;
    teams.extend(
        store
            .load_teams()
            .await?
            .into_iter()
            .filter(|t| t.lead.as_deref() == Some(person))
            .map(|t| t.slug),
    );
    teams.sort();
    teams.dedup();
    if teams.is_empty() {
        Ok(("responder".into(), teams))
    } else {
        Ok(("lead".into(), teams))
    }
}

/// A started session: the secret for the cookie, and its row.
pub struct Started {
    pub secret: String,
    pub session: SessionRow,
}

async fn start(
    store: &Store,
    person: &str,
    role: (String, Vec<String>),
    agent: &str,
    audit: (&str, serde_json::Value),
    now: Instant,
) -> Result<Started> {
    let (secret, h) = new_secret("vss_");
    let row = SessionRow {
        id: new_id("ses_"),
        person: person.to_string(),
        role: role.0,
        teams: role.1,
        csrf: new_secret("").0,
        agent: agent.chars().take(200).collect(),
        created_ms: ms(now),
        last_seen_ms: ms(now),
        expires_ms: ms(now) + SESSION_IDLE_MS,
        revoked_ms: None,
    };
    let tx = store.tx_quiet().await?;
    tx.insert_session(&h, &row).await?;
    let actor = if person.is_empty() {
        row.id.as_str()
    } else {
        person
    };
    tx.audit(now.timestamp(), actor, audit.0, &row.id, audit.1)
        .await?;
    tx.commit().await?;
    Ok(Started {
        secret,
        session: row,
    })
}

/// Signs in with a one-time link; None when the link is unknown, used or
/// expired (the same answer for each, so nothing is revealed).
pub async fn sign_in_with_link(
    store: &Store,
    secret: &str,
    agent: &str,
    now: Instant,
) -> Result<Option<Started>> {
    let tx = store.tx_quiet().await?;
    let person = tx.use_login_link(&hash(secret), ms(now)).await?;
    tx.commit().await?;
    let Some(person) = person else {
        return Ok(None);
    };
    if store.load_person(&person).await?.is_none() {
        return Ok(None);
    }
    let role = role_of(store, &person).await?;
    let audit = ("session.create", json!({ "via": "link", "role": role.0 }));
    Ok(Some(start(store, &person, role, agent, audit, now).await?))
}

/// Exchanges a live API token for a session with the token's role. A token
/// with no person gives a session with no profile.
pub async fn sign_in_with_token(
    store: &Store,
    tokens: &super::directory::TokenCache,
    secret: &str,
    agent: &str,
    now: Instant,
) -> Result<Option<Started>> {
    let Some((row, _)) = super::directory::authenticate(store, tokens, secret.trim()).await? else {
        return Ok(None);
    };
    let person = row.person.clone().unwrap_or_default();
    let audit = (
        "session.create",
        json!({ "via": "token", "token": row.id, "role": row.role }),
    );
    Ok(Some(
        start(store, &person, (row.role, row.teams), agent, audit, now).await?,
    ))
}

/// The live session whose secret this is; moves its idle expiry forward.
pub async fn session(store: &Store, secret: &str, now: Instant) -> Result<Option<SessionRow>> {
    let Some(mut s) = store.find_session(&hash(secret)).await? else {
        return Ok(None);
    };
    let t = ms(now);
    if s.revoked_ms.is_some() || s.expires_ms <= t || s.created_ms + SESSION_MAX_MS <= t {
        return Ok(None);
    }
    if t - s.last_seen_ms >= TOUCH_EVERY_MS {
        let expires = (t + SESSION_IDLE_MS).min(s.created_ms + SESSION_MAX_MS);
        let tx = store.tx_quiet().await?;
        tx.touch_session(&s.id, t, expires).await?;
        tx.commit().await?;
        s.last_seen_ms = t;
        s.expires_ms = expires;
    }
    Ok(Some(s))
}

/// A person's live sessions.
pub async fn sessions(store: &Store, person: &str, now: Instant) -> Result<Vec<SessionRow>> {
    Ok(store.sessions_of(person, ms(now)).await?)
}

/// Ends session `id`, which must be `person`'s (None: any, for sign-out).
pub async fn revoke_session(
    store: &Store,
    id: &str,
    person: Option<&str>,
    actor: &str,
    now: Instant,
) -> Result<()> {
    let tx = store.tx_quiet().await?;
    if tx.revoke_session(id, person, ms(now)).await? == 0 {
        return Err(Error::not_found(format!("session {id}")));
    }
    tx.audit(now.timestamp(), actor, "session.revoke", id, json!({}))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The contact channels a person sets in the console.
pub const CONTACT_CHANNELS: [&str; 3] = ["email", "sms", "chat"];

fn check_address(channel: &str, address: &str) -> Result<()> {
    match channel {
        "email" => rules::check_email(address).map_err(|m| Error::invalid("address", m)),
        "sms" => rules::check_phone(address).map_err(|m| Error::invalid("address", m)),
        "chat" if !address.trim().is_empty() && address.chars().count() <= 64 => Ok(()),
        "chat" => Err(Error::invalid(
            "address",
            "a Slack user id is 1–64 characters",
        )),
        other => Err(Error::invalid(
            "channel",
            format!("\"{other}\" is not one of email, sms, chat"),
        )),
    }
}

/// Starts verifying `address` for `person` on `channel`: returns the
/// six-digit code to send to it. The address is not used for pages until
/// the code comes back.
pub async fn start_contact(
    store: &Store,
    person: &str,
    channel: &str,
    address: &str,
    now: Instant,
) -> Result<String> {
    let address = address.trim();
    check_address(channel, address)?;
    let code = format!("{:06}", rand::random::<u32>() % 1_000_000);
    let tx = store.tx_quiet().await?;
    tx.put_contact_code(&ContactCodeRow {
        person: person.to_string(),
        channel: channel.to_string(),
        address: address.to_string(),
        code_hash: hash(&format!("{person}:{channel}:{code}")),
        expires_ms: ms(now) + CODE_TTL_MS,
        attempts: 0,
    })
    .await?;
    tx.commit().await?;
    Ok(code)
}

/// Checks the code; on a match the address becomes the person's contact on
/// that channel (email, phone or chat id), audited.
pub async fn verify_contact(
    store: &Store,
    person: &str,
    channel: &str,
    code: &str,
    now: Instant,
) -> Result<String> {
    use subtle::ConstantTimeEq;
    let pending = store
        .contact_code(person, channel)
        .await?
        .filter(|c| c.expires_ms > ms(now))
        .ok_or_else(|| {
            Error::invalid(
                "code",
                "no code is waiting for this contact method; send a new one",
            )
        })?;
    if pending.attempts >= CODE_TRIES {
        return Err(Error::invalid(
            "code",
            "too many wrong codes; send a new one",
        ));
    }
    let given = hash(&format!("{person}:{channel}:{}", code.trim()));
    if !bool::from(given.as_bytes().ct_eq(pending.code_hash.as_bytes())) {
        let tx = store.tx_quiet().await?;
        tx.count_contact_attempt(person, channel).await?;
        tx.commit().await?;
        return Err(Error::invalid("code", "that code is not the one sent"));
    }
    let detail = json!({ "channel": channel, "address": pending.address });
    let address = pending.address;
    let value = Some(address.clone());
    write_contact(store, person, channel, value, "contact.verify", detail, now).await?;
    Ok(address)
}

/// Sets (or clears) the person's contact on `channel`, read and written in
/// one transaction with its audit entry; any code waiting for it is gone.
async fn write_contact(
    store: &Store,
    person: &str,
    channel: &str,
    value: Option<String>,
    action: &str,
    detail: serde_json::Value,
    now: Instant,
) -> Result<()> {
    let tx = store.tx().await?;
    let mut p = tx
        .load_person(person)
        .await?
        .ok_or_else(|| Error::not_found(format!("person {person}")))?;
    set_contact(&mut p, channel, value);
    tx.upsert_person(&p, now.timestamp()).await?;
    tx.delete_contact_code(person, channel).await?;
    tx.audit(now.timestamp(), person, action, person, detail)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes the person's contact on `channel`.
pub async fn remove_contact(
    store: &Store,
    person: &str,
    channel: &str,
    now: Instant,
) -> Result<()> {
    if !CONTACT_CHANNELS.contains(&channel) {
        return Err(Error::invalid(
            "channel",
            format!("\"{channel}\" is not one of email, sms, chat"),
        ));
    }
    let detail = json!({ "channel": channel });
    write_contact(store, person, channel, None, "contact.remove", detail, now).await
}

fn set_contact(p: &mut PersonRow, channel: &str, v: Option<String>) {
    match channel {
        "email" => p.email = v,
        "sms" => p.phone = v,
        _ => p.chat = v,
    }
}

/// Contact methods waiting for their code: (channel, address).
pub async fn pending_contacts(
    store: &Store,
    person: &str,
    now: Instant,
) -> Result<Vec<(String, String)>> {
    Ok(store.pending_contacts(person, ms(now)).await?)
}

/// The channel of a console contact name.
pub fn channel_of(name: &str) -> Option<rules::Channel> {
    match name {
        "email" => Some(rules::Channel::Email),
        "sms" => Some(rules::Channel::Sms),
        "chat" => Some(rules::Channel::Chat),
        _ => None,
    }
}

/// A person's notification rules as written (empty: the defaults).
pub async fn rules_of(store: &Store, person: &str) -> Result<rules::RulesSpec> {
    use crate::store::AlertReads as _;
    Ok(store
        .load_person_rules(person)
        .await?
        .and_then(|r| serde_json::from_str(&r).ok())
        .unwrap_or_default())
}

/// A person's live calendar feeds: (id, who made it).
pub async fn feeds_of(store: &Store, person: &str) -> Result<Vec<(String, String)>> {
    Ok(store.feeds_of(person).await?)
}
