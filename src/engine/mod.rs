//! Drivers between the store and the pure rota engine (IO): load rows, build
//! a `Rota`, cache it; import rota files. A stored rota is a *document*, the
//! typed definition of the rota file without `[team]` and `[[people]]`
//! (those come from their own tables), kept as JSON, so rotas as code and
//! rotas edited over the API are the same data, built by the same builder.

pub mod alerts;
pub mod calendar;
pub mod console;
pub mod dedup;
pub mod directory;
pub mod documents;
pub mod error;
pub mod feeds;
pub mod handoffs;
pub mod ladders;
pub mod overrides;
pub mod reports;
pub mod rotas;
pub mod schedules;
pub mod services;
pub mod swaps;

use crate::rota::Rota;
use crate::rota::file::FileErrors;
use crate::store::{OverrideRow, PersonRow, Reads, RotaRow, StoreError, TeamRow};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A built rota and what it was built from: the change counter it was last
/// checked at, the rota's version and the directory counter.
#[derive(Clone)]
struct Entry {
    generation: i64,
    version: i64,
    directory: i64,
    loaded: Arc<Loaded>,
}

type Entries = HashMap<(String, String), Entry>;

/// Parsed rotas, valid while the store's change counter stays the same.
#[derive(Default)]
pub struct RotaCache {
    inner: Mutex<Entries>,
}

pub struct Loaded {
    pub rota: Rota,
    pub row: RotaRow,
    /// Unique per build in this process, for caches keyed by a built rota.
    pub build: u64,
}

static BUILDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("stored rota no longer validates: {0}")]
    Invalid(FileErrors),
}

impl RotaCache {
    /// The rota `team/name` as of now, or None if there is no such rota.
    pub async fn load(
        &self,
        store: &impl Reads,
        team: &str,
        name: &str,
    ) -> Result<Option<Arc<Loaded>>, LoadError> {
        let generation = store.generation().await?;
        self.load_at(store, generation, team, name).await
    }

    /// As `load`, with the change counter already read (it must have been
    /// read before this call, so a cached rota is never newer than its label).
    pub async fn load_at(
        &self,
        store: &impl Reads,
        generation: i64,
        team: &str,
        name: &str,
    ) -> Result<Option<Arc<Loaded>>, LoadError> {
        let key = (team.to_string(), name.to_string());
        let cached = self
            .inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned();
        if let Some(e) = &cached
            && e.generation == generation
        {
            return Ok(Some(e.loaded.clone()));
        }
        // Something changed somewhere: is it this rota (its version) or the
        // teams and people every rota reads (the directory)? Read the stamp
        // before any rows, so a cached rota is never older than its label.
        let Some((version, directory)) = store.rota_stamp(team, name).await? else {
            self.inner
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&key);
            return Ok(None);
        };
        if let Some(e) = cached
            && e.version == version
            && e.directory == directory
        {
            let kept = Entry { generation, ..e };
            self.inner
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key, kept.clone());
            return Ok(Some(kept.loaded));
        }
        let (Some(team_row), Some(row)) = (
            store.load_team(team).await?,
            store.load_rota(team, name).await?,
        ) else {
            return Ok(None);
        };
        let rota = build_stored(store, &team_row, &row, &[])
            .await?
            .map_err(LoadError::Invalid)?;
        let entry = Entry {
            generation,
            version,
            directory,
            loaded: Arc::new(Loaded {
                rota,
                row,
                build: BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            }),
        };
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, entry.clone());
        Ok(Some(entry.loaded))
    }
}

/// The stored rota `row` as the engine sees it, with `extra` overrides
/// added to the stored ones (to validate a write before making it): loads
/// the people and the overrides, then builds.
pub async fn build_stored(
    store: &impl Reads,
    team: &TeamRow,
    row: &RotaRow,
    extra: &[OverrideRow],
) -> Result<Result<Rota, FileErrors>, StoreError> {
    let people = store.load_people().await?;
    let mut overrides = store.load_overrides(&row.team, &row.name).await?;
    overrides.extend_from_slice(extra);
    Ok(build(team, &people, row, &overrides))
}

/// Builds the engine's `Rota` from stored rows.
pub fn build(
    team: &TeamRow,
    people: &[PersonRow],
    rota: &RotaRow,
    overrides: &[OverrideRow],
) -> Result<Rota, FileErrors> {
    let name = format!("{}/{}", team.slug, rota.name);
    let mut doc = documents::doc_of(rota).map_err(|message| {
        tracing::error!(rota = %name, error = %message, "a stored rota document does not read");
        FileErrors(vec![crate::rota::file::FileError {
            file: name.clone(),
            line: 0,
            column: 0,
            field: "document".into(),
            message,
        }])
    })?;
    doc.overrides
        .extend(overrides.iter().map(documents::override_def));
    crate::rota::file::build_doc(
        &name,
        &documents::team_def(team),
        &documents::person_defs(people),
        &doc,
    )
}
