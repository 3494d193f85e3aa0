//! Rotas as code: `vigil schedules apply DIR` loads rota files into the
//! database in one transaction, idempotently (a second run changes nothing),
//! and reports what it adds, changes or removes; `export` writes them back.
//! Reading (`read`) and planning (`plan`, pure) come first; a dry run prints
//! the plan, a real run executes its writes.

pub mod plan;
pub mod read;

pub use read::check_services;

use crate::engine::RotaCache;
use crate::store::{AlertReads as _, Reads as _, Store, StoreError, Tx};
use plan::{Current, Op};
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

/// Why `apply` wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The files (or what they would do to the database's services): each
    /// line names a file and a field.
    #[error("{0}")]
    Files(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<String> for ApplyError {
    fn from(s: String) -> Self {
        ApplyError::Files(s)
    }
}

/// Reads `dir`, plans, and (unless `dry_run`) writes the plan in one
/// transaction with one audit entry; returns the changes.
pub async fn apply(
    store: &Store,
    dir: &Path,
    dry_run: bool,
    actor: &str,
    now: i64,
    allow_private_webhooks: bool,
) -> Result<Vec<Change>, ApplyError> {
    let files = read::read_dir(dir, now)?;
    let tx = store.tx().await?;
    let cur = current(&tx, &files).await?;
    let plan = plan::plan(&files, &cur, now, allow_private_webhooks)?;
    if dry_run || !plan.changed() {
        return Ok(plan.changes);
    }
    for op in &plan.ops {
        execute(&tx, op, now).await?;
    }
    let summary: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| !matches!(c, Change::Unchanged(_)))
        .map(|c| c.to_string())
        .collect();
    let what = dir.display().to_string();
    let detail = serde_json::json!({ "changes": summary });
    tx.audit(now, actor, "schedules.apply", &what, detail)
        .await?;
    tx.commit().await?;
    Ok(plan.changes)
}

/// What the database holds for the files' teams and people.
async fn current(tx: &Tx, files: &[read::FileRota]) -> Result<Current, ApplyError> {
    let mut cur = Current {
        rotas: tx.load_rotas(None).await?,
        services: tx.load_services().await?,
        people: tx
            .load_people()
            .await?
            .into_iter()
            .map(|p| (p.handle.clone(), p))
            .collect(),
        ..Current::default()
    };
    let cache = RotaCache::default();
    for f in files {
        let slug = &f.team.slug;
        if !cur.teams.contains_key(slug)
            && let Some(t) = tx.load_team(slug).await?
        {
            cur.teams.insert(slug.clone(), t);
        }
        for (handle, _) in &f.rules {
            let stored = tx.load_person_rules(handle).await?;
            cur.rules.insert(handle.clone(), stored);
        }
    }
    let slugs: std::collections::BTreeSet<&String> = files.iter().map(|f| &f.team.slug).collect();
    for r in cur.rotas.iter().filter(|r| slugs.contains(&r.team)) {
        if r.origin.starts_with("file:") {
            continue;
        }
        let built = cache
            .load(tx, &r.team, &r.name)
            .await
            .map_err(|e| ApplyError::Files(format!("rota {}/{}: {e}", r.team, r.name)))?;
        if let Some(l) = built {
            cur.api_rotas.push((r.team.clone(), r.name.clone(), l));
        }
    }
    Ok(cur)
}

async fn execute(tx: &Tx, op: &Op, now: i64) -> Result<(), StoreError> {
    match op {
        Op::UpsertTeam(t) => tx.upsert_team(t, now).await,
        Op::UpsertPerson(p) => tx.upsert_person(p, now).await,
        Op::SetRules(h, r) => tx.set_person_rules(h, Some(r.clone())).await.map(drop),
        Op::InsertRota(r) => tx.insert_rota(r).await,
        Op::UpdateRota(r, version) => tx
            .update_rota(&r.team, &r.name, *version, &r.document, &r.origin, now)
            .await
            .map(drop),
        Op::DeleteRota(team, name) => tx.delete_rota(team, name).await.map(drop),
        Op::UpsertService(s) => tx.upsert_service(s, now).await,
        Op::DeleteService(id) => tx.delete_service(id).await.map(drop),
    }
}
