//! Editing a rota from a form (IO around the pure edits): a layer's
//! participants changed from an instant on (past shifts stay), previewed
//! as the shifts that change over its first four weeks and the problems
//! the edit brings in, then saved with the version the editor saw.

use super::error::{Error, Result};
use super::rotas::{Write, effective_layer, enforce_checks, prepare};
use super::{RotaCache, documents};
use crate::rota::checks::Violation;
use crate::rota::file::defs::{CadenceDef, LayerDef, RestrictionDef, RotaDoc, RotationDef, When};
use crate::rota::{Instant, Rota, Shift, shifts};
use crate::store::{Reads, Store};

/// How far ahead a preview compares shifts.
pub const PREVIEW_DAYS: i64 = 28;

/// A layer as the rota edit form gives it.
#[derive(Debug, Clone, Default)]
pub struct LayerChange {
    /// The layer edited; `None` adds a new layer called `name`.
    pub layer: Option<String>,
    pub name: String,
    /// A new layer's role (an existing layer keeps its own).
    pub role: Option<String>,
    /// `None` keeps the current cadence and its settings (a follow-the-sun
    /// rotation, whose groups are edited as code).
    pub cadence: Option<CadenceDef>,
    pub handoff_time: Option<String>,
    pub handoff_day: Option<String>,
    pub handoff_times: Vec<String>,
    pub every: Option<u32>,
    pub participants: Vec<String>,
    /// The layer's hours; empty = all hours.
    pub restrictions: Vec<RestrictionDef>,
    /// A new layer's gaps are problems (an existing layer keeps its own).
    pub coverage_required: bool,
}

/// `old` with a layer edited or added from `at` on (PURE). An edited
/// layer gets a new rotation version from `at` (cadence, handoff times,
/// participants and hours; earlier versions and so earlier shifts stay);
/// a new layer starts at `at`.
pub fn with_layer(old: &RotaDoc, old_rota: &Rota, c: LayerChange, at: Instant) -> Result<RotaDoc> {
    let text = |v: &Option<String>| {
        v.as_ref()
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
    };
    let mut doc = old.clone();
    let Some(layer) = &c.layer else {
        let name = c.name.trim().to_string();
        if name.is_empty() {
            return Err(Error::invalid("name", "name the new layer"));
        }
        if old.layers.iter().any(|l| l.name == name) {
            return Err(Error::invalid(
                "name",
                format!("there is a layer {name} already"),
            ));
        }
        if c.participants.is_empty() {
            return Err(Error::invalid("participants", "at least one person"));
        }
        let cadence = c
            .cadence
            .filter(|k| *k != CadenceDef::FollowTheSun)
            .ok_or_else(|| {
                Error::invalid(
                    "cadence",
                    "choose a cadence (follow-the-sun layers are written as code)",
                )
            })?;
        let local = crate::rota::civil::local(&old_rota.zone, at);
        doc.layers.push(LayerDef {
            name,
            role: text(&c.role),
            rotations: vec![RotationDef {
                name: None,
                cadence,
                effective_from: Some(When::Text(crate::rota::civil::utc_text(at))),
                start: When::Text(local.format("%Y-%m-%d").to_string()),
                handoff_time: text(&c.handoff_time),
                handoff_day: text(&c.handoff_day),
                handoff_times: (!c.handoff_times.is_empty()).then_some(c.handoff_times),
                every: c.every,
                participants: c.participants,
                first: None,
                groups: Vec::new(),
                dst: None,
                restrictions: None,
            }],
            restrictions: c.restrictions,
            coverage_required: (!c.coverage_required).then_some(false),
        });
        return Ok(doc);
    };
    let li = old
        .layers
        .iter()
        .position(|l| l.name == *layer)
        .ok_or_else(|| Error::invalid("layer", format!("no layer {layer}")))?;
    let built = old_rota
        .layer(layer)
        .map(|i| &old_rota.layers[i])
        .ok_or_else(|| Error::invalid("layer", format!("no layer {layer}")))?;
    let current = current_rotation(&old.layers[li], built, at)
        .ok_or_else(|| Error::invalid("layer", "the layer has no rotation"))?;
    let mut fresh = current.clone();
    match c.cadence {
        None | Some(CadenceDef::FollowTheSun) if current.cadence == CadenceDef::FollowTheSun => {}
        Some(CadenceDef::FollowTheSun) => {
            return Err(Error::invalid(
                "cadence",
                "follow-the-sun rotations are written as code",
            ));
        }
        None => {}
        Some(k) => {
            if c.participants.is_empty() {
                return Err(Error::invalid("participants", "at least one person"));
            }
            fresh.cadence = k;
            fresh.handoff_time = text(&c.handoff_time);
            fresh.handoff_day = text(&c.handoff_day);
            fresh.handoff_times = (!c.handoff_times.is_empty()).then_some(c.handoff_times);
            fresh.every = c.every;
            fresh.participants = c.participants;
            fresh.groups = Vec::new();
            if fresh
                .first
                .as_ref()
                .is_some_and(|f| !fresh.participants.contains(f))
            {
                fresh.first = None;
            }
        }
    }
    let hours_now = current
        .restrictions
        .as_ref()
        .unwrap_or(&old.layers[li].restrictions);
    if *hours_now != c.restrictions {
        fresh.restrictions = Some(c.restrictions);
    }
    fresh.name = None;
    fresh.effective_from = None;
    let mut same = current.clone();
    same.name = None;
    same.effective_from = None;
    if fresh == same {
        return Err(Error::invalid(
            "layer",
            "nothing changes: edit a field first",
        ));
    }
    doc.layers[li].rotations = effective_layer(&old.layers[li], built, vec![fresh], at);
    Ok(doc)
}

