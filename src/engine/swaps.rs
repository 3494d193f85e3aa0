//! Swaps as a workflow (IO around a PURE state machine). A person offers one
//! of their shifts, or part of it (`offered`); another participant of the
//! layer accepts, optionally giving one of their own shifts in return
//! (`accepted`); where the team requires it a lead approves. The swap is
//! then applied: replace overrides with source `swap`, written with the
//! swap's new state in one transaction that holds the rota's row. Offers can
//! be declined (lead) or cancelled (offerer or lead) until applied.

use super::error::{Error, Result};
use super::rotas::enforce_checks;
use super::{RotaCache, build_stored};
use crate::rota::checks::Violation;
use crate::rota::interval::Interval;
use crate::rota::{Instant, Rota, shifts};
use crate::store::{HandoffRow, OverrideRow, Reads, Store, SwapRow};
use serde_json::json;

/// What someone does to a swap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A participant takes the offer; `approval` says whether the team wants a lead's.
    Accept {
        approval: bool,
    },
    Approve,
    Decline,
    Cancel,
}

/// The swap's next state (PURE), or why the step does not apply.
pub fn next(state: &str, step: Step) -> std::result::Result<&'static str, String> {
    match (state, step) {
        ("offered", Step::Accept { approval: true }) => Ok("accepted"),
        ("offered", Step::Accept { approval: false }) => Ok("applied"),
        ("accepted", Step::Approve) => Ok("applied"),
        ("offered" | "accepted", Step::Decline) => Ok("declined"),
        ("offered" | "accepted", Step::Cancel) => Ok("cancelled"),
        (s, Step::Accept { .. }) => Err(format!("the swap is {s}, not offered")),
        (s, Step::Approve) => Err(format!("the swap is {s}, not accepted")),
        (s, _) => Err(format!("the swap is already {s}")),
    }
}

/// Whether the person `who` holds layer `layer` (overrides included) for
/// the whole of `iv`.
fn holds(rota: &Rota, layer: usize, who: &str, iv: Interval) -> bool {
    rota.person(who)
        .is_some_and(|p| shifts::holds(rota, layer, p, iv, true))
}

pub async fn list(
    store: &Store,
    cache: &RotaCache,
    team: &str,
    rota: &str,
) -> Result<Vec<SwapRow>> {
    super::rotas::loaded(store, cache, team, rota).await?;
    Ok(store.load_swaps(team, rota).await?)
}

pub async fn find(store: &Store, team: &str, rota: &str, id: &str) -> Result<SwapRow> {
    store
        .load_swap(id)
        .await?
        .filter(|w| w.team == team && w.rota == rota)
        .ok_or_else(|| Error::not_found(format!("swap {id}")))
}

