//! Rotas as domain operations (IO around the PURE rota engine): save (a new
//! rota, a replaced one, an effective-dated edit, one layer changed), and
//! delete. Each builds the rota as it would be, runs the checks, plans what
//! the ladders need, and writes in one transaction guarded by the rota's
//! version. The JSON API and the console both call these.

use super::error::{Error, Result};
use super::ladders::{self, Removal};
use super::{Loaded, RotaCache, build_stored, documents};
use crate::rota::checks::{self, Violation};
use crate::rota::file::defs::{LayerDef, RotaDoc, RotationDef, When};
use crate::rota::{Instant, Rota};
use crate::store::{Reads, RotaRow, ServiceRow, Store, Tx};
use chrono::Duration;
use serde_json::json;
use std::sync::Arc;

/// How far ahead writes are checked.
pub const CHECK_DAYS: i64 = 90;

/// A rota write, as an interface hands it in (already authorised).
pub struct Write {
    pub team: String,
    pub name: String,
    pub doc: RotaDoc,
    /// Apply the edit from this instant on; rotation versions before it stay.
    pub effective_from: Option<Instant>,
    /// The version the writer saw (`If-Match`); required to update.
    pub expected: Option<i64>,
    /// Store it even if it breaks hard rules (a lead asked to).
    pub accept_violations: bool,
    pub actor: String,
    pub now: Instant,
    /// Ladder rewrites planned with the write (a layer removed with a
    /// replacement); None plans them here (and refuses dangling ladders).
    pub rewrites: Option<Vec<ServiceRow>>,
}

impl Write {
    /// An edit of an existing rota's whole document, as the version the
    /// editor saw (the console's forms).
    pub fn edit(
        team: &str,
        name: &str,
        doc: RotaDoc,
        expected: i64,
        accept_violations: bool,
        actor: String,
        now: Instant,
    ) -> Write {
        Write {
            team: team.to_string(),
            name: name.to_string(),
            doc,
            effective_from: None,
            expected: Some(expected),
            accept_violations,
            actor,
            now,
            rewrites: None,
        }
    }
}

pub struct Saved {
    pub row: RotaRow,
    pub created: bool,
    pub warnings: Vec<Violation>,
}

/// A write made ready: the rota as it is (if it exists), the document and
/// row to store, and the rota they build (validated).
pub struct Prepared {
    pub before: Option<Arc<Loaded>>,
    pub doc: RotaDoc,
    pub row: RotaRow,
    pub rota: Rota,
}

/// Checks a write's version, applies an effective date and validates the
/// result, writing nothing (`save` and previews share it).
pub async fn prepare(store: &Store, cache: &RotaCache, w: &Write) -> Result<Prepared> {
    let team_row = store
        .load_team(&w.team)
        .await?
        .ok_or_else(|| Error::not_found(format!("team {}", w.team)))?;
    // The rota as it is now: its row for the version check, its built form
    // for an effective-dated merge and for telling new violations from old.
    let before = cache.load(store, &w.team, &w.name).await?;
    let mut doc = w.doc.clone();
    match (&before, w.expected) {
        (Some(_), None) => {
            return Err(Error::PreconditionRequired(
                "updating a rota needs If-Match with its current ETag".into(),
            ));
        }
        (Some(b), Some(v)) if v != b.row.version => {
            return Err(Error::Conflict(format!(
                "the rota changed since version {v}; it is now at version {}: GET it again and reapply your edit",
                b.row.version
            )));
        }
        (Some(b), _) => {
            if let Some(at) = w.effective_from {
                let old = documents::doc_of(&b.row).map_err(|m| Error::invalid("document", m))?;
                doc = effective_edit(&old, &b.rota, doc, at)?;
            }
        }
        (None, _) if w.effective_from.is_some() => {
            return Err(Error::invalid(
                "effective_from",
                "a new rota has no history to keep; leave effective_from out",
            ));
        }
        (None, _) => {}
    }
    let row = RotaRow {
        team: w.team.clone(),
        name: w.name.clone(),
        document: documents::stored(&doc),
        version: 1,
        origin: "api".into(),
        updated_at: w.now.timestamp(),
    };
    let rota = validate(store, &team_row, &row).await?;
    Ok(Prepared {
        before,
        doc,
        row,
        rota,
    })
}

