//! Ladders against the directory (IO around the PURE `escalation::reach`):
//! the view of a team a ladder's targets are checked against, and what a
//! deletion would leave ladders pointing at. A team, rota, layer, lead or
//! person a ladder names cannot go unless the request says what replaces
//! it; the replacement is written into the ladders in the same transaction.

use super::{LoadError, Loaded, RotaCache};
use crate::escalation::Invalid;
use crate::escalation::ladder::{LadderSpec, Target};
use crate::escalation::reach::{self, TeamView};
use crate::rota::{Interval, Rota};
use crate::store::{AlertReads, Reads, ServiceRow};
use std::collections::HashSet;
use std::sync::Arc;

/// The team `slug` as its ladders see it (None if there is no such team).
pub async fn team_view(
    db: &(impl Reads + AlertReads),
    cache: &RotaCache,
    slug: &str,
    window: Option<Interval>,
) -> Result<Option<TeamView>, LoadError> {
    let Some(team) = db.load_team(slug).await? else {
        return Ok(None);
    };
    let lead = match team.lead {
        Some(l) if db.load_person(&l).await?.is_some() => Some(l),
        _ => None,
    };
    let mut built: Vec<(String, Arc<Loaded>)> = Vec::new();
    for r in db.load_rotas(Some(slug)).await? {
        if let Some(l) = cache.load(db, slug, &r.name).await? {
            built.push((r.name, l));
        }
    }
    Ok(Some(reach::view_of(
        slug,
        lead,
        built.iter().map(|(n, l)| (n.as_str(), &l.rota)),
        window,
    )))
}

/// Every person's handle.
pub async fn people(db: &impl Reads) -> Result<HashSet<String>, LoadError> {
    Ok(db
        .load_people()
        .await?
        .into_iter()
        .map(|p| p.handle)
        .collect())
}

/// A change to the directory that can take targets away from ladders.
#[derive(Debug, Clone, Copy)]
pub enum Removal<'a> {
    Team(&'a str),
    Rota {
        team: &'a str,
        rota: &'a str,
    },
    Layer {
        team: &'a str,
        rota: &'a str,
        layer: &'a str,
    },
    /// The rota is replaced by a new version (its layers may differ).
    RotaBecomes {
        team: &'a str,
        rota: &'a str,
        new: &'a Rota,
    },
    Person(&'a str),
    /// The team's lead is removed.
    Lead(&'a str),
}

/// A service whose ladder would name something gone.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Dangling {
    pub service: String,
    pub field: String,
    pub reason: String,
}

/// The ladder rows to write (targets rewritten to the replacement) and the
/// services that would still name something gone.
#[derive(Debug, Default)]
pub struct Plan {
    pub rewrites: Vec<ServiceRow>,
    pub dangling: Vec<Dangling>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("replace_with: {0}")]
    Replacement(String),
    #[error(transparent)]
    Load(#[from] LoadError),
}

impl From<crate::store::StoreError> for PlanError {
    fn from(e: crate::store::StoreError) -> Self {
        PlanError::Load(e.into())
    }
}

fn spec_of(row: &ServiceRow) -> Option<LadderSpec> {
    match serde_json::from_str(&row.ladder) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(service = %row.id, error = %e, "a stored ladder does not parse");
            None
        }
    }
}

/// `spec` with every target `from` written as `to`.
fn rewrite(spec: &LadderSpec, map: &dyn Fn(&Target) -> Option<Target>) -> LadderSpec {
    let mut out = spec.clone();
    for st in &mut out.stages {
        for t in &mut st.targets {
            if let Some(new) = Target::parse(t).ok().as_ref().and_then(map) {
                *t = new.to_string();
            }
        }
    }
    out
}

