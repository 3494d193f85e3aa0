//! Rotas as code: `vigil schedules apply DIR` loads rota files into the
//! database in one transaction, idempotently (a second run changes nothing),
//! and reports what it adds, changes or removes; `export` writes them back.

use super::documents;
use super::services::{self, ServiceSpec};
use crate::escalation::rules::RulesSpec;
use crate::rota::file::parse_rota;
use crate::rota::holidays;
use crate::store::{AlertReads as _, Reads as _};
use crate::store::{PersonRow, RotaRow, Store, TeamRow};
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Add(String),
    Change(String),
    Remove(String),
    Unchanged(String),
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Add(s) => write!(f, "add       {s}"),
            Change::Change(s) => write!(f, "change    {s}"),
            Change::Remove(s) => write!(f, "remove    {s}"),
            Change::Unchanged(s) => write!(f, "unchanged {s}"),
        }
    }
}

struct FileRota {
    /// The rota as the engine builds it from the file.
    built: crate::rota::Rota,
    team: TeamRow,
    people: Vec<PersonRow>,
    /// Notification rules by person, where the file gives them (JSON).
    rules: Vec<(String, String)>,
    services: Vec<(String, ServiceSpec)>,
    rota: RotaRow,
}

/// A file's services (id, spec) and its people's rules (handle, JSON).
type Alerting = (Vec<(String, ServiceSpec)>, Vec<(String, String)>);

/// The `[[services]]` of a rota file and the `rules` of its people,
/// checked; errors name the file and the field.
fn read_alerting(path: &str, text: &str) -> Result<Alerting, String> {
    let t: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| format!("{path}: {e}"))?;
    let mut services = Vec::new();
    let list = t
        .get("services")
        .and_then(toml::Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (i, v) in list.into_iter().enumerate() {
        let at = |f: &str, m: &str| format!("{path}: services[{i}].{f}: {m}");
        let mut table = v
            .as_table()
            .cloned()
            .ok_or_else(|| at("", "each service is a table"))?;
        let id = match table.remove("id") {
            Some(toml::Value::String(id)) => id,
            _ => return Err(at("id", "every service has an id")),
        };
        services::valid_id(&id).map_err(|(f, m)| at(&f, &m))?;
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
    let people = t
        .get("people")
        .and_then(toml::Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (i, p) in people.iter().enumerate() {
        let Some(r) = p.get("rules") else { continue };
        let handle = p
            .get("id")
            .and_then(toml::Value::as_str)
            .unwrap_or("")
            .to_string();
        let spec: RulesSpec = r
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| format!("{path}: people[{i}].rules: {e}"))?;
        crate::escalation::rules::validate(&spec)
            .map_err(|(f, m)| format!("{path}: people[{i}].{f}: {m}"))?;
        rules.push((
            handle,
            serde_json::to_string(&spec).map_err(|e| e.to_string())?,
        ));
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
            if let Err((field, m)) =
                services::build_row(id, spec, None, 0, &view, &|h| people.contains(h))
                    .and_then(|row| services::check_webhooks(&row, allow_private_webhooks))
            {
                errors.push(format!("{path}: service {id}: {field}: {m}"));
            }
        }
    }
    errors
}

