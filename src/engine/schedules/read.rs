//! Reading a directory of rota files for `schedules apply`: every file
//! parsed, built and checked (its services and its people's rules too)
//! before anything is planned; any error stops the run before a write.

use crate::engine::documents;
use crate::engine::services::{self, ServiceSpec};
use crate::escalation::rules::RulesSpec;
use crate::rota::file::parse_rota;
use crate::rota::holidays;
use crate::store::{PersonRow, RotaRow, TeamRow};
use std::path::Path;

/// One rota file, read.
pub struct FileRota {
    /// The rota as the engine builds it from the file.
    pub built: crate::rota::Rota,
    pub team: TeamRow,
    pub people: Vec<PersonRow>,
    /// Notification rules by person, where the file gives them (JSON).
    pub rules: Vec<(String, String)>,
    pub services: Vec<(String, ServiceSpec)>,
    pub rota: RotaRow,
}
/// A file's services (id, spec) and its people's rules (handle, JSON).
type Alerting = (Vec<(String, ServiceSpec)>, Vec<(String, String)>);

/// The `[[services]]` of a rota file and the `rules` of its people,
/// checked; errors name the file and the field.
fn read_alerting(path: &str, text: &str) -> Result<Alerting, String> {
    let file = crate::rota::file::read_file(path, text).map_err(|e| e.to_string())?;
    let (_, people, _, list) = file.split();
    let mut services = Vec::new();
    for (i, v) in list.into_iter().enumerate() {
        let at = |f: &str, m: &str| format!("{path}: services[{i}].{f}: {m}");
        let toml::Value::Table(mut table) = v else {
            return Err(at("", "each service is a table"));
        };
        let id = match table.remove("id") {
            Some(toml::Value::String(id)) => id,
            _ => return Err(at("id", "every service has an id")),
        };
        services::valid_id(&id).map_err(
            |crate::escalation::Invalid {
                 field: f,
                 message: m,
             }| at(&f, &m),
        )?;
        if table.contains_key("team") {
            return Err(at(
                "team",
                "a file's services belong to its team; leave team out",
            ));
        }
        let spec: ServiceSpec = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| at("", &e.to_string()))?;
        services.push((id, spec));
    }
    let mut rules = Vec::new();
    for (i, p) in people.into_iter().enumerate() {
        let Some(r) = p.rules else { continue };
        let spec: RulesSpec = r
            .try_into()
            .map_err(|e: toml::de::Error| format!("{path}: people[{i}].rules: {e}"))?;
        crate::escalation::rules::validate(&spec).map_err(
            |crate::escalation::Invalid {
                 field: f,
                 message: m,
             }| format!("{path}: people[{i}].{f}: {m}"),
        )?;
        let json = serde_json::to_string(&spec).map_err(|e| format!("{path}: {e}"))?;
        rules.push((p.id, json));
    }
    Ok((services, rules))
}

/// Checks the `[[services]]` (and people's rules) of rota files against
/// those files alone, as `vigil rota check` does without a database: every
/// ladder target must name a rota, layer, lead or person of the files.
/// `files` holds (path, text, built rota); errors name the file, the
/// service and the field.
pub fn check_services(
    files: &[(String, String, crate::rota::Rota)],
    allow_private_webhooks: bool,
) -> Vec<String> {
    let mut errors = Vec::new();
    let people: std::collections::HashSet<String> = files
        .iter()
        .flat_map(|(_, _, r)| r.people.iter().map(|p| p.id.clone()))
        .collect();
    let stem = |path: &str| {
        Path::new(path)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("rota")
            .to_string()
    };
    for (path, text, rota) in files {
        let (services, _) = match read_alerting(path, text) {
            Ok(v) => v,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        if services.is_empty() {
            continue;
        }
        let names: Vec<String> = files
            .iter()
            .filter(|(_, _, r)| r.name == rota.name)
            .map(|(p, _, _)| stem(p))
            .collect();
        let view = crate::escalation::reach::view_of(
            &rota.name,
            rota.lead.map(|l| rota.people[l].id.clone()),
            files
                .iter()
                .filter(|(_, _, r)| r.name == rota.name)
                .zip(&names)
                .map(|((_, _, r), n)| (n.as_str(), r)),
            None,
        );
        for (id, spec) in &services {
            if let Err(crate::escalation::Invalid { field, message: m }) =
                services::build_row(id, spec, None, 0, &view, &|h| people.contains(h))
                    .and_then(|row| services::check_webhooks(&row, allow_private_webhooks))
            {
                errors.push(format!("{path}: service {id}: {field}: {m}"));
            }
        }
    }
    errors
}

/// Reads and validates every `*.toml` in `dir`; any error aborts before a
/// write.
pub fn read_dir(dir: &Path, now: i64) -> Result<Vec<FileRota>, String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for path in files {
        let text = crate::files::read_rota_file(&path)?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let include = |name: &str| crate::files::read_rota_file(&base.join(name));
        let rota = match parse_rota(&path.display().to_string(), &text, &include) {
            Ok(r) => r,
            Err(e) => {
                errors.push(e.to_string());
                continue;
            }
        };
        let (services, rules) = match read_alerting(&path.display().to_string(), &text) {
            Ok(v) => v,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let file = crate::rota::file::read_file(&path.display().to_string(), &text)
            .map_err(|e| e.to_string())?;
        let (_, defs, mut doc, _) = file.split();
        // The contact details each person gives (validated by the loader).
        let contacts: std::collections::HashMap<String, [Option<String>; 3]> = defs
            .into_iter()
            .map(|p| (p.id, [p.phone, p.email, p.chat]))
            .collect();
        inline_holidays(&mut doc, &include)?;
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("rota")
            .to_string();
        out.push(FileRota {
            built: rota.clone(),
            team: TeamRow {
                slug: rota.name.clone(),
                timezone: rota.zone.name().to_string(),
                lead: rota.lead.map(|l| rota.people[l].id.clone()),
                swap_approval: false,
            },
            people: rota
                .people
                .iter()
                .map(|p| {
                    let [phone, email, chat] = contacts.get(&p.id).cloned().unwrap_or_default();
                    PersonRow {
                        handle: p.id.clone(),
                        name: p.name.clone(),
                        email,
                        phone,
                        chat,
                        timezone: p.zone.clone().map(|z| z.name().to_string()),
                    }
                })
                .collect(),
            rules,
            services,
            rota: RotaRow {
                team: rota.name.clone(),
                name: name.clone(),
                document: documents::stored(&doc),
                version: 1,
                origin: format!("file:{name}.toml"),
                updated_at: now,
            },
        });
    }
    if !errors.is_empty() {
        return Err(errors.join("\n"));
    }
    Ok(out)
}

/// A stored rota cannot refer to files: holidays from `holidays_ics` become
/// dates in `holidays`.
fn inline_holidays(
    doc: &mut crate::rota::file::defs::RotaDoc,
    include: &dyn Fn(&str) -> Result<String, String>,
) -> Result<(), String> {
    let Some(path) = doc.fairness.holidays_ics.take() else {
        return Ok(());
    };
    let dates = include(&path)
        .and_then(|t| holidays::dates_from_ics(&t))
        .map_err(|e| format!("{path}: {e}"))?;
    doc.fairness.holidays.extend(
        dates
            .iter()
            .map(|d| crate::rota::file::defs::When::Text(d.to_string())),
    );
    Ok(())
}