/// What `removal` would do to the ladders, with `replace_with` (a person,
/// rota, layer or team of the same kind) taking the removed one's place.
pub async fn plan_removal(
    db: &(impl Reads + AlertReads),
    cache: &RotaCache,
    removal: Removal<'_>,
    replace_with: Option<&str>,
) -> Result<Plan, PlanError> {
    let services = db.load_services().await?;
    let mut people = people(db).await?;
    let owner = |t: &str| match removal {
        Removal::Team(x) | Removal::Lead(x) => t == x,
        Removal::Rota { team, .. }
        | Removal::Layer { team, .. }
        | Removal::RotaBecomes { team, .. } => t == team,
        Removal::Person(_) => true,
    };
    // The replacement must exist (and a team move is checked against the new team).
    let mut target_team: Option<String> = None;
    if let Some(x) = replace_with {
        let ok = match removal {
            Removal::Person(_) => people.contains(x),
            Removal::Rota { team, .. } => db.load_rota(team, x).await?.is_some(),
            Removal::Layer { team, rota, .. } => match cache.load(db, team, rota).await? {
                Some(l) => l.rota.layers.iter().any(|y| y.name == x || y.role == x),
                None => false,
            },
            Removal::Team(_) => {
                target_team = Some(x.to_string());
                db.load_team(x).await?.is_some()
            }
            Removal::RotaBecomes { .. } | Removal::Lead(_) => {
                return Err(PlanError::Replacement(
                    "this change takes no replacement".into(),
                ));
            }
        };
        if !ok {
            return Err(PlanError::Replacement(format!(
                "no {x} to put in its place"
            )));
        }
    }
    if let Removal::Person(p) = removal {
        people.remove(p);
    }
    let is_person = |h: &str| people.contains(h);
    let mut plan = Plan::default();
    let mut views: std::collections::HashMap<String, Option<TeamView>> = Default::default();
    for row in services.iter().filter(|s| owner(&s.team)) {
        let Some(spec) = spec_of(row) else { continue };
        let new_spec = match (removal, replace_with) {
            (Removal::Person(p), Some(x)) => rewrite(&spec, &|t| {
                (t == &Target::Person(p.into())).then(|| Target::Person(x.into()))
            }),
            (Removal::Rota { rota, .. }, Some(x)) => rewrite(&spec, &|t| match t {
                Target::OnCall { rota: r, layer } if r == rota => Some(Target::OnCall {
                    rota: x.into(),
                    layer: layer.clone(),
                }),
                _ => None,
            }),
            (Removal::Layer { rota, layer, .. }, Some(x)) => rewrite(&spec, &|t| match t {
                Target::OnCall { rota: r, layer: l } if (r == rota || r == "*") && l == layer => {
                    Some(Target::OnCall {
                        rota: r.clone(),
                        layer: x.into(),
                    })
                }
                _ => None,
            }),
            _ => spec.clone(),
        };
        let team = target_team.clone().unwrap_or_else(|| row.team.clone());
        if !views.contains_key(&team) {
            let mut v = team_view(db, cache, &team, None).await?;
            if let Some(v) = v.as_mut() {
                apply(v, removal, replace_with);
            }
            views.insert(team.clone(), v);
        }
        let ladder = match new_spec.build() {
            Ok(l) => l,
            Err(Invalid {
                field: f,
                message: m,
            }) => {
                plan.dangling.push(Dangling {
                    service: row.id.clone(),
                    field: format!("ladder.{f}"),
                    reason: m,
                });
                continue;
            }
        };
        let problem = match (removal, views.get(&team).and_then(Option::as_ref)) {
            (Removal::Team(t), _) if target_team.is_none() => Some(Invalid::new(
                "team",
                format!("the service belongs to team {t}, which would be deleted"),
            )),
            (_, None) => Some(Invalid::new("team", format!("no team {team}"))),
            (_, Some(v)) => reach::check(&ladder, v, &is_person).err(),
        };
        match problem {
            Some(Invalid {
                field,
                message: reason,
            }) => plan.dangling.push(Dangling {
                service: row.id.clone(),
                field,
                reason,
            }),
            None if new_spec != spec || team != row.team => {
                let mut r = row.clone();
                r.ladder = serde_json::to_string(&new_spec).unwrap_or_else(|_| row.ladder.clone());
                r.team = team;
                plan.rewrites.push(r);
            }
            None => {}
        }
    }
    Ok(plan)
}

/// The view after `removal` (a removed lead's replacement leads).
fn apply(v: &mut TeamView, removal: Removal<'_>, replace_with: Option<&str>) {
    match removal {
        Removal::Rota { rota, .. } => v.rotas.retain(|r| r.name != rota),
        Removal::Layer { rota, layer, .. } => {
            for r in v.rotas.iter_mut().filter(|r| r.name == rota) {
                r.layers.retain(|l| l.name != layer);
            }
        }
        Removal::RotaBecomes { rota, new, .. } => {
            let fresh = reach::view_of(&v.slug, None, [(rota, new)], None);
            v.rotas.retain(|r| r.name != rota);
            v.rotas.extend(fresh.rotas);
        }
        Removal::Person(p) if v.lead.as_deref() == Some(p) => {
            v.lead = replace_with.map(str::to_string)
        }
        Removal::Lead(_) => v.lead = None,
        _ => {}
    }
}

/// A service whose ladder resolves to nobody somewhere in a window.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Uncovered {
    pub service: String,
    pub team: String,
    /// Why, when the ladder itself names something missing.
    pub problem: Option<String>,
    pub gaps: Vec<Interval>,
}

