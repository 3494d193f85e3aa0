//! Overrides as domain operations (IO): add one (checked and written in one
//! transaction that holds the rota's row, so two overrides are never both
//! checked against the same old version) and remove one.

use super::error::{Error, Result};
use super::rotas::enforce_checks;
use super::{RotaCache, build_stored};
use crate::rota::Instant;
use crate::rota::checks::Violation;
use crate::rota::civil::{InstantError, parse_instant};
use crate::store::{OverrideRow, Reads, Store};
use serde_json::json;

/// An override as an interface hands it in (already authorised; times as
/// written: RFC 3339, or local times in the rota's zone).
pub struct NewOverride {
    pub team: String,
    pub rota: String,
    pub layer: String,
    /// replace, add or remove.
    pub kind: String,
    pub start: String,
    pub end: String,
    pub person: Option<String>,
    pub replaces: Option<String>,
    pub note: Option<String>,
    /// Store it even if it breaks hard rules (a lead asked to).
    pub accept_violations: bool,
    /// The rota version the writer saw (`If-Match`), if they named one.
    pub expected: Option<i64>,
    pub actor: String,
}

pub struct Added {
    pub row: OverrideRow,
    /// The rota's version after the write.
    pub version: i64,
    pub warnings: Vec<Violation>,
}

pub async fn add(store: &Store, cache: &RotaCache, o: NewOverride, now: Instant) -> Result<Added> {
    let team_row = store
        .load_team(&o.team)
        .await?
        .ok_or_else(|| Error::not_found(format!("team {}", o.team)))?;
    let tx = store.tx().await?;
    let version = tx
        .lock_rota_version(&o.team, &o.rota)
        .await?
        .ok_or_else(|| Error::not_found(format!("rota {}/{}", o.team, o.rota)))?;
    if let Some(v) = o.expected
        && v != version
    {
        return Err(Error::Conflict(format!(
            "the rota changed since version {v}; it is now at version {version}: reload it"
        )));
    }
    let before = cache
        .load(&tx, &o.team, &o.rota)
        .await?
        .ok_or_else(|| Error::not_found(format!("rota {}/{}", o.team, o.rota)))?;
    let (row, rota) = proposed(&tx, &team_row, &before, &o).await?;
    let warnings = enforce_checks(&rota, Some(&before.rota), now, o.accept_violations)?;
    let at = now.timestamp();
    tx.insert_override(&row, at).await?;
    let version = tx.touch_rota(&o.team, &o.rota, version, at).await?;
    tx.audit(
        at,
        &o.actor,
        "override.create",
        &format!("{}/{}/{}", o.team, o.rota, row.id),
        json!(row),
    )
    .await?;
    tx.commit().await?;
    Ok(Added {
        row,
        version,
        warnings,
    })
}

/// The override `o` as a row, and the rota as it would be with it (checked
/// the way a write is, so a preview refuses what the write would).
async fn proposed(
    db: &impl Reads,
    team_row: &crate::store::TeamRow,
    before: &super::Loaded,
    o: &NewOverride,
) -> Result<(OverrideRow, crate::rota::Rota)> {
    if !["replace", "add", "remove"].contains(&o.kind.as_str()) {
        return Err(Error::invalid(
            "kind",
            format!("\"{}\" is not one of replace, add, remove", o.kind),
        ));
    }
    let zone = &before.rota.zone;
    let (start, end) = (
        instant_in("start", &o.start, zone)?,
        instant_in("end", &o.end, zone)?,
    );
    if end <= start {
        return Err(Error::invalid("end", "end must be after start"));
    }
    let max = crate::rota::file::limits::MAX_OVERRIDES;
    if db.load_overrides(&o.team, &o.rota).await?.len() >= max {
        return Err(Error::invalid(
            "overrides",
            format!("a rota holds at most {max} overrides; delete old ones first"),
        ));
    }
    let row = OverrideRow {
        id: crate::ids::new_id("ovr_"),
        team: o.team.clone(),
        rota: o.rota.clone(),
        layer: o.layer.clone(),
        kind: o.kind.clone(),
        start: start.timestamp(),
        end: end.timestamp(),
        person: o.person.clone(),
        replaces: o.replaces.clone(),
        note: o.note.clone(),
        created_by: o.actor.clone(),
        source: "override".into(),
    };
    // The rota as it would be with this override.
    let rota = build_stored(db, team_row, &before.row, std::slice::from_ref(&row))
        .await?
        .map_err(|errs| {
            let (field, message) = errs
                .0
                .last()
                .map(|e| (e.field.clone(), e.message.clone()))
                .unwrap_or_default();
            // "overrides[12].person" is this override's "person".
            let field = if field.starts_with("overrides") {
                field.split('.').nth(1).unwrap_or("override").to_string()
            } else {
                field
            };
            Error::invalid(field, message)
        })?;
    Ok((row, rota))
}

