//! The directory as domain operations (IO): teams, people, API tokens and
//! the audit log. Each write validates, checks what ladders depend on, and
//! writes with its audit entry in one transaction.

use super::RotaCache;
use super::error::{Error, Result};
use super::ladders::Removal;
use super::rotas::{plan, write_rewrites};
use crate::escalation::rules::{self, RulesSpec};
use crate::rota::Instant;
use crate::store::{AlertReads, PersonRow, Reads, RotaRow, Store, TeamRow, TokenRow};
use serde_json::json;

/// Slugs and handles: 1–64 of `a-z 0-9 _ . -`.
pub fn check_slug(field: &str, v: &str) -> Result<()> {
    let ok = !v.is_empty()
        && v.len() <= 64
        && v.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            format!("\"{v}\" must be 1–64 characters of a-z, 0-9, _ . -"),
        ))
    }
}

pub fn check_zone(field: &str, v: &str) -> Result<()> {
    if crate::tz::Zone::named(v).is_some() {
        return Ok(());
    }
    let spelled = crate::tz::zone_names()
        .iter()
        .find(|n| n.eq_ignore_ascii_case(v));
    let m = match spelled {
        Some(n) => format!("unknown time zone \"{v}\"; zone names are spelled exactly: \"{n}\""),
        None => format!("unknown time zone \"{v}\" (use an IANA name such as Europe/Berlin)"),
    };
    Err(Error::invalid(field, m))
}

fn action(what: &str, existed: bool) -> String {
    format!("{what}.{}", if existed { "update" } else { "create" })
}

pub async fn teams(store: &Store) -> Result<Vec<TeamRow>> {
    Ok(store.load_teams().await?)
}

pub async fn team(store: &Store, slug: &str) -> Result<TeamRow> {
    store
        .load_team(slug)
        .await?
        .ok_or_else(|| Error::not_found(format!("team {slug}")))
}

/// The rotas of a team.
pub async fn rotas_of(store: &Store, slug: &str) -> Result<Vec<RotaRow>> {
    team(store, slug).await?;
    Ok(store.load_rotas(Some(slug)).await?)
}

/// Creates or updates a team; returns it and whether it existed. Taking a
/// lead away whom a ladder pages (`lead`) is refused.
pub async fn save_team(
    store: &Store,
    cache: &RotaCache,
    row: TeamRow,
    actor: &str,
    now: Instant,
) -> Result<(TeamRow, bool)> {
    check_slug("team", &row.slug)?;
    check_zone("timezone", &row.timezone)?;
    let existing = store.load_team(&row.slug).await?;
    if let Some(l) = &row.lead
        && store.load_person(l).await?.is_none()
    {
        return Err(Error::invalid("lead", format!("unknown person \"{l}\"")));
    }
    if existing.as_ref().is_some_and(|t| t.lead.is_some()) && row.lead.is_none() {
        plan(store, cache, Removal::Lead(&row.slug), None).await?;
    }
    let at = now.timestamp();
    let tx = store.tx().await?;
    tx.upsert_team(&row, at).await?;
    tx.audit(
        at,
        actor,
        &action("team", existing.is_some()),
        &row.slug,
        json!(row),
    )
    .await?;
    tx.commit().await?;
    Ok((row, existing.is_some()))
}

