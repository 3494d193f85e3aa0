//! What `schedules apply` will do (PURE): the files read, compared with
//! what the database holds, give the changes to report and the writes
//! that carry them out. A dry run prints the changes; a real run executes
//! the writes in one transaction. Nothing here reads or writes.

use super::Change;
use super::read::FileRota;
use crate::engine::Loaded;
use crate::engine::services;
use crate::escalation::reach::{self, TeamView};
use crate::store::{PersonRow, RotaRow, ServiceRow, TeamRow};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// What the database holds that the files are compared with.
#[derive(Default)]
pub struct Current {
    /// The files' teams, where they exist.
    pub teams: HashMap<String, TeamRow>,
    pub people: HashMap<String, PersonRow>,
    /// Stored notification rules (JSON) of the files' people.
    pub rules: HashMap<String, Option<String>>,
    pub rotas: Vec<RotaRow>,
    pub services: Vec<ServiceRow>,
    /// Rotas made over the API in the files' teams, built (team, name, rota).
    pub api_rotas: Vec<(String, String, Arc<Loaded>)>,
}

/// One write.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    UpsertTeam(TeamRow),
    UpsertPerson(PersonRow),
    SetRules(String, String),
    InsertRota(RotaRow),
    /// The new row, replacing the stored `version`.
    UpdateRota(RotaRow, i64),
    DeleteRota(String, String),
    UpsertService(ServiceRow),
    DeleteService(String),
}

#[derive(Debug, Default)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub ops: Vec<Op>,
}

impl Plan {
    fn push(&mut self, change: Change, op: Option<Op>) {
        self.changes.push(change);
        self.ops.extend(op);
    }
    /// Whether applying it changes anything.
    pub fn changed(&self) -> bool {
        self.changes
            .iter()
            .any(|c| !matches!(c, Change::Unchanged(_)))
    }
}

/// The plan for `files` over `cur`; an error (naming the file, service
/// and field) when a service in the files, or one made over the API,
/// would page nobody afterwards.
pub fn plan(
    files: &[FileRota],
    cur: &Current,
    now: i64,
    allow_private_webhooks: bool,
) -> Result<Plan, String> {
    let mut p = Plan::default();
    let mut seen_people = HashSet::new();
    for f in files {
        let slug = &f.team.slug;
        let old = cur.teams.get(slug);
        // Swap approval is set over the API: a file keeps it as it is.
        let team = TeamRow {
            swap_approval: old.is_some_and(|t| t.swap_approval),
            ..f.team.clone()
        };
        match old {
            None => p.push(
                Change::Add(format!("team {slug}")),
                Some(Op::UpsertTeam(team)),
            ),
            Some(o) if *o != team => p.push(
                Change::Change(format!("team {slug}")),
                Some(Op::UpsertTeam(team)),
            ),
            Some(_) => {}
        }
        for person in &f.people {
            if !seen_people.insert(person.handle.clone()) {
                continue;
            }
            let what = format!("person {}", person.handle);
            match cur.people.get(&person.handle) {
                None => p.push(Change::Add(what), Some(Op::UpsertPerson(person.clone()))),
                Some(old) => {
                    // Contact details a file gives win; those it leaves
                    // out stay as they were set over the API.
                    let merged = PersonRow {
                        email: person.email.clone().or(old.email.clone()),
                        phone: person.phone.clone().or(old.phone.clone()),
                        chat: person.chat.clone().or(old.chat.clone()),
                        ..person.clone()
                    };
                    if merged != *old {
                        p.push(Change::Change(what), Some(Op::UpsertPerson(merged)));
                    }
                }
            }
        }
        for (handle, rules) in &f.rules {
            let stored = cur.rules.get(handle).cloned().flatten();
            if stored.as_deref() != Some(rules) {
                let op = Op::SetRules(handle.clone(), rules.clone());
                p.push(Change::Change(format!("rules of {handle}")), Some(op));
            }
        }
        let what = format!("rota {slug}/{}", f.rota.name);
        match cur
            .rotas
            .iter()
            .find(|r| r.team == *slug && r.name == f.rota.name)
        {
            None => p.push(Change::Add(what), Some(Op::InsertRota(f.rota.clone()))),
            Some(old) if old.document != f.rota.document => {
                let op = Op::UpdateRota(f.rota.clone(), old.version);
                p.push(Change::Change(what), Some(op));
            }
            Some(_) => p.push(Change::Unchanged(what), None),
        }
    }
    plan_services(&mut p, files, cur, now, allow_private_webhooks)?;
    for old in &cur.rotas {
        let present = files
            .iter()
            .any(|f| f.team.slug == old.team && f.rota.name == old.name);
        if old.origin.starts_with("file:") && !present {
            let what = format!("rota {}/{}", old.team, old.name);
            let op = Op::DeleteRota(old.team.clone(), old.name.clone());
            p.push(Change::Remove(what), Some(op));
        }
    }
    Ok(p)
}

