//! Who is on call and the shifts of a window, per rota and per person
//! across teams (IO: rotas come from the cache, built from the store).

use super::error::{Error, Result};
use super::{Loaded, RotaCache};
use crate::rota::{Instant, Shift, shifts};
use crate::store::{Reads, Store};
use std::sync::Arc;

/// The rota `team/name` at change counter `generation` (read by the caller,
/// for a request when it was authenticated: one query fewer).
pub async fn rota_at(
    store: &Store,
    cache: &RotaCache,
    generation: i64,
    team: &str,
    name: &str,
) -> Result<Arc<Loaded>> {
    cache
        .load_at(store, generation, team, name)
        .await?
        .ok_or_else(|| Error::not_found(format!("rota {team}/{name}")))
}

/// Every rota's shifts of one person in [from, to), across teams, sorted by
/// start, at change counter `generation`.
pub async fn person_shifts_between(
    store: &Store,
    cache: &RotaCache,
    generation: i64,
    handle: &str,
    from: Instant,
    to: Instant,
) -> Result<Vec<(Arc<Loaded>, Shift)>> {
    let mut out = Vec::new();
    for row in store.load_rotas(None).await? {
        let Some(l) = cache
            .load_at(store, generation, &row.team, &row.name)
            .await?
        else {
            continue;
        };
        let Some(me) = l.rota.person(handle) else {
            continue;
        };
        for s in shifts::shifts_between(&l.rota, from, to)
            .into_iter()
            .filter(|s| s.person == me)
        {
            out.push((l.clone(), s));
        }
    }
    out.sort_by_key(|(_, s)| s.start);
    Ok(out)
}

/// The change counter now (what a request reads once).
pub async fn generation(store: &Store) -> Result<i64> {
    Ok(store.generation().await?)
}
