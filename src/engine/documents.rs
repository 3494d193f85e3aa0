//! Rota documents (pure conversions at the edges): a stored rota is its
//! typed definition (`RotaDoc`) as JSON; the API reads and writes the same
//! JSON as `document`; rota files are TOML and become a `RotaDoc` when
//! applied. The engine builds rotas from the typed values with the team and
//! people of their own tables, so no text format is printed and parsed
//! back in between.

use crate::rota::file::defs::{
    OverrideDef, OverrideKind, OverrideSource, PersonDef, RotaDoc, RotaFile, TeamDef, When,
};
use crate::store::{OverrideRow, PersonRow, RotaRow, ServiceRow, TeamRow};
use chrono::{DateTime, Utc};

/// A stored document. Rotas stored before documents were JSON are TOML
/// text; they are read as such (and rewritten as JSON at start).
pub fn doc_of(row: &RotaRow) -> Result<RotaDoc, String> {
    if row.document.trim_start().starts_with('{') {
        return serde_json::from_str(&row.document)
            .map_err(|e| format!("stored document of {}/{}: {e}", row.team, row.name));
    }
    toml::from_str(&row.document)
        .map_err(|e| format!("stored (TOML) document of {}/{}: {e}", row.team, row.name))
}

/// The stored form of a document.
pub fn stored(doc: &RotaDoc) -> String {
    // Plain data always serialises.
    serde_json::to_string(doc).unwrap_or_default()
}

/// The document from the API's JSON; an error names the field at fault.
pub fn from_json(v: &serde_json::Value) -> Result<RotaDoc, (String, String)> {
    let strip = strip_nulls(v.clone());
    serde_path_to_error::deserialize(strip).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            "document".to_string()
        } else {
            format!("document.{path}")
        };
        (field, e.into_inner().to_string())
    })
}

pub fn to_json(doc: &RotaDoc) -> serde_json::Value {
    serde_json::to_value(doc).unwrap_or(serde_json::Value::Null)
}

/// Clients that send `null` for an absent field mean "not set".
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

/// The team as the engine reads it.
pub fn team_def(team: &TeamRow) -> TeamDef {
    TeamDef {
        name: team.slug.clone(),
        timezone: team.timezone.clone(),
        lead: team.lead.clone(),
        dst: Default::default(),
    }
}

/// People as the engine reads them (the rota needs ids, names and zones).
pub fn person_defs(people: &[PersonRow]) -> Vec<PersonDef> {
    people
        .iter()
        .map(|p| PersonDef {
            id: p.handle.clone(),
            name: Some(p.name.clone()),
            timezone: p.timezone.clone(),
            rules: None,
            phone: None,
            email: None,
            chat: None,
        })
        .collect()
}

/// An override made over the API, as a rota's override.
pub fn override_def(o: &OverrideRow) -> OverrideDef {
    OverrideDef {
        layer: o.layer.clone(),
        kind: match o.kind.as_str() {
            "add" => OverrideKind::Add,
            "remove" => OverrideKind::Remove,
            _ => OverrideKind::Replace,
        },
        start: When::Text(rfc3339(o.start)),
        end: When::Text(rfc3339(o.end)),
        person: o.person.clone(),
        replaces: o.replaces.clone(),
        note: o.note.clone(),
        source: if o.source == "swap" {
            OverrideSource::Swap
        } else {
            OverrideSource::Override
        },
    }
}

/// A stored instant (seconds since the epoch) as RFC 3339 UTC.
pub fn rfc3339(secs: i64) -> String {
    crate::rota::civil::utc_text(DateTime::<Utc>::from_timestamp(secs, 0).unwrap_or_default())
}

/// A rota file again: `[team]`, every `[[people]]` entry with contact
/// details, the document, and the services that came from this file, for
/// `vigil schedules export`. Overrides and services made over the API stay
/// in the database and are not written out.
pub fn to_file(
    team: &TeamRow,
    people: &[PersonRow],
    rota: &RotaRow,
    services: &[ServiceRow],
) -> Result<String, String> {
    let doc = doc_of(rota)?;
    let people: Vec<PersonDef> = people
        .iter()
        .zip(person_defs(people))
        .map(|(p, d)| PersonDef {
            phone: p.phone.clone(),
            email: p.email.clone(),
            chat: p.chat.clone(),
            ..d
        })
        .collect();
    let mut file = RotaFile::join(team_def(team), people, doc);
    for s in services
        .iter()
        .filter(|s| s.origin.as_deref() == Some(rota.origin.as_str()))
    {
        let mut t =
            toml::Value::try_from(super::services::spec_of(s)).map_err(|e| e.to_string())?;
        if let Some(table) = t.as_table_mut() {
            table.insert("id".into(), toml::Value::String(s.id.clone()));
        }
        file.services.push(t);
    }
    toml::to_string(&file).map_err(|e| e.to_string())
}
