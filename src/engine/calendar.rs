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
    let rotas = person_rotas(store, cache, generation, handle).await?;
    Ok(shifts_of_person(&rotas, handle, from, to))
}

/// Every rota `handle` is a participant of, as built at `generation`.
pub async fn person_rotas(
    store: &Store,
    cache: &RotaCache,
    generation: i64,
    handle: &str,
) -> Result<Vec<Arc<Loaded>>> {
    let all = cache.load_all_at(store, generation).await?;
    Ok(all
        .into_iter()
        .filter(|l| l.rota.person(handle).is_some())
        .collect())
}

/// `handle`'s shifts in `rotas` between `from` and `to`, by start (PURE).
pub fn shifts_of_person(
    rotas: &[Arc<Loaded>],
    handle: &str,
    from: Instant,
    to: Instant,
) -> Vec<(Arc<Loaded>, Shift)> {
    let mut out = Vec::new();
    for l in rotas {
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
    out
}

/// The change counter now (what a request reads once).
pub async fn generation(store: &Store) -> Result<i64> {
    Ok(store.generation().await?)
}

/// One layer's shifts now and next.
pub struct LayerBoard {
    pub layer: usize,
    /// The shifts holding `now` (several people on a split layer).
    pub now: Vec<Shift>,
    /// The shifts that start next (within 30 days), after the current ones.
    pub next: Vec<Shift>,
}

/// Now and next for every layer of `rota` (PURE).
pub fn now_and_next(rota: &crate::rota::Rota, now: Instant) -> Vec<LayerBoard> {
    let all = shifts::shifts_between(rota, now, now + chrono::Duration::days(30));
    (0..rota.layers.len())
        .map(|layer| {
            let mine: Vec<&Shift> = all.iter().filter(|s| s.layer == layer).collect();
            let current: Vec<Shift> = mine
                .iter()
                .filter(|s| s.start <= now && now < s.end)
                .map(|s| **s)
                .collect();
            let next_start = mine.iter().map(|s| s.start).filter(|t| *t > now).min();
            let next = mine
                .iter()
                .filter(|s| Some(s.start) == next_start)
                .map(|s| **s)
                .collect();
            LayerBoard {
                layer,
                now: current,
                next,
            }
        })
        .collect()
}

/// Every rota with its board, by team and name.
pub async fn board(
    store: &Store,
    cache: &RotaCache,
    generation: i64,
    now: Instant,
) -> Result<Vec<(Arc<Loaded>, Vec<LayerBoard>)>> {
    let all = cache.load_all_at(store, generation).await?;
    Ok(all
        .into_iter()
        .map(|l| {
            let b = now_and_next(&l.rota, now);
            (l, b)
        })
        .collect())
}