/// Every service whose ladder reaches nobody at some instant of `window`
/// (rota gaps and restrictions included), with those instants.
pub async fn coverage(
    db: &(impl Reads + AlertReads),
    cache: &RotaCache,
    window: Interval,
) -> Result<Vec<Uncovered>, LoadError> {
    let people = people(db).await?;
    let is_person = |h: &str| people.contains(h);
    let mut views: std::collections::HashMap<String, Option<TeamView>> = Default::default();
    let mut out = Vec::new();
    for row in db.load_services().await? {
        if !views.contains_key(&row.team) {
            let v = team_view(db, cache, &row.team, Some(window)).await?;
            views.insert(row.team.clone(), v);
        }
        let (problem, gaps) = match (
            views.get(&row.team).and_then(Option::as_ref),
            super::alerts::service_policy(row.clone()),
        ) {
            (None, _) => (Some(format!("no team {}", row.team)), vec![window]),
            (_, Err(e)) => (Some(e.to_string()), vec![window]),
            (Some(v), Ok(sp)) => (
                reach::check(&sp.ladder, v, &is_person).err().map(
                    |Invalid {
                         field: f,
                         message: m,
                     }| format!("{f}: {m}"),
                ),
                reach::uncovered(&sp.ladder, v, &is_person, window),
            ),
        };
        if problem.is_some() || !gaps.is_empty() {
            out.push(Uncovered {
                service: row.id,
                team: row.team,
                problem,
                gaps,
            });
        }
    }
    Ok(out)
}

/// Who each stage of `ladder` (a service of `team`) would page at each of
/// `at`: per stage, per instant, the people's names and the other targets
/// as written (chat, email, webhook). A ladder that does not read is an
/// error naming the field.
pub async fn who_per_stage(
    store: &crate::store::Store,
    cache: &RotaCache,
    team: &str,
    ladder: &crate::escalation::ladder::LadderSpec,
    at: &[crate::rota::Instant],
) -> Result<Vec<Vec<Vec<String>>>, super::error::Error> {
    use crate::escalation::paging::{Recipient, Snapshot, recipients};
    let built = ladder.build().map_err(super::error::Error::from)?;
    let lead = store.load_team(team).await?.and_then(|t| t.lead);
    let mut rotas = Vec::new();
    for r in store.load_rotas(Some(team)).await? {
        if let Some(l) = cache.load(store, team, &r.name).await? {
            rotas.push((r.name, l));
        }
    }
    let snap = Snapshot {
        lead,
        rotas: rotas.iter().map(|(n, l)| (n.as_str(), &l.rota)).collect(),
    };
    let names = super::alerts::names(store).await?;
    Ok(built
        .stages
        .iter()
        .map(|s| {
            at.iter()
                .map(|t| {
                    recipients(&s.targets, &snap, *t)
                        .into_iter()
                        .map(|r| match r {
                            Recipient::Person(p) => super::alerts::shown(&p, &names),
                            Recipient::Chat(c) => format!("chat:{c}"),
                            Recipient::Email(e) => format!("email:{e}"),
                            Recipient::Webhook(u) => format!("webhook:{u}"),
                        })
                        .collect()
                })
                .collect()
        })
        .collect())
}

/// The targets a ladder of `team` can pick from, as (target, label): each
/// rota's layers and roles, each role across rotas, the lead, the team,
/// its people, and the chat, email and webhook targets its services
/// already use. Ordered as listed; no duplicates. Labels are short (the
/// picker groups them under "On call", "The team", …, and a phone shows
/// about 30 characters of an option).
pub async fn target_choices(
    store: &crate::store::Store,
    cache: &RotaCache,
    team: &str,
) -> Result<Vec<(String, String)>, super::error::Error> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut push = |t: String, label: String| {
        if !out.iter().any(|(x, _)| *x == t) {
            out.push((t, label));
        }
    };
    let mut roles: Vec<String> = Vec::new();
    let mut people: Vec<(String, String)> = Vec::new();
    for r in store.load_rotas(Some(team)).await? {
        let Some(l) = cache.load(store, team, &r.name).await? else {
            continue;
        };
        for layer in &l.rota.layers {
            push(
                format!("oncall:{}/{}", r.name, layer.name),
                format!("{} / {}", r.name, layer.name),
            );
        }
        for role in l.rota.roles() {
            push(
                format!("oncall:{}/{role}", r.name),
                format!("{} / {role} (role)", r.name),
            );
            if !roles.iter().any(|x| x == role) {
                roles.push(role.to_string());
            }
        }
        for p in &l.rota.people {
            if !people.iter().any(|(id, _)| *id == p.id) {
                people.push((p.id.clone(), p.name.clone()));
            }
        }
    }
    for role in &roles {
        push(format!("oncall:*/{role}"), format!("every rota / {role}"));
    }
    let lead = store.load_team(team).await?.and_then(|t| t.lead);
    push(
        "lead".into(),
        match lead {
            Some(l) => format!("the team lead ({l})"),
            None => "the team lead (none set)".into(),
        },
    );
    push("team".into(), "everyone in the team".into());
    for (id, name) in people {
        push(format!("person:{id}"), name);
    }
    for s in store
        .load_services()
        .await?
        .into_iter()
        .filter(|s| s.team == team)
    {
        let spec: Option<crate::escalation::ladder::LadderSpec> =
            serde_json::from_str(&s.ladder).ok();
        for t in spec
            .iter()
            .flat_map(|l| &l.stages)
            .flat_map(|st| &st.targets)
        {
            if ["chat:", "slack:", "email:", "webhook:"]
                .iter()
                .any(|p| t.starts_with(p))
            {
                push(t.clone(), t.clone());
            }
        }
    }
    Ok(out)
}