/// Deletes a team; its services move to `replace_with`, or the deletion is
/// refused while it has any.
pub async fn delete_team(
    store: &Store,
    cache: &RotaCache,
    slug: &str,
    replace_with: Option<&str>,
    actor: &str,
    now: Instant,
) -> Result<()> {
    team(store, slug).await?;
    let rewrites = plan(store, cache, Removal::Team(slug), replace_with).await?;
    let at = now.timestamp();
    let tx = store.tx().await?;
    write_rewrites(&tx, &rewrites, actor, at).await?;
    if tx.delete_team(slug).await? == 0 {
        return Err(Error::not_found(format!("team {slug}")));
    }
    tx.audit(at, actor, "team.delete", slug, json!({})).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn people(store: &Store) -> Result<Vec<PersonRow>> {
    Ok(store.load_people().await?)
}

pub async fn person(store: &Store, handle: &str) -> Result<PersonRow> {
    store
        .load_person(handle)
        .await?
        .ok_or_else(|| Error::not_found(format!("person {handle}")))
}

/// Whether a person exists (for authorisation: only admins create people).
pub async fn person_exists(store: &Store, handle: &str) -> Result<bool> {
    Ok(store.load_person(handle).await?.is_some())
}

/// Creates or updates a person and their notification rules; returns
/// whether they existed.
pub async fn save_person(
    store: &Store,
    row: PersonRow,
    rules: Option<RulesSpec>,
    actor: &str,
    now: Instant,
) -> Result<bool> {
    check_slug("handle", &row.handle)?;
    if row.name.trim().is_empty() || row.name.chars().count() > 200 {
        return Err(Error::invalid("name", "name must be 1–200 characters"));
    }
    if let Some(e) = &row.email {
        rules::check_email(e).map_err(|m| Error::invalid("email", m))?;
    }
    if let Some(ph) = &row.phone {
        rules::check_phone(ph).map_err(|m| Error::invalid("phone", m))?;
    }
    if let Some(c) = &row.chat
        && (c.trim().is_empty() || c.chars().count() > 64)
    {
        return Err(Error::invalid("chat", "a Slack user id is 1–64 characters"));
    }
    if let Some(z) = &row.timezone {
        check_zone("timezone", z)?;
    }
    if let Some(r) = &rules {
        rules::validate(r).map_err(Error::from)?;
    }
    let rules = rules
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| Error::invalid("rules", e.to_string()))?;
    let existed = store.load_person(&row.handle).await?.is_some();
    let at = now.timestamp();
    let tx = store.tx().await?;
    tx.upsert_person(&row, at).await?;
    tx.set_person_rules(&row.handle, rules).await?;
    tx.audit(
        at,
        actor,
        &action("person", existed),
        &row.handle,
        json!(row),
    )
    .await?;
    tx.commit().await?;
    Ok(existed)
}

