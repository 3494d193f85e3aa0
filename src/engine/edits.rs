//! Editing a rota from a form (IO around the pure edits): a layer's
//! participants changed from an instant on (past shifts stay), previewed
//! as the shifts that change over its first four weeks and the problems
//! the edit brings in, then saved with the version the editor saw.

use super::error::{Error, Result};
use super::rotas::{Write, effective_layer, enforce_checks, prepare};
use super::{RotaCache, documents};
use crate::rota::checks::Violation;
use crate::rota::file::defs::RotaDoc;
use crate::rota::{Instant, Rota, Shift, shifts};
use crate::store::{Reads, Store};

/// How far ahead a preview compares shifts.
pub const PREVIEW_DAYS: i64 = 28;

/// `old` with layer `layer`'s rotation from `at` on taking `participants`
/// in that order (PURE): the rotation in effect at `at` is copied with the
/// new people, as a new version from `at`; earlier versions stay.
pub fn with_participants(
    old: &RotaDoc,
    old_rota: &Rota,
    layer: &str,
    participants: Vec<String>,
    at: Instant,
) -> Result<RotaDoc> {
    let li = old
        .layers
        .iter()
        .position(|l| l.name == layer)
        .ok_or_else(|| Error::invalid("layer", format!("no layer {layer}")))?;
    let built = old_rota
        .layer(layer)
        .map(|i| &old_rota.layers[i])
        .ok_or_else(|| Error::invalid("layer", format!("no layer {layer}")))?;
    if participants.is_empty() {
        return Err(Error::invalid("participants", "at least one person"));
    }
    let current = current_rotation(&old.layers[li], built, at)
        .ok_or_else(|| Error::invalid("layer", "the layer has no rotation"))?;
    let mut fresh = current.clone();
    fresh.participants = participants;
    if fresh
        .first
        .as_ref()
        .is_some_and(|f| !fresh.participants.contains(f))
    {
        fresh.first = None;
    }
    fresh.name = None;
    let mut doc = old.clone();
    doc.layers[li].rotations = effective_layer(&old.layers[li], built, vec![fresh], at);
    Ok(doc)
}

/// The rotation of a layer in effect at `at` (PURE): the last version that
/// took effect by then (the first, before any did).
pub fn current_rotation<'a>(
    def: &'a crate::rota::file::defs::LayerDef,
    built: &crate::rota::Layer,
    at: Instant,
) -> Option<&'a crate::rota::file::defs::RotationDef> {
    def.rotations
        .iter()
        .zip(&built.rotations)
        .filter(|(_, b)| b.effective_from.is_none_or(|e| e <= at))
        .map(|(raw, _)| raw)
        .next_back()
        .or(def.rotations.first())
}

/// What an edit would do.
pub struct EditPreview {
    pub after: Rota,
    /// Shifts over the coming weeks that go, and that come.
    pub removed: Vec<Shift>,
    pub added: Vec<Shift>,
    /// Problems the edit brings in; whether one breaks a hard rule.
    pub new: Vec<Violation>,
    pub hard: bool,
}

/// Previews write `w` (nothing is written), comparing the shifts of the
/// four weeks from `from` (the edit's date).
pub async fn preview(
    store: &Store,
    cache: &RotaCache,
    w: &Write,
    from: Instant,
) -> Result<EditPreview> {
    let p = prepare(store, cache, w).await?;
    let before = p
        .before
        .ok_or_else(|| Error::not_found(format!("rota {}/{}", w.team, w.name)))?;
    let from = from.max(w.now);
    let to = from + chrono::Duration::days(PREVIEW_DAYS);
    let key = |s: &Shift, r: &Rota| {
        (
            r.layers[s.layer].name.clone(),
            r.people[s.person].id.clone(),
            s.start,
            s.end,
        )
    };
    let old = shifts::clipped_between(&before.rota, from, to);
    let new = shifts::clipped_between(&p.rota, from, to);
    let old_keys: Vec<_> = old.iter().map(|s| key(s, &before.rota)).collect();
    let new_keys: Vec<_> = new.iter().map(|s| key(s, &p.rota)).collect();
    let removed = old
        .iter()
        .zip(&old_keys)
        .filter(|(_, k)| !new_keys.contains(k))
        .map(|(s, _)| *s)
        .collect();
    let added = new
        .iter()
        .zip(&new_keys)
        .filter(|(_, k)| !old_keys.contains(k))
        .map(|(s, _)| *s)
        .collect();
    let found = enforce_checks(&p.rota, Some(&before.rota), w.now, true)?;
    let was = enforce_checks(&before.rota, None, w.now, true)?;
    let new: Vec<Violation> = found.into_iter().filter(|v| !was.contains(v)).collect();
    let hard = new.iter().any(|v| p.rota.checks.hard.contains(&v.rule));
    Ok(EditPreview {
        after: p.rota,
        removed,
        added,
        new,
        hard,
    })
}

/// The stored document of a built rota (read from its row, no query).
pub fn document(l: &super::Loaded) -> Result<RotaDoc> {
    documents::doc_of(&l.row).map_err(|m| Error::invalid("document", m))
}

/// When and by whom the rota (or an override or swap of it) last changed.
pub async fn last_change(store: &Store, team: &str, name: &str) -> Result<Option<(i64, String)>> {
    Ok(store.last_change(&format!("{team}/{name}")).await?)
}