/// `offerer` offers their shift `iv` of `layer`.
#[allow(clippy::too_many_arguments)]
pub async fn offer(
    store: &Store,
    cache: &RotaCache,
    team: &str,
    rota: &str,
    layer: &str,
    offerer: &str,
    iv: Interval,
    note: Option<String>,
    actor: &str,
    now: Instant,
) -> Result<SwapRow> {
    let max = crate::rota::file::limits::MAX_NOTE;
    if note.as_ref().is_some_and(|n| n.chars().count() > max) {
        return Err(Error::invalid("note", format!("at most {max} characters")));
    }
    let l = super::rotas::loaded(store, cache, team, rota).await?;
    let li = l.rota.layer(layer).ok_or_else(|| {
        Error::invalid("layer", format!("rota {team}/{rota} has no layer {layer}"))
    })?;
    if !holds(&l.rota, li, offerer, iv) {
        return Err(Error::invalid(
            "start",
            format!("{offerer} is not on call in layer {layer} for all of the offered time"),
        ));
    }
    let row = SwapRow {
        id: crate::ids::new_id("swp_"),
        team: team.into(),
        rota: rota.into(),
        layer: layer.into(),
        offered_by: offerer.into(),
        start: iv.start.timestamp(),
        end: iv.end.timestamp(),
        taker: None,
        in_return: None,
        state: "offered".into(),
        note,
    };
    let at = now.timestamp();
    let tx = store.tx().await?;
    tx.insert_swap(&row, at).await?;
    tx.add_notices(&notices(&l.rota, &row, now), now.timestamp_millis())
        .await?;
    tx.audit(
        at,
        actor,
        "swap.offer",
        &format!("{team}/{rota}/{}", row.id),
        json!(row),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// `taker` accepts swap `w`, optionally giving their shift `in_return`.
pub async fn accept(
    store: &Store,
    cache: &RotaCache,
    w: SwapRow,
    taker: &str,
    in_return: Option<Interval>,
    actor: &str,
    now: Instant,
) -> Result<(SwapRow, Vec<Violation>)> {
    if taker == w.offered_by {
        return Err(Error::invalid("taker", "you cannot accept your own offer"));
    }
    let l = super::rotas::loaded(store, cache, &w.team, &w.rota).await?;
    let layer = l
        .rota
        .layer(&w.layer)
        .ok_or_else(|| Error::Conflict(format!("layer {} no longer exists", w.layer)))?;
    let member = l.rota.person(taker).is_some_and(|t| {
        l.rota.layers[layer]
            .rotations
            .iter()
            .any(|r| r.cadence.participants().contains(&t))
    });
    if !member {
        return Err(Error::Forbidden(format!(
            "{taker} is not a participant of layer {}",
            w.layer
        )));
    }
    if let Some(iv) = in_return
        && !holds(&l.rota, layer, taker, iv)
    {
        return Err(Error::invalid(
            "in_return.start",
            format!(
                "{taker} is not on call in layer {} for all of that time",
                w.layer
            ),
        ));
    }
    let approval = store
        .load_team(&w.team)
        .await?
        .is_some_and(|t| t.swap_approval);
    let next = SwapRow {
        taker: Some(taker.to_string()),
        in_return: in_return.map(|iv| (iv.start.timestamp(), iv.end.timestamp())),
        ..w
    };
    advance(
        store,
        cache,
        &l.rota,
        next,
        Step::Accept { approval },
        actor,
        now,
    )
    .await
}

/// Moves `w` on by `s` (approve, decline, cancel; accept after its checks),
/// writing the swap's overrides when it becomes applied.
pub async fn step(
    store: &Store,
    cache: &RotaCache,
    w: SwapRow,
    s: Step,
    actor: &str,
    now: Instant,
) -> Result<(SwapRow, Vec<Violation>)> {
    let l = super::rotas::loaded(store, cache, &w.team, &w.rota).await?;
    advance(store, cache, &l.rota, w, s, actor, now).await
}

/// `step` with the rota as loaded (`rota`: who is told, and by what names).
#[allow(clippy::too_many_arguments)]
async fn advance(
    store: &Store,
    cache: &RotaCache,
    rota: &Rota,
    w: SwapRow,
    s: Step,
    actor: &str,
    now: Instant,
) -> Result<(SwapRow, Vec<Violation>)> {
    let from = w.state.clone();
    let state = next(&from, s).map_err(Error::Conflict)?;
    let w = SwapRow {
        state: state.into(),
        ..w
    };
    let at = now.timestamp();
    let told = notices(rota, &w, now);
    let tx = store.tx().await?;
    let mut warnings = Vec::new();
    if state == "applied" {
        let overrides = halves(&w, actor);
        let version = tx
            .lock_rota_version(&w.team, &w.rota)
            .await?
            .ok_or_else(|| Error::not_found(format!("rota {}/{}", w.team, w.rota)))?;
        let team = tx
            .load_team(&w.team)
            .await?
            .ok_or_else(|| Error::not_found(format!("team {}", w.team)))?;
        let before = cache
            .load(&tx, &w.team, &w.rota)
            .await?
            .ok_or_else(|| Error::not_found(format!("rota {}/{}", w.team, w.rota)))?;
        let rota = build_stored(&tx, &team, &before.row, &overrides)
            .await?
            .map_err(|e| {
                Error::Conflict(format!(
                    "the swap no longer fits the rota: {}",
                    e.0.last().map(|e| e.message.clone()).unwrap_or_default()
                ))
            })?;
        warnings = enforce_checks(&rota, Some(&before.rota), now, false)?;
        for o in &overrides {
            tx.insert_override(o, at).await?;
        }
        tx.touch_rota(&w.team, &w.rota, version, at).await?;
    }
    tx.advance_swap(&w, &from, at).await?;
    tx.add_notices(&told, now.timestamp_millis()).await?;
    let action = match s {
        Step::Accept { .. } => "swap.accept",
        Step::Approve => "swap.approve",
        Step::Decline => "swap.decline",
        Step::Cancel => "swap.cancel",
    };
    tx.audit(
        at,
        actor,
        action,
        &format!("{}/{}/{}", w.team, w.rota, w.id),
        json!(w),
    )
    .await?;
    tx.commit().await?;
    Ok((w, warnings))
}

/// Who is told what about swap `w` in its current state (PURE): an offer
/// goes to everyone else on the layer; an acceptance to the offerer and,
/// when it waits for approval, the rota's lead; the outcome to both sides.
/// The notices are written with the swap's step and sent by the dispatcher
/// through each person's contact method, so a crash loses none.
pub fn notices(rota: &Rota, w: &SwapRow, now: Instant) -> Vec<HandoffRow> {
    let name = |id: &str| {
        rota.person(id)
            .map(|p| rota.people[p].name.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let when = |s: i64| {
        let at = chrono::DateTime::from_timestamp(s, 0).unwrap_or_default();
        crate::rota::civil::local(&rota.zone, at)
            .format("%a %-d %b %H:%M")
            .to_string()
    };
    let span = |(a, b): (i64, i64)| format!("from {} to {} {}", when(a), when(b), rota.zone.name());
    let what = format!(
        "on {}/{} ({}) {}",
        w.team,
        w.rota,
        w.layer,
        span((w.start, w.end))
    );
    let offerer = name(&w.offered_by);
    let taker = w.taker.as_deref().map(name).unwrap_or_default();
    let back = w
        .in_return
        .map(|iv| format!(", and {offerer} takes {taker}'s shift {}", span(iv)))
        .unwrap_or_default();
    let mut out: Vec<(String, String)> = Vec::new();
    let mut tell = |person: &str, text: String| {
        if !person.is_empty() && !out.iter().any(|(p, _)| p == person) {
            out.push((person.to_string(), text));
        }
    };
    match w.state.as_str() {
        "offered" => {
            let note = w
                .note
                .as_ref()
                .map(|n| format!(" Note: “{n}”."))
                .unwrap_or_default();
            let text = format!(
                "Vigil: {offerer} offers their shift {what}.{note} Take it on the rota's calendar in Vigil."
            );
            if let Some(li) = rota.layer(&w.layer) {
                for r in &rota.layers[li].rotations {
                    for p in r.cadence.participants() {
                        let id = &rota.people[p].id;
                        if *id != w.offered_by {
                            tell(id, text.clone());
                        }
                    }
                }
            }
        }
        "accepted" => {
            tell(
                &w.offered_by,
                format!("Vigil: {taker} will take your shift {what}{back} once a lead approves."),
            );
            if let Some(lead) = rota.lead {
                tell(
                    &rota.people[lead].id,
                    format!(
                        "Vigil: {taker} takes {offerer}'s shift {what}{back}: approve or decline it on the rota's calendar."
                    ),
                );
            }
        }
        "applied" => {
            let text =
                format!("Vigil: the swap is on: {taker} holds {offerer}'s shift {what}{back}.");
            tell(&w.offered_by, text.clone());
            tell(w.taker.as_deref().unwrap_or(""), text);
        }
        "declined" | "cancelled" => {
            let text = format!(
                "Vigil: the swap of {offerer}'s shift {what} was {}.",
                w.state
            );
            tell(&w.offered_by, text.clone());
            tell(w.taker.as_deref().unwrap_or(""), text);
        }
        _ => {}
    }
    out.into_iter()
        .map(|(person, text)| HandoffRow {
            id: crate::ids::hash(&format!("swap/{}/{}/{person}", w.id, w.state)),
            team: w.team.clone(),
            rota: w.rota.clone(),
            layer: w.layer.clone(),
            person,
            kind: super::handoffs::MESSAGE.into(),
            start_ms: w.start * 1000,
            end_ms: w.end * 1000,
            other: Some(super::handoffs::written("", &text)),
            due_ms: now.timestamp_millis(),
        })
        .collect()
}

/// The replace overrides an applied swap writes.
fn halves(w: &SwapRow, actor: &str) -> Vec<OverrideRow> {
    let taker = w.taker.clone().unwrap_or_default();
    let half = |suffix: &str, start: i64, end: i64, from: &str, to: &str| OverrideRow {
        id: format!("{}{suffix}", w.id.replacen("swp_", "ovr_", 1)),
        team: w.team.clone(),
        rota: w.rota.clone(),
        layer: w.layer.clone(),
        kind: "replace".into(),
        start,
        end,
        person: Some(to.to_string()),
        replaces: Some(from.to_string()),
        note: Some(format!("swap {}", w.id)),
        created_by: actor.to_string(),
        source: "swap".into(),
    };
    let mut out = vec![half("a", w.start, w.end, &w.offered_by, &taker)];
    if let Some((a, b)) = w.in_return {
        out.push(half("b", a, b, &taker, &w.offered_by));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_machine() {
        assert_eq!(
            next("offered", Step::Accept { approval: false }),
            Ok("applied")
        );
        assert_eq!(
            next("offered", Step::Accept { approval: true }),
            Ok("accepted")
        );
        assert_eq!(next("accepted", Step::Approve), Ok("applied"));
        assert!(next("offered", Step::Approve).is_err());
        assert!(next("applied", Step::Cancel).is_err());
        assert!(next("declined", Step::Accept { approval: false }).is_err());
        assert_eq!(next("accepted", Step::Decline), Ok("declined"));
    }
}