/// The versions of `layer` an edit from `at` replaces (PURE): those
/// scheduled to take effect at or after it, as (name, from).
pub fn replaced(
    old: &RotaDoc,
    old_rota: &Rota,
    layer: &str,
    at: Instant,
) -> Vec<(String, Instant)> {
    let (Some(def), Some(built)) = (
        old.layers.iter().find(|l| l.name == layer),
        old_rota.layer(layer).map(|i| &old_rota.layers[i]),
    ) else {
        return Vec::new();
    };
    def.rotations
        .iter()
        .zip(&built.rotations)
        .filter_map(|(raw, b)| {
            let e = b.effective_from.filter(|e| *e >= at)?;
            Some((raw.name.clone().unwrap_or_else(|| b.name.clone()), e))
        })
        .collect()
}

/// A restriction line as the form writes it (PURE): `[DAYS] HH:MM-HH:MM`,
/// days as `mon,tue` or `mon-fri` (every day when left out).
pub fn restriction_line(line: &str) -> std::result::Result<RestrictionDef, String> {
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let line = line.trim();
    let (days, hours) = match line.rsplit_once(' ') {
        Some((d, h)) => (d.trim(), h.trim()),
        None => ("", line),
    };
    let (from, to) = hours.split_once('-').ok_or_else(|| {
        format!("\"{line}\": write hours as HH:MM-HH:MM, e.g. mon-fri 09:00-17:00")
    })?;
    let mut out = Vec::new();
    for part in days.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let ix = |d: &str| {
            let d = d.trim().to_ascii_lowercase();
            DAYS.iter()
                .position(|x| d.starts_with(x))
                .ok_or_else(|| format!("\"{d}\" is not a day (mon … sun)"))
        };
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (ix(a)?, ix(b)?);
                let mut i = a;
                loop {
                    out.push(DAYS[i].to_string());
                    if i == b {
                        break;
                    }
                    i = (i + 1) % 7;
                }
            }
            None => out.push(DAYS[ix(part)?].to_string()),
        }
    }
    out.dedup();
    Ok(RestrictionDef {
        days: out,
        from: from.trim().to_string(),
        to: to.trim().to_string(),
    })
}

/// A restriction as the form shows it (PURE; `restriction_line` reads it back).
pub fn restriction_text(r: &RestrictionDef) -> String {
    if r.days.is_empty() {
        format!("{}-{}", r.from, r.to)
    } else {
        format!("{} {}-{}", r.days.join(","), r.from, r.to)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restriction_lines_read_back_as_written() {
        let r = restriction_line("mon-fri 09:00-17:00").expect("weekdays");
        assert_eq!(r.days, ["mon", "tue", "wed", "thu", "fri"]);
        assert_eq!((r.from.as_str(), r.to.as_str()), ("09:00", "17:00"));
        assert_eq!(restriction_text(&r), "mon,tue,wed,thu,fri 09:00-17:00");
        assert_eq!(restriction_line(&restriction_text(&r)), Ok(r));
        // A range may wrap the week; names may be long; no days = every day.
        let r = restriction_line("Saturday-Mon 22:00-06:00").expect("weekend nights");
        assert_eq!(r.days, ["sat", "sun", "mon"]);
        assert!(
            restriction_line("18:00-08:00")
                .expect("nights")
                .days
                .is_empty()
        );
        assert!(restriction_line("funday 09:00-17:00").is_err());
        assert!(restriction_line("mon 09:00").is_err());
    }
}