/// The contact details (`phone`, `email`, `chat`) each person of a rota
/// file gives (already validated by the loader).
fn contacts(text: &str) -> std::collections::HashMap<String, [Option<String>; 3]> {
    let table: toml::Table = text.parse().unwrap_or_default();
    let field =
        |p: &toml::Value, k: &str| p.get(k).and_then(toml::Value::as_str).map(str::to_string);
    table
        .get("people")
        .and_then(toml::Value::as_array)
        .map(|ps| {
            ps.iter()
                .filter_map(|p| {
                    let id = field(p, "id")?;
                    Some((id, [field(p, "phone"), field(p, "email"), field(p, "chat")]))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Reads and validates every `*.toml` in `dir`; any error aborts before a
/// write.
fn read_dir(dir: &Path, now: i64) -> Result<Vec<FileRota>, String> {
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
        let (_, _, mut doc, _) = file.split();
        inline_holidays(&mut doc, &include)?;
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("rota")
            .to_string();
        let contacts = contacts(&text);
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

pub async fn apply(
    store: &Store,
    dir: &Path,
    dry_run: bool,
    actor: &str,
    now: i64,
    allow_private_webhooks: bool,
) -> Result<Vec<Change>, String> {
    let files = read_dir(dir, now)?;
    let db = |e: crate::store::StoreError| e.to_string();
    let mut changes = Vec::new();
    let tx = store.tx().await.map_err(db)?;
    let mut seen_people = std::collections::HashSet::new();
    for f in &files {
        let slug = &f.team.slug;
        match tx.load_team(slug).await.map_err(db)? {
            None => changes.push(Change::Add(format!("team {slug}"))),
            Some(old) if old.timezone != f.team.timezone || old.lead != f.team.lead => {
                changes.push(Change::Change(format!("team {slug}")))
            }
            Some(_) => {}
        }
        if !dry_run {
            let keep = tx
                .load_team(slug)
                .await
                .map_err(db)?
                .is_some_and(|t| t.swap_approval);
            tx.upsert_team(
                &crate::store::TeamRow {
                    swap_approval: keep,
                    ..f.team.clone()
                },
                now,
            )
            .await
            .map_err(db)?;
        }
        for p in &f.people {
            if !seen_people.insert(p.handle.clone()) {
                continue;
            }
            let merged = match tx.load_person(&p.handle).await.map_err(db)? {
                None => {
                    changes.push(Change::Add(format!("person {}", p.handle)));
                    p.clone()
                }
                Some(old) => {
                    // Contact details a file gives win; those it leaves
                    // out stay as they were set over the API.
                    let merged = PersonRow {
                        email: p.email.clone().or(old.email.clone()),
                        phone: p.phone.clone().or(old.phone.clone()),
                        chat: p.chat.clone().or(old.chat.clone()),
                        ..p.clone()
                    };
                    if merged != old {
                        changes.push(Change::Change(format!("person {}", p.handle)));
                    }
                    merged
                }
            };
            if !dry_run {
                tx.upsert_person(&merged, now).await.map_err(db)?;
            }
        }
        for (handle, rules) in &f.rules {
            if tx.load_person_rules(handle).await.map_err(db)?.as_deref() != Some(rules) {
                changes.push(Change::Change(format!("rules of {handle}")));
                if !dry_run {
                    tx.set_person_rules(handle, Some(rules.clone()))
                        .await
                        .map_err(db)?;
                }
            }
        }
        let what = format!("rota {slug}/{}", f.rota.name);
        match tx.load_rota(slug, &f.rota.name).await.map_err(db)? {
            None => {
                changes.push(Change::Add(what));
                if !dry_run {
                    tx.insert_rota(&f.rota).await.map_err(db)?;
                }
            }
            Some(old) if old.document != f.rota.document => {
                changes.push(Change::Change(what));
                if !dry_run {
                    tx.update_rota(
                        slug,
                        &f.rota.name,
                        old.version,
                        &f.rota.document,
                        &f.rota.origin,
                        now,
                    )
                    .await
                    .map_err(db)?;
                }
            }
            Some(_) => changes.push(Change::Unchanged(what)),
        }
    }
    apply_services(
        &tx,
        &files,
        dry_run,
        now,
        &mut changes,
        allow_private_webhooks,
    )
    .await?;
    for old in tx.load_rotas(None).await.map_err(db)? {
        let present = files
            .iter()
            .any(|f| f.team.slug == old.team && f.rota.name == old.name);
        if old.origin.starts_with("file:") && !present {
            changes.push(Change::Remove(format!("rota {}/{}", old.team, old.name)));
            if !dry_run {
                tx.delete_rota(&old.team, &old.name).await.map_err(db)?;
            }
        }
    }
    let changed = changes.iter().any(|c| !matches!(c, Change::Unchanged(_)));
    if !dry_run && changed {
        let summary: Vec<String> = changes
            .iter()
            .filter(|c| !matches!(c, Change::Unchanged(_)))
            .map(|c| c.to_string())
            .collect();
        tx.audit(
            now,
            actor,
            "schedules.apply",
            &dir.display().to_string(),
            serde_json::json!({ "changes": summary }),
        )
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
    }
    Ok(changes)
}

/// Each team of the files as its ladders will see it once the files are
/// applied: the files' rotas, plus the rotas made over the API.
async fn team_views(
    tx: &crate::store::Tx,
    files: &[FileRota],
) -> Result<std::collections::HashMap<String, crate::escalation::reach::TeamView>, String> {
    let cache = super::RotaCache::default();
    let mut out = std::collections::HashMap::new();
    for f in files {
        if out.contains_key(&f.team.slug) {
            continue;
        }
        let slug = &f.team.slug;
        let mine: Vec<&FileRota> = files.iter().filter(|g| &g.team.slug == slug).collect();
        let mut api = Vec::new();
        for r in tx.load_rotas(Some(slug)).await.map_err(|e| e.to_string())? {
            let shadowed = mine.iter().any(|g| g.rota.name == r.name);
            if r.origin.starts_with("file:") || shadowed {
                continue;
            }
            if let Some(l) = cache
                .load(tx, slug, &r.name)
                .await
                .map_err(|e| e.to_string())?
            {
                api.push((r.name, l));
            }
        }
        let rotas = mine
            .iter()
            .map(|g| (g.rota.name.as_str(), &g.built))
            .chain(api.iter().map(|(n, l)| (n.as_str(), &l.rota)));
        let view = crate::escalation::reach::view_of(slug, f.team.lead.clone(), rotas, None);
        out.insert(slug.clone(), view);
    }
    Ok(out)
}

/// Services declared in the files: added, changed or kept; a service that
/// came from a file and is no longer in any is removed.
async fn apply_services(
    tx: &crate::store::Tx,
    files: &[FileRota],
    dry_run: bool,
    now: i64,
    changes: &mut Vec<Change>,
    allow_private_webhooks: bool,
) -> Result<(), String> {
    let db = |e: crate::store::StoreError| e.to_string();
    let mut people: std::collections::HashSet<String> = tx
        .load_people()
        .await
        .map_err(db)?
        .into_iter()
        .map(|p| p.handle)
        .collect();
    people.extend(
        files
            .iter()
            .flat_map(|f| f.people.iter().map(|p| p.handle.clone())),
    );
    let views = team_views(tx, files).await?;
    let mut declared = std::collections::HashSet::new();
    for f in files {
        for (id, spec) in &f.services {
            if !declared.insert(id.clone()) {
                return Err(format!("{}: service {id} is declared twice", f.rota.origin));
            }
            let old = tx.load_service(id).await.map_err(db)?;
            let view = &views[&f.team.slug];
            let mut row = services::build_row(id, spec, old.as_ref(), now * 1000, view, &|h| {
                people.contains(h)
            })
            .and_then(|row| services::check_webhooks(&row, allow_private_webhooks).map(|()| row))
            .map_err(|(field, m)| format!("{}: service {id}: {field}: {m}", f.rota.origin))?;
            row.origin = Some(f.rota.origin.clone());
            let what = format!("service {id}");
            match &old {
                None => changes.push(Change::Add(what)),
                Some(o) if *o != row => changes.push(Change::Change(what)),
                Some(_) => {
                    changes.push(Change::Unchanged(what));
                    continue;
                }
            }
            if !dry_run {
                tx.upsert_service(&row, now).await.map_err(db)?;
            }
        }
    }
    // Services made over the API must still reach someone after the files
    // are applied (a rota or layer they page through may be going).
    for old in tx.load_services().await.map_err(db)? {
        let from_file = old
            .origin
            .as_deref()
            .is_some_and(|o| o.starts_with("file:"));
        let Some(view) = views.get(&old.team).filter(|_| !from_file) else {
            continue;
        };
        let ladder = super::alerts::service_policy(old.clone())
            .map_err(|e| format!("service {}: {e}", old.id))?
            .ladder;
        crate::escalation::reach::check(&ladder, view, &|h| people.contains(h)).map_err(
            |(field, m)| {
                format!(
                    "service {} (made over the API) would page nobody: {field}: {m}; change its ladder first",
                    old.id
                )
            },
        )?;
    }
    for old in tx.load_services().await.map_err(db)? {
        if old
            .origin
            .as_deref()
            .is_some_and(|o| o.starts_with("file:"))
            && !declared.contains(&old.id)
        {
            changes.push(Change::Remove(format!("service {}", old.id)));
            if !dry_run {
                tx.delete_service(&old.id).await.map_err(db)?;
            }
        }
    }
    Ok(())
}
