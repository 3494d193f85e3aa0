//! Services as domain operations (IO): save (its ladder checked against the
//! team), delete, integration keys (random, shown once, stored hashed,
//! revocable) and heartbeats. `spec` is the pure shape they are written in.

mod spec;

pub use spec::*;

use super::error::{Error, Result};
use super::{RotaCache, alerts, ladders};
use crate::rota::Instant;
use crate::store::{AlertReads, ServiceRow, Store};
use serde_json::json;

/// Creates or updates service `id` from `spec` (already authorised for its
/// team); returns the stored row.
pub async fn save(
    store: &Store,
    cache: &RotaCache,
    id: &str,
    spec: &ServiceSpec,
    allow_private_webhooks: bool,
    actor: &str,
    now: Instant,
) -> Result<ServiceRow> {
    valid_id(id).map_err(Error::from)?;
    let team = spec
        .team
        .clone()
        .ok_or_else(|| Error::invalid("team", "a service names its team"))?;
    let view = ladders::team_view(store, cache, &team, None)
        .await?
        .ok_or_else(|| Error::invalid("team", format!("no team {team}")))?;
    let old = store.load_service(id).await?;
    let people = ladders::people(store).await?;
    let mut row = build_row(
        id,
        spec,
        old.as_ref(),
        now.timestamp_millis(),
        &view,
        &|h| people.contains(h),
    )
    .and_then(|row| check_webhooks(&row, allow_private_webhooks).map(|()| row))
    .map_err(Error::from)?;
    // A service written over the API is the API's from now on.
    row.origin = None;
    alerts::service_policy(row.clone()).map_err(|e| Error::invalid("ladder", e.to_string()))?;
    let at = now.timestamp();
    // A write that moves the change counter: the intake keeps services'
    // ladders and maintenance windows until it moves (a quiet write here
    // left the next triggers paging by the old ladder).
    let tx = store.tx().await?;
    tx.upsert_service(&row, at).await?;
    tx.audit(at, actor, "service.put", id, json!(row)).await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn find(store: &Store, id: &str) -> Result<ServiceRow> {
    store
        .load_service(id)
        .await?
        .ok_or_else(|| Error::not_found(format!("service {id}")))
}

pub async fn list(store: &Store) -> Result<Vec<ServiceRow>> {
    Ok(store.load_services().await?)
}

pub async fn delete(store: &Store, id: &str, actor: &str, now: Instant) -> Result<()> {
    let at = now.timestamp();
    let tx = store.tx().await?;
    tx.delete_service(id).await?;
    tx.audit(at, actor, "service.delete", id, json!({})).await?;
    tx.commit().await?;
    Ok(())
}

/// A new integration key of `kind` (events or alertmanager): (key id, secret).
pub async fn create_key(
    store: &Store,
    service: &str,
    kind: &str,
    actor: &str,
    now: Instant,
) -> Result<(String, String)> {
    if !matches!(kind, "events" | "alertmanager") {
        return Err(Error::invalid("kind", "kind is events or alertmanager"));
    }
    let (secret, hash) = crate::ids::new_secret("vik_");
    let key_id = crate::ids::new_id("key_");
    let at = now.timestamp();
    let tx = store.tx().await?;
    tx.insert_integration_key(&key_id, service, &hash, kind, at)
        .await?;
    tx.audit(
        at,
        actor,
        "integration_key.create",
        &key_id,
        json!({ "service": service, "kind": kind }),
    )
    .await?;
    tx.commit().await?;
    Ok((key_id, secret))
}

/// A service's live integration keys: (id, kind, created, in seconds).
pub async fn keys(store: &Store, service: &str) -> Result<Vec<(String, String, i64)>> {
    Ok(store.integration_keys_of(service).await?)
}

pub async fn revoke_key(
    store: &Store,
    service: &str,
    key: &str,
    actor: &str,
    now: Instant,
) -> Result<()> {
    let at = now.timestamp();
    let tx = store.tx().await?;
    if tx.revoke_integration_key(service, key, at).await? == 0 {
        return Err(Error::not_found(format!("key {key}")));
    }
    tx.audit(
        at,
        actor,
        "integration_key.revoke",
        key,
        json!({ "service": service }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The service a live integration key belongs to. Any kind of key works on
/// every intake; the kind only says which URL it was made for.
pub async fn by_key(store: &Store, key: &str) -> Result<Option<String>> {
    Ok(store
        .find_integration_key(&crate::ids::hash(key.trim()))
        .await?
        .map(|k| k.service))
}

/// A heartbeat of service `id`: the next check-in is due a period from now,
/// and a missed-heartbeat alert, if open, resolves. Returns the due instant.
pub async fn heartbeat(
    store: &Store,
    cache: &RotaCache,
    id: &str,
    now: Instant,
) -> Result<Instant> {
    let row = find(store, id).await?;
    let Some(secs) = row.heartbeat_secs else {
        return Err(Error::invalid("heartbeat", "this service has no heartbeat"));
    };
    let due = now + chrono::Duration::seconds(secs);
    let tx = store.tx_quiet().await?;
    tx.set_heartbeat_due(id, Some(due.timestamp_millis()))
        .await?;
    tx.commit().await?;
    alerts::act_on_key(
        store,
        cache,
        id,
        "heartbeat",
        alerts::Action::Resolve,
        "vigil heartbeat",
        "heartbeat",
        now,
    )
    .await?;
    Ok(due)
}
