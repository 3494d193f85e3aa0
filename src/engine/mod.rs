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
pub mod edits;
pub mod error;
pub mod feeds;
pub mod grid;
pub mod handoffs;
pub mod ladders;
pub mod opener;
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
/// checked at, the rota's version, the directory counter and the rota's
/// overrides (kept so a directory change rebuilds without reading them).
#[derive(Clone)]
struct Entry {
    generation: i64,
    version: i64,
    directory: i64,
    overrides: Arc<Vec<OverrideRow>>,
    loaded: Arc<Loaded>,
}

type Entries = HashMap<(String, String), Entry>;

/// Parsed rotas, valid while the store's change counter stays the same.
#[derive(Default)]
pub struct RotaCache {
    inner: Mutex<Entries>,
    /// The people every rota reads, labelled with the directory counter
    /// read before them: after a team or people change the rotas rebuilt
    /// one after another read them once, not once each.
    people: Mutex<Option<(i64, Arc<Vec<PersonRow>>)>>,
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
        let cached = self.entry(&key);
        if let Some(e) = &cached
            && e.generation == generation
        {
            return Ok(Some(e.loaded.clone()));
        }
        // Something changed somewhere: is it this rota (its version) or the
        // teams and people every rota reads (the directory)? Read the stamp
        // before any rows, so a cached rota is never older than its label.
        let Some(stamp) = store.rota_stamp(team, name).await? else {
            self.inner
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&key);
            return Ok(None);
        };
        self.load_stamped(store, generation, key, cached, stamp, None)
            .await
    }

    /// Every rota, by team and name, as of change counter `generation`
    /// (read before this call). One read gives every rota's stamp and,
    /// when rotas must be rebuilt, one read gives every team: after a
    /// directory change a person's feed, which looks at every rota, makes
    /// two reads and the people's one instead of two per rota.
    pub async fn load_all_at(
        &self,
        store: &impl Reads,
        generation: i64,
    ) -> Result<Vec<Arc<Loaded>>, LoadError> {
        let stamps = store.rota_stamps().await?;
        let mut teams: Option<HashMap<String, TeamRow>> = None;
        let mut out = Vec::with_capacity(stamps.len());
        for (team, name, version, directory) in stamps {
            let key = (team, name);
            let cached = self.entry(&key);
            if let Some(e) = &cached
                && e.generation == generation
            {
                out.push(e.loaded.clone());
                continue;
            }
            // A rebuild needs the team: read them all, once.
            let stale = cached
                .as_ref()
                .is_none_or(|e| e.version != version || e.directory != directory);
            if stale && teams.is_none() {
                let all = store.load_teams().await?;
                teams = Some(all.into_iter().map(|t| (t.slug.clone(), t)).collect());
            }
            let team_row = teams.as_ref().map(|t| t.get(&key.0).cloned());
            let stamp = (version, directory);
            if let Some(l) = self
                .load_stamped(store, generation, key, cached, stamp, team_row)
                .await?
            {
                out.push(l);
            }
        }
        Ok(out)
    }

    fn entry(&self, key: &(String, String)) -> Option<Entry> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }

    /// `load_at` past the stamp read: relabels the cached rota if its
    /// stamp still holds, or rebuilds it (`team_row`: the team already
    /// read, Some(None) when it is gone).
    async fn load_stamped(
        &self,
        store: &impl Reads,
        generation: i64,
        key: (String, String),
        cached: Option<Entry>,
        (version, directory): (i64, i64),
        team_row: Option<Option<TeamRow>>,
    ) -> Result<Option<Arc<Loaded>>, LoadError> {
        let (team, name) = (key.0.as_str(), key.1.as_str());
        if let Some(e) = &cached
            && e.version == version
            && e.directory == directory
        {
            let kept = Entry {
                generation,
                ..e.clone()
            };
            self.inner
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key, kept.clone());
            return Ok(Some(kept.loaded));
        }
        let team_row = match team_row {
            Some(t) => t,
            None => store.load_team(team).await?,
        };
        let Some(team_row) = team_row else {
            return Ok(None);
        };
        let people = self.people_at(store, directory).await?;
        // The rota's own rows change only with its version.
        let (row, overrides) = match &cached {
            Some(e) if e.version == version => (e.loaded.row.clone(), e.overrides.clone()),
            _ => {
                let Some(row) = store.load_rota(team, name).await? else {
                    return Ok(None);
                };
                let overrides = Arc::new(store.load_overrides(team, name).await?);
                (row, overrides)
            }
        };
        let rota = build(&team_row, &people, &row, &overrides).map_err(LoadError::Invalid)?;
        // A change elsewhere in the directory (another team, a person on
        // no layer here) often leaves this rota as it was: keep the built
        // one, so what is cached by its build (rendered feed events) stays.
        let loaded = match cached {
            Some(e) if e.loaded.rota == rota && e.loaded.row == row => e.loaded,
            _ => Arc::new(Loaded {
                rota,
                row,
                build: BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            }),
        };
        let entry = Entry {
            generation,
            version,
            directory,
            overrides,
            loaded,
        };
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, entry.clone());
        Ok(Some(entry.loaded))
    }
}

impl RotaCache {
    /// The people as of directory counter `directory` (or newer).
    async fn people_at(
        &self,
        store: &impl Reads,
        directory: i64,
    ) -> Result<Arc<Vec<PersonRow>>, StoreError> {
        if let Some((d, rows)) = &*self.people.lock().unwrap_or_else(|e| e.into_inner())
            && *d == directory
        {
            return Ok(rows.clone());
        }
        let rows = Arc::new(store.load_people().await?);
        *self.people.lock().unwrap_or_else(|e| e.into_inner()) = Some((directory, rows.clone()));
        Ok(rows)
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
