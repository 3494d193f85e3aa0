//! Rota documents: conversions between a rota file, the stored document
//! (TOML text without `[team]` and `[[people]]`) and the API's JSON form.

use crate::store::{OverrideRow, PersonRow, RotaRow, TeamRow};
use chrono::{DateTime, Utc};
use toml::{Table, Value};

/// The stored document of a rota file: everything but `[team]` and
/// `[[people]]`; the team's `dst` policy moves to a top-level `dst`.
pub fn from_file(text: &str) -> Result<String, String> {
    let mut t: Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    let dst = t.get("team").and_then(|team| team.get("dst")).cloned();
    t.remove("team");
    t.remove("people");
    // Services are rows of their own, not part of the rota.
    t.remove("services");
    if let Some(d) = dst {
        t.insert("dst".into(), d);
    }
    toml::to_string(&t).map_err(|e| e.to_string())
}

/// The stored document from the API's JSON (nulls dropped).
pub fn from_json(v: &serde_json::Value) -> Result<String, String> {
    let clean = strip_nulls(v.clone());
    if !clean.is_object() {
        return Err("a rota document is a JSON object".into());
    }
    let t: Table = serde_json::from_value(clean).map_err(|e| e.to_string())?;
    toml::to_string(&t).map_err(|e| e.to_string())
}

pub fn to_json(doc: &str) -> serde_json::Value {
    doc.parse::<Table>()
        .ok()
        .and_then(|t| serde_json::to_value(t).ok())
        .unwrap_or(serde_json::Value::Null)
}

fn strip_nulls(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => serde_json::Value::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        serde_json::Value::Array(a) => {
            serde_json::Value::Array(a.into_iter().map(strip_nulls).collect())
        }
        other => other,
    }
}

/// A complete rota file for the engine: team and people from their tables,
/// the stored document, and the overrides made over the API.
pub fn assemble(
    team: &TeamRow,
    people: &[PersonRow],
    rota: &RotaRow,
    overrides: &[OverrideRow],
) -> String {
    let mut doc: Table = rota.document.parse().unwrap_or_default();
    let mut team_t = Table::new();
    team_t.insert("name".into(), Value::String(team.slug.clone()));
    team_t.insert("timezone".into(), Value::String(team.timezone.clone()));
    if let Some(l) = &team.lead {
        team_t.insert("lead".into(), Value::String(l.clone()));
    }
    if let Some(d) = doc.remove("dst") {
        team_t.insert("dst".into(), d);
    }
    let mut out = Table::new();
    out.insert("team".into(), Value::Table(team_t));
    let ps = people
        .iter()
        .map(|p| {
            let mut t = Table::new();
            t.insert("id".into(), Value::String(p.handle.clone()));
            t.insert("name".into(), Value::String(p.name.clone()));
            if let Some(z) = &p.timezone {
                t.insert("timezone".into(), Value::String(z.clone()));
            }
            Value::Table(t)
        })
        .collect();
    out.insert("people".into(), Value::Array(ps));
    let mut ovs = match doc.remove("overrides") {
        Some(Value::Array(a)) => a,
        _ => Vec::new(),
    };
    for o in overrides {
        let mut t = Table::new();
        t.insert("layer".into(), Value::String(o.layer.clone()));
        t.insert("kind".into(), Value::String(o.kind.clone()));
        t.insert("start".into(), Value::String(rfc3339(o.start)));
        t.insert("end".into(), Value::String(rfc3339(o.end)));
        if o.source == "swap" {
            t.insert("source".into(), Value::String("swap".into()));
        }
        for (k, v) in [
            ("person", &o.person),
            ("replaces", &o.replaces),
            ("note", &o.note),
        ] {
            if let Some(v) = v {
                t.insert(k.into(), Value::String(v.clone()));
            }
        }
        ovs.push(Value::Table(t));
    }
    if !ovs.is_empty() {
        out.insert("overrides".into(), Value::Array(ovs));
    }
    out.extend(doc);
    toml::to_string(&out).unwrap_or_default()
}

/// A stored instant (seconds since the epoch) as RFC 3339 UTC.
pub fn rfc3339(secs: i64) -> String {
    crate::rota::civil::utc_text(DateTime::<Utc>::from_timestamp(secs, 0).unwrap_or_default())
}

/// A rota file again: `[team]`, every `[[people]]` entry, the document and
/// the services that came from this file, for `vigil schedules export`.
/// Overrides and services made over the API stay in the database and are
/// not written out.
pub fn to_file(
    team: &TeamRow,
    people: &[PersonRow],
    rota: &RotaRow,
    services: &[crate::store::ServiceRow],
) -> String {
    let empty: [OverrideRow; 0] = [];
    let mut doc: Table = assemble(team, people, rota, &empty)
        .parse()
        .unwrap_or_default();
    // Contact details too, so a team can live entirely in its files.
    if let Some(Value::Array(ps)) = doc.get_mut("people") {
        for (t, p) in ps.iter_mut().zip(people) {
            if let Some(t) = t.as_table_mut() {
                for (k, v) in [("phone", &p.phone), ("email", &p.email), ("chat", &p.chat)] {
                    if let Some(v) = v {
                        t.insert(k.into(), Value::String(v.clone()));
                    }
                }
            }
        }
    }
    let text = toml::to_string(&doc).unwrap_or_default();
    let mine: Vec<Value> = services
        .iter()
        .filter(|s| s.origin.as_deref() == Some(rota.origin.as_str()))
        .filter_map(|s| {
            let mut t = Value::try_from(super::services::spec_of(s)).ok()?;
            t.as_table_mut()?
                .insert("id".into(), Value::String(s.id.clone()));
            Some(t)
        })
        .collect();
    if mine.is_empty() {
        return text;
    }
    let mut out: Table = text.parse().unwrap_or_default();
    out.insert("services".into(), Value::Array(mine));
    toml::to_string(&out).unwrap_or_default()
}