/// Each team of the files as its ladders will see it once the files are
/// applied: the files' rotas, plus the rotas made over the API.
fn team_views(files: &[FileRota], cur: &Current) -> HashMap<String, TeamView> {
    let mut out = HashMap::new();
    for f in files {
        let slug = &f.team.slug;
        if out.contains_key(slug) {
            continue;
        }
        let mine: Vec<&FileRota> = files.iter().filter(|g| &g.team.slug == slug).collect();
        let api = cur
            .api_rotas
            .iter()
            .filter(|(team, name, _)| team == slug && !mine.iter().any(|g| g.rota.name == *name));
        let rotas = mine
            .iter()
            .map(|g| (g.rota.name.as_str(), &g.built))
            .chain(api.map(|(_, n, l)| (n.as_str(), &l.rota)));
        let view = reach::view_of(slug, f.team.lead.clone(), rotas, None);
        out.insert(slug.clone(), view);
    }
    out
}

fn from_file(origin: Option<&str>) -> bool {
    origin.is_some_and(|o| o.starts_with("file:"))
}

/// Services declared in the files: added, changed or kept; a service that
/// came from a file and is no longer in any is removed.
fn plan_services(
    p: &mut Plan,
    files: &[FileRota],
    cur: &Current,
    now: i64,
    allow_private_webhooks: bool,
) -> Result<(), String> {
    let mut people: HashSet<&str> = cur.people.keys().map(String::as_str).collect();
    people.extend(
        files
            .iter()
            .flat_map(|f| f.people.iter().map(|p| p.handle.as_str())),
    );
    let is_person = |h: &str| people.contains(h);
    let views = team_views(files, cur);
    let mut declared = HashSet::new();
    for f in files {
        for (id, spec) in &f.services {
            if !declared.insert(id.clone()) {
                return Err(format!("{}: service {id} is declared twice", f.rota.origin));
            }
            let old = cur.services.iter().find(|s| s.id == *id);
            let view = &views[&f.team.slug];
            let mut row = services::build_row(id, spec, old, now * 1000, view, &is_person)
                .and_then(|row| {
                    services::check_webhooks(&row, allow_private_webhooks).map(|()| row)
                })
                .map_err(|crate::escalation::Invalid { field, message: m }| {
                    format!("{}: service {id}: {field}: {m}", f.rota.origin)
                })?;
            row.origin = Some(f.rota.origin.clone());
            let what = format!("service {id}");
            match old {
                None => p.push(Change::Add(what), Some(Op::UpsertService(row))),
                Some(o) if *o != row => p.push(Change::Change(what), Some(Op::UpsertService(row))),
                Some(_) => p.push(Change::Unchanged(what), None),
            }
        }
    }
    // Services made over the API must still reach someone after the files
    // are applied (a rota or layer they page through may be going).
    for old in &cur.services {
        let Some(view) = views
            .get(&old.team)
            .filter(|_| !from_file(old.origin.as_deref()))
        else {
            continue;
        };
        let ladder = crate::engine::alerts::service_policy(old.clone())
            .map_err(|e| format!("service {}: {e}", old.id))?
            .ladder;
        reach::check(&ladder, view, &is_person).map_err(|crate::escalation::Invalid { field, message: m }| {
            format!(
                "service {} (made over the API) would page nobody: {field}: {m}; change its ladder first",
                old.id
            )
        })?;
    }
    for old in &cur.services {
        if from_file(old.origin.as_deref()) && !declared.contains(&old.id) {
            let op = Op::DeleteService(old.id.clone());
            p.push(Change::Remove(format!("service {}", old.id)), Some(op));
        }
    }
    Ok(())
}