/// Creates or updates a rota.
pub async fn save(store: &Store, cache: &RotaCache, w: Write) -> Result<Saved> {
    let Prepared {
        before,
        doc,
        row,
        rota,
    } = prepare(store, cache, &w).await?;
    let now = w.now.timestamp();
    let warnings = enforce_checks(
        &rota,
        before.as_ref().map(|l| &l.rota),
        w.now,
        w.accept_violations,
    )?;
    // A layer that ladders page through cannot disappear with the edit.
    let rewrites = match w.rewrites {
        Some(r) => r,
        None if before.is_some() => {
            let removal = Removal::RotaBecomes {
                team: &w.team,
                rota: &w.name,
                new: &rota,
            };
            plan(store, cache, removal, None).await?
        }
        None => Vec::new(),
    };
    let tx = store.tx().await?;
    write_rewrites(&tx, &rewrites, &w.actor, now).await?;
    let version = match &before {
        Some(b) => {
            tx.update_rota(&w.team, &w.name, b.row.version, &row.document, "api", now)
                .await?
        }
        None => {
            tx.insert_rota(&row).await?;
            1
        }
    };
    let action = if before.is_some() {
        "rota.update"
    } else {
        "rota.create"
    };
    tx.audit(
        now,
        &w.actor,
        action,
        &format!("{}/{}", w.team, w.name),
        json!({ "version": version, "effective_from": w.effective_from.map(crate::rota::civil::utc_text),
                "accepted_violations": w.accept_violations && !warnings.is_empty(),
                "before": before.as_ref().map(|b| documents::doc_of(&b.row).ok().map(|d| documents::to_json(&d))),
                "after": documents::to_json(&doc) }),
    )
    .await?;
    tx.commit().await?;
    Ok(Saved {
        row: RotaRow { version, ..row },
        created: before.is_none(),
        warnings,
    })
}