/// Deletes a person: refused while a rota names them (every rota must
/// still build) or a ladder pages them, unless `replace_with` takes their
/// place in the ladders (and as a team's lead).
pub async fn delete_person(
    store: &Store,
    cache: &RotaCache,
    handle: &str,
    replace_with: Option<&str>,
    actor: &str,
    now: Instant,
) -> Result<()> {
    person(store, handle).await?;
    for r in store.load_rotas(None).await? {
        if let Some(l) = cache.load(store, &r.team, &r.name).await?
            && l.rota.person(handle).is_some_and(|i| {
                l.rota.layers.iter().any(|layer| {
                    layer
                        .rotations
                        .iter()
                        .any(|rot| rot.cadence.participants().contains(&i))
                })
            })
        {
            return Err(Error::Conflict(format!(
                "{handle} is a participant of rota {}/{}; take them out of it first",
                r.team, r.name
            )));
        }
    }
    let rewrites = plan(store, cache, Removal::Person(handle), replace_with).await?;
    let teams = store.load_teams().await?;
    let at = now.timestamp();
    let tx = store.tx().await?;
    write_rewrites(&tx, &rewrites, actor, at).await?;
    // A team this person led is led by the replacement, or by nobody.
    for mut t in teams {
        if t.lead.as_deref() == Some(handle) {
            t.lead = replace_with.map(str::to_string);
            tx.upsert_team(&t, at).await?;
        }
    }
    if tx.delete_person(handle).await? == 0 {
        return Err(Error::not_found(format!("person {handle}")));
    }
    tx.audit(at, actor, "person.delete", handle, json!({}))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A new API token: (id, secret). The secret is shown once and not stored.
pub async fn issue_token(
    store: &Store,
    role: &str,
    teams: Vec<String>,
    person: Option<String>,
    actor: &str,
    now: Instant,
) -> Result<(String, String)> {
    match role {
        "admin" => {}
        "lead" if !teams.is_empty() => {}
        "lead" => {
            return Err(Error::invalid(
                "teams",
                "a lead token names the teams it leads",
            ));
        }
        "responder" if person.is_some() => {}
        "responder" => {
            return Err(Error::invalid(
                "person",
                "a responder token names its person",
            ));
        }
        other => {
            return Err(Error::invalid(
                "role",
                format!("\"{other}\" is not one of admin, lead, responder"),
            ));
        }
    }
    for t in &teams {
        store
            .load_team(t)
            .await?
            .ok_or_else(|| Error::invalid("teams", format!("unknown team \"{t}\"")))?;
    }
    if let Some(p) = &person {
        store
            .load_person(p)
            .await?
            .ok_or_else(|| Error::invalid("person", format!("unknown person \"{p}\"")))?;
    }
    let (secret, hash) = crate::ids::new_secret("vgl_");
    let row = TokenRow {
        id: crate::ids::new_id("tok_"),
        hash,
        role: role.to_string(),
        teams,
        person,
    };
    let at = now.timestamp();
    let tx = store.tx().await?;
    tx.insert_api_token(&row, at).await?;
    tx.audit(
        at,
        actor,
        "token.create",
        &row.id,
        json!({ "role": row.role, "teams": row.teams, "person": row.person }),
    )
    .await?;
    tx.commit().await?;
    Ok((row.id, secret))
}

pub async fn revoke_token(store: &Store, id: &str, actor: &str, now: Instant) -> Result<()> {
    let at = now.timestamp();
    let tx = store.tx().await?;
    if tx.revoke_api_token(id, at).await? == 0 {
        return Err(Error::not_found(format!("token {id}")));
    }
    tx.audit(at, actor, "token.revoke", id, json!({})).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether any API token exists (the first start makes an admin token).
pub async fn has_tokens(store: &Store) -> Result<bool> {
    Ok(store.count_api_tokens().await? > 0)
}

/// One audit entry.
pub struct AuditEntry {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: serde_json::Value,
}

/// The latest `limit` audit entries, newest first.
pub async fn audit(store: &Store, limit: i64) -> Result<Vec<AuditEntry>> {
    audit_filtered(store, None, None, None, limit).await
}

/// Services by team, for views that group them.
pub async fn services(store: &Store) -> Result<Vec<crate::store::ServiceRow>> {
    Ok(store.load_services().await?)
}

/// Known tokens by hash, each valid while the store's change counter is the
/// one it was read at (a revocation bumps the counter).
#[derive(Default)]
pub struct TokenCache {
    inner: std::sync::Mutex<std::collections::HashMap<String, (i64, TokenRow)>>,
}

/// The token whose secret this is (its row and the change counter it was
/// checked at), or None. The hash is looked up by index (or in the cache),
/// then compared in constant time.
pub async fn authenticate(
    store: &Store,
    cache: &TokenCache,
    secret: &str,
) -> Result<Option<(TokenRow, i64)>> {
    use subtle::ConstantTimeEq;
    let h = crate::ids::hash(secret);
    let generation = store.generation().await?;
    let cached = {
        let tokens = cache.inner.lock().unwrap_or_else(|e| e.into_inner());
        tokens
            .get(&h)
            .filter(|(g, _)| *g == generation)
            .map(|(_, r)| r.clone())
    };
    let row = match cached {
        Some(r) => r,
        None => {
            let Some(r) = store.find_api_token(&h).await? else {
                return Ok(None);
            };
            let mut tokens = cache.inner.lock().unwrap_or_else(|e| e.into_inner());
            tokens.retain(|_, (g, _)| *g == generation);
            tokens.insert(h.clone(), (generation, r.clone()));
            r
        }
    };
    if !bool::from(row.hash.as_bytes().ct_eq(h.as_bytes())) {
        return Ok(None);
    }
    Ok(Some((row, generation)))
}

/// Audit entries, newest first (at most `limit`, up to 500): of team `team`
/// (its rotas, overrides and swaps), by actors whose name contains `actor`,
/// of actions starting with `kind` ("rota.", "override.", "swap."…).
pub async fn audit_filtered(
    store: &Store,
    team: Option<&str>,
    actor: Option<&str>,
    kind: Option<&str>,
    limit: i64,
) -> Result<Vec<AuditEntry>> {
    Ok(store
        .audit_filtered(team, actor, kind, limit.clamp(1, 500))
        .await?
        .into_iter()
        .map(|(at, actor, action, target, detail)| AuditEntry {
            at,
            actor,
            action,
            target,
            detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
        })
        .collect())
}

/// The lines that change from `before` to `after` (PURE), each JSON
/// document printed one field per line: ('-', line) removed, ('+', line)
/// added, (' ', line) kept around a change (two lines of context).
pub fn diff(before: &serde_json::Value, after: &serde_json::Value) -> Vec<(char, String)> {
    let (a, b) = (
        serde_json::to_string_pretty(before).unwrap_or_default(),
        serde_json::to_string_pretty(after).unwrap_or_default(),
    );
    let d = similar::TextDiff::from_lines(&a, &b);
    let mut out = Vec::new();
    for group in d.grouped_ops(2) {
        for op in group {
            for c in d.iter_changes(&op) {
                let tag = match c.tag() {
                    similar::ChangeTag::Delete => '-',
                    similar::ChangeTag::Insert => '+',
                    similar::ChangeTag::Equal => ' ',
                };
                out.push((tag, c.value().trim_end().to_string()));
            }
        }
    }
    out
}