/// What an override would do, without writing it.
pub struct Preview {
    /// The rota as it is, and as it would be.
    pub before: std::sync::Arc<super::Loaded>,
    pub after: crate::rota::Rota,
    /// Check results over the coming weeks that the override brings in.
    pub new: Vec<Violation>,
    /// Whether one of them breaks a hard rule (publishing needs a lead's
    /// explicit acceptance).
    pub hard: bool,
}

/// Previews `o`: the rota with it and the violations it would bring in.
pub async fn preview(
    store: &Store,
    cache: &RotaCache,
    o: &NewOverride,
    now: Instant,
) -> Result<Preview> {
    let team_row = store
        .load_team(&o.team)
        .await?
        .ok_or_else(|| Error::not_found(format!("team {}", o.team)))?;
    let before = cache
        .load(store, &o.team, &o.rota)
        .await?
        .ok_or_else(|| Error::not_found(format!("rota {}/{}", o.team, o.rota)))?;
    let (_, after) = proposed(store, &team_row, &before, o).await?;
    let found = enforce_checks(&after, Some(&before.rota), now, true)?;
    let old = enforce_checks(&before.rota, None, now, true)?;
    let new: Vec<Violation> = found.into_iter().filter(|v| !old.contains(v)).collect();
    let hard = new.iter().any(|v| after.checks.hard.contains(&v.rule));
    Ok(Preview {
        before,
        after,
        new,
        hard,
    })
}

/// The override `id` of rota `team/rota`.
pub async fn find(store: &Store, team: &str, rota: &str, id: &str) -> Result<OverrideRow> {
    store
        .load_override(id)
        .await?
        .filter(|o| o.team == team && o.rota == rota)
        .ok_or_else(|| Error::not_found(format!("override {id}")))
}

pub async fn list(store: &Store, team: &str, rota: &str) -> Result<Vec<OverrideRow>> {
    store
        .load_rota(team, rota)
        .await?
        .ok_or_else(|| Error::not_found(format!("rota {team}/{rota}")))?;
    Ok(store.load_overrides(team, rota).await?)
}

/// Removes an override (already authorised), bumping the rota's version.
pub async fn remove(store: &Store, o: &OverrideRow, actor: &str, now: Instant) -> Result<()> {
    let at = now.timestamp();
    let tx = store.tx().await?;
    let version = tx
        .lock_rota_version(&o.team, &o.rota)
        .await?
        .ok_or_else(|| Error::not_found(format!("rota {}/{}", o.team, o.rota)))?;
    tx.delete_override(&o.id).await?;
    tx.touch_rota(&o.team, &o.rota, version, at).await?;
    tx.audit(
        at,
        actor,
        "override.delete",
        &format!("{}/{}/{}", o.team, o.rota, o.id),
        json!(o),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether `person` takes part in a rota of `team` (any layer, any version):
/// a responder may put themselves on call only there.
pub async fn is_member(store: &Store, cache: &RotaCache, team: &str, person: &str) -> Result<bool> {
    for r in store.load_rotas(Some(team)).await? {
        let Some(l) = cache.load(store, team, &r.name).await? else {
            continue;
        };
        if let Some(i) = l.rota.person(person)
            && l.rota.layers.iter().any(|y| {
                y.rotations
                    .iter()
                    .any(|v| v.cadence.participants().contains(&i))
            })
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// An instant written as RFC 3339, or as a local date-time or date in
/// `zone` (as rota files allow): a local time inside a DST gap is refused,
/// one in a repeated hour is its first occurrence.
pub fn instant_in(field: &str, v: &str, zone: &crate::tz::Zone) -> Result<Instant> {
    parse_instant(v, zone).map_err(|e| match e {
        InstantError::Unreadable => Error::invalid(
            field,
            format!(
                "\"{v}\" is not an instant such as 2026-03-08T14:00:00Z, or a local time such as 2026-03-08T09:00 in the rota's zone ({zone})"
            ),
        ),
        InstantError::DoesNotExist => Error::invalid(
            field,
            format!("{v} does not exist in {zone}: the clocks skip it for daylight saving time"),
        ),
    })
}