/// Deletes a rota (refused while ladders page through it, unless
/// `replace_with` names the rota that takes its place).
#[allow(clippy::too_many_arguments)]
pub async fn delete(
    store: &Store,
    cache: &RotaCache,
    team: &str,
    name: &str,
    expected: Option<i64>,
    replace_with: Option<&str>,
    actor: &str,
    now: Instant,
) -> Result<()> {
    let old = store
        .load_rota(team, name)
        .await?
        .ok_or_else(|| Error::not_found(format!("rota {team}/{name}")))?;
    if let Some(v) = expected
        && v != old.version
    {
        return Err(Error::Conflict(format!(
            "the rota is at version {}, not {v}",
            old.version
        )));
    }
    let rewrites = plan(
        store,
        cache,
        Removal::Rota { team, rota: name },
        replace_with,
    )
    .await?;
    let tx = store.tx().await?;
    write_rewrites(&tx, &rewrites, actor, now.timestamp()).await?;
    tx.delete_rota(team, name).await?;
    tx.audit(
        now.timestamp(),
        actor,
        "rota.delete",
        &format!("{team}/{name}"),
        json!({ "version": old.version, "before": documents::doc_of(&old).ok().map(|d| documents::to_json(&d)) }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The stored rota, or NotFound.
pub async fn loaded(
    store: &Store,
    cache: &RotaCache,
    team: &str,
    name: &str,
) -> Result<Arc<Loaded>> {
    cache
        .load(store, team, name)
        .await?
        .ok_or_else(|| Error::not_found(format!("rota {team}/{name}")))
}

/// The rota's document, to edit one layer of it.
pub async fn document(store: &Store, team: &str, name: &str) -> Result<(RotaRow, RotaDoc)> {
    let row = store
        .load_rota(team, name)
        .await?
        .ok_or_else(|| Error::not_found(format!("rota {team}/{name}")))?;
    let doc = documents::doc_of(&row).map_err(|m| Error::invalid("document", m))?;
    Ok((row, doc))
}

/// `doc` with layer `name` set to `layer` (added if new).
pub fn put_layer(mut doc: RotaDoc, name: &str, mut layer: LayerDef) -> RotaDoc {
    layer.name = name.to_string();
    match doc.layers.iter_mut().find(|l| l.name == name) {
        Some(slot) => *slot = layer,
        None => doc.layers.push(layer),
    }
    doc
}

/// `doc` without layer `name`, or None if it has no such layer.
pub fn without_layer(mut doc: RotaDoc, name: &str) -> Option<RotaDoc> {
    let before = doc.layers.len();
    doc.layers.retain(|l| l.name != name);
    (doc.layers.len() < before).then_some(doc)
}

/// Ladder rewrites for `removal` with `replace_with`, or the error that
/// refuses it (services whose ladders would name something gone).
pub async fn plan(
    store: &Store,
    cache: &RotaCache,
    removal: Removal<'_>,
    replace_with: Option<&str>,
) -> Result<Vec<ServiceRow>> {
    let plan = ladders::plan_removal(store, cache, removal, replace_with).await?;
    if plan.dangling.is_empty() {
        return Ok(plan.rewrites);
    }
    let names: Vec<String> = plan
        .dangling
        .iter()
        .map(|d| format!("{} ({}: {})", d.service, d.field, d.reason))
        .collect();
    let hint = if replace_with.is_some() {
        "; the replacement does not fit them either"
    } else {
        "; name what replaces it with ?replace_with=…, or change those ladders first"
    };
    Err(Error::Dangling {
        message: format!(
            "{} service(s) page through this: {}{hint}",
            plan.dangling.len(),
            names.join(", ")
        ),
        services: plan.dangling,
    })
}

/// Writes rewritten ladders, each in the audit log.
pub async fn write_rewrites(tx: &Tx, rows: &[ServiceRow], actor: &str, now: i64) -> Result<()> {
    for r in rows {
        tx.upsert_service(r, now).await?;
        tx.audit(
            now,
            actor,
            "service.update",
            &r.id,
            json!({ "team": r.team, "ladder": serde_json::from_str::<serde_json::Value>(&r.ladder).ok(), "reason": "a target it named was replaced" }),
        )
        .await?;
    }
    Ok(())
}

/// An effective-dated edit (PURE): for each layer of the new document, the
/// rotation versions of the old one that took effect before `at` are kept,
/// and the new rotations follow, the first taking effect at `at`.
/// Changed hours (restrictions) go with the new versions, so earlier
/// shifts keep the old ones; checks judge and take the new values.
pub fn effective_edit(
    old: &RotaDoc,
    old_rota: &Rota,
    mut new: RotaDoc,
    at: Instant,
) -> Result<RotaDoc> {
    for (i, l) in old.layers.iter().enumerate() {
        if !new.layers.iter().any(|n| n.name == l.name) {
            return Err(Error::invalid(
                format!("document.layers[{i}]"),
                format!(
                    "layer {} is missing; an effective-dated edit keeps every layer (leave effective_from out to replace the whole rota)",
                    l.name
                ),
            ));
        }
    }
    for (li, layer) in new.layers.iter_mut().enumerate() {
        let (Some(old_i), Some(old_layer)) = (
            old_rota.layer(&layer.name),
            old.layers.iter().find(|l| l.name == layer.name),
        ) else {
            continue;
        };
        if layer.rotations.is_empty() {
            return Err(Error::invalid(
                format!("document.layers[{li}].rotations"),
                "a layer needs rotations",
            ));
        }
        let mut fresh = std::mem::take(&mut layer.rotations);
        // New hours apply from `at` too: the new versions carry them and
        // the layer keeps its old ones for the versions before.
        if layer.restrictions != old_layer.restrictions {
            for r in fresh.iter_mut().filter(|r| r.restrictions.is_none()) {
                r.restrictions = Some(layer.restrictions.clone());
            }
            layer.restrictions = old_layer.restrictions.clone();
        }
        layer.rotations = effective_layer(old_layer, &old_rota.layers[old_i], fresh, at);
    }
    Ok(new)
}

/// One layer's rotations after an effective-dated edit (PURE): the old
/// versions that took effect before `at`, then `fresh`, the first of them
/// taking effect at `at`.
pub fn effective_layer(
    old: &LayerDef,
    built: &crate::rota::Layer,
    mut fresh: Vec<RotationDef>,
    at: Instant,
) -> Vec<RotationDef> {
    let mut all: Vec<RotationDef> = old
        .rotations
        .iter()
        .zip(&built.rotations)
        .filter(|(_, b)| b.effective_from.is_none_or(|e| e < at))
        .map(|(raw, _)| raw.clone())
        .collect();
    if let Some(first) = fresh.first_mut() {
        first.effective_from = Some(When::Text(crate::rota::civil::utc_text(at)));
    }
    all.append(&mut fresh);
    all
}

/// Builds the rota as it would be stored, or says what is wrong with it
/// (every mistake, the first as the field at fault).
pub async fn validate(
    db: &impl Reads,
    team: &crate::store::TeamRow,
    row: &RotaRow,
) -> Result<Rota> {
    build_stored(db, team, row, &[]).await?.map_err(|errs| {
        let details: Vec<(String, String)> = errs
            .0
            .iter()
            .map(|e| (format!("document.{}", e.field), e.message.clone()))
            .collect();
        let (field, message) = details.first().cloned().unwrap_or_default();
        Error::Invalid {
            field,
            message,
            details,
        }
    })
}

/// Runs the checks over the coming `CHECK_DAYS`. A hard violation that this
/// write introduces (one the rota `before` it did not have) refuses the
/// write unless `accepted` (a lead of the team asked to store it anyway);
/// an earlier, accepted one does not block others' writes. Returns every
/// violation found, as warnings.
pub fn enforce_checks(
    rota: &Rota,
    before: Option<&Rota>,
    now: Instant,
    accepted: bool,
) -> Result<Vec<Violation>> {
    let window = (now, now + Duration::days(CHECK_DAYS));
    let found = checks::check(rota, window.0, window.1);
    let old = before
        .map(|b| checks::check(b, window.0, window.1))
        .unwrap_or_default();
    let new_hard: Vec<&Violation> = found
        .iter()
        .filter(|v| rota.checks.hard.contains(&v.rule) && !old.contains(v))
        .collect();
    if !new_hard.is_empty() && !accepted {
        return Err(Error::Rules {
            message: format!(
                "{} hard rule violation(s): {}",
                new_hard.len(),
                new_hard[0].message
            ),
            violations: found,
        });
    }
    Ok(found)
}
