//! Calendar feeds as domain operations (IO): feed tokens (made, rotated,
//! revoked; 256-bit secrets stored hashed) and rendering a feed, 30 days
//! back to a year ahead, with two caches:
//! - a rendered feed per (feed, busy), valid for one hour (the window moves
//!   by the hour) while the change counter stays the same, or while the
//!   rotas it is made of are the same builds (a change elsewhere);
//! - rendered events per (built rota, shift), so after an edit only the
//!   edited rota's events are rendered again.

use super::calendar::{person_rotas, rota_at, shifts_of_person};
use super::error::{Error, Result};
use super::{Loaded, RotaCache};
use crate::rota::{Instant, Shift, shifts};
use crate::store::{FeedRow, Reads, Store};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What a feed shows.
pub enum Target {
    Person(String),
    Rota {
        team: String,
        rota: String,
        layer: Option<String>,
    },
}

/// A rendered feed.
#[derive(Clone)]
pub struct Rendered {
    pub etag: String,
    /// Last-Modified as HTTP-date, and in seconds since the epoch.
    pub last_modified: String,
    pub modified: i64,
    pub body: Arc<String>,
}

/// A rendered event is known by the build of its rota and the shift.
#[derive(Clone, PartialEq, Eq, Hash)]
struct EventKey {
    build: u64,
    layer: usize,
    person: usize,
    start: i64,
    end: i64,
    source: crate::rota::Source,
    busy: bool,
}

#[derive(Clone)]
struct Entry {
    generation: i64,
    hour: i64,
    /// The builds of the rotas the feed was made of.
    builds: Vec<u64>,
    feed: Rendered,
}

/// At most this many rendered feeds are kept; past it the cache starts over.
const MAX_FEEDS: usize = 20_000;

/// The built rotas a feed is made of (None: the feed's rota is gone).
async fn sources(
    store: &Store,
    cache: &RotaCache,
    feed: &FeedRow,
    generation: i64,
) -> Result<Option<Vec<Arc<Loaded>>>> {
    Ok(match (&feed.person, &feed.team, &feed.rota) {
        (Some(person), _, _) => Some(person_rotas(store, cache, generation, person).await?),
        (None, Some(team), Some(rota)) => rota_at(store, cache, generation, team, rota)
            .await
            .ok()
            .map(|l| vec![l]),
        _ => None,
    })
}

/// The caches (one per process).
#[derive(Default)]
pub struct FeedCache {
    feeds: Mutex<HashMap<(String, bool), Entry>>,
    events: Mutex<HashMap<EventKey, Arc<str>>>,
}

/// At most this many rendered events are kept; past it the cache starts over.
const MAX_EVENTS: usize = 200_000;

/// Makes a feed; returns its row and the secret (shown once).
pub async fn create(
    store: &Store,
    cache: &RotaCache,
    target: Target,
    actor: &str,
    now: Instant,
) -> Result<(FeedRow, String)> {
    let (person, team, rota, layer) = match target {
        Target::Person(p) => {
            store
                .load_person(&p)
                .await?
                .ok_or_else(|| Error::not_found(format!("person {p}")))?;
            (Some(p), None, None, None)
        }
        Target::Rota { team, rota, layer } => {
            let l = super::rotas::loaded(store, cache, &team, &rota).await?;
            if let Some(n) = &layer
                && l.rota.layer(n).is_none()
            {
                return Err(Error::invalid(
                    "layer",
                    format!("rota {team}/{rota} has no layer {n}"),
                ));
            }
            (None, Some(team), Some(rota), layer)
        }
    };
    let (secret, hash) = crate::ids::new_secret("vf_");
    let row = FeedRow {
        id: crate::ids::new_id("feed_"),
        hash,
        person,
        team,
        rota,
        layer,
        created_by: actor.to_string(),
    };
    let at = now.timestamp();
    let tx = store.tx().await?;
    tx.insert_feed_token(&row, at).await?;
    tx.audit(
        at,
        actor,
        "feed.create",
        &row.id,
        json!({ "person": row.person, "team": row.team, "rota": row.rota, "layer": row.layer }),
    )
    .await?;
    tx.commit().await?;
    Ok((row, secret))
}

pub async fn find(store: &Store, id: &str) -> Result<FeedRow> {
    store
        .load_feed_token(id)
        .await?
        .ok_or_else(|| Error::not_found(format!("feed {id}")))
}

pub async fn revoke(store: &Store, id: &str, actor: &str, now: Instant) -> Result<()> {
    let at = now.timestamp();
    let tx = store.tx().await?;
    tx.revoke_feed_token(id, at).await?;
    tx.audit(at, actor, "feed.revoke", id, json!({})).await?;
    tx.commit().await?;
    Ok(())
}

/// A new secret for the same feed; the old URL stops working at once.
pub async fn rotate(
    store: &Store,
    old: FeedRow,
    actor: &str,
    now: Instant,
) -> Result<(FeedRow, String)> {
    let (secret, hash) = crate::ids::new_secret("vf_");
    let id = old.id.clone();
    let row = FeedRow {
        id: crate::ids::new_id("feed_"),
        hash,
        created_by: actor.to_string(),
        ..old
    };
    let at = now.timestamp();
    let tx = store.tx().await?;
    tx.revoke_feed_token(&id, at).await?;
    tx.insert_feed_token(&row, at).await?;
    tx.audit(at, actor, "feed.rotate", &id, json!({ "new_id": row.id }))
        .await?;
    tx.commit().await?;
    Ok((row, secret))
}

impl FeedCache {
    /// The feed with this secret, rendered (from the cache when nothing
    /// changed this hour); None for an unknown or revoked secret.
    pub async fn render(
        &self,
        store: &Store,
        cache: &RotaCache,
        secret: &str,
        busy: bool,
        now: Instant,
    ) -> Result<Option<Rendered>> {
        let Some(feed) = store.find_feed_token(&crate::ids::hash(secret)).await? else {
            return Ok(None);
        };
        let generation = store.generation().await?;
        let hour = now.timestamp().div_euclid(3600);
        let key = (feed.id.clone(), busy);
        let cached = self
            .feeds
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .filter(|e| e.hour == hour)
            .cloned();
        if let Some(e) = &cached
            && e.generation == generation
        {
            return Ok(Some(e.feed.clone()));
        }
        let Some(sources) = sources(store, cache, &feed, generation).await? else {
            return Ok(None);
        };
        let builds: Vec<u64> = sources.iter().map(|l| l.build).collect();
        let rendered = match cached {
            // Something changed, but not the rotas this feed is made of.
            Some(e) if e.builds == builds => e.feed,
            _ => self.render_fresh(&feed, &sources, hour, busy),
        };
        let mut feeds = self.feeds.lock().unwrap_or_else(|e| e.into_inner());
        if feeds.len() >= MAX_FEEDS {
            feeds.clear();
        }
        feeds.insert(
            key,
            Entry {
                generation,
                hour,
                builds,
                feed: rendered.clone(),
            },
        );
        Ok(Some(rendered))
    }

    /// Renders a feed for the window around `hour`: 30 days back, a year ahead.
    fn render_fresh(
        &self,
        feed: &FeedRow,
        sources: &[Arc<Loaded>],
        hour: i64,
        busy: bool,
    ) -> Rendered {
        let now = DateTime::<Utc>::from_timestamp(hour * 3600, 0).unwrap_or_default();
        let (from, to) = (now - Duration::days(30), now + Duration::days(366));
        let (events, name): (Vec<(Arc<Loaded>, Shift)>, String) = match &feed.person {
            Some(person) => (
                shifts_of_person(sources, person, from, to),
                format!("{person} on call"),
            ),
            None => {
                let (team, rota) = (
                    feed.team.as_deref().unwrap_or(""),
                    feed.rota.as_deref().unwrap_or(""),
                );
                let ev = sources
                    .iter()
                    .flat_map(|l| {
                        let layer = feed.layer.as_ref().and_then(|n| l.rota.layer(n));
                        shifts::shifts_between(&l.rota, from, to)
                            .into_iter()
                            .filter(move |s| layer.is_none_or(|i| s.layer == i))
                            .map(move |s| (l.clone(), s))
                    })
                    .collect();
                let label = match &feed.layer {
                    Some(layer) => format!("{team}/{rota} {layer} on call"),
                    None => format!("{team}/{rota} on call"),
                };
                (ev, label)
            }
        };
        let modified = sources.iter().map(|l| l.row.updated_at).max().unwrap_or(0);
        let body = self.calendar(&name, &events, busy);
        let digest: String = Sha256::digest(body.as_bytes())
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect();
        let stamp = DateTime::<Utc>::from_timestamp(modified, 0).unwrap_or_default();
        Rendered {
            etag: format!("\"{digest}\""),
            last_modified: stamp.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
            modified,
            body: Arc::new(body),
        }
    }

    /// The calendar text, each event rendered once per built rota.
    fn calendar(&self, name: &str, events: &[(Arc<Loaded>, Shift)], busy: bool) -> String {
        let mut cache = self.events.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() > MAX_EVENTS {
            cache.clear();
        }
        let texts: Vec<Arc<str>> = events
            .iter()
            .map(|(l, s)| {
                let key = EventKey {
                    build: l.build,
                    layer: s.layer,
                    person: s.person,
                    start: s.start.timestamp(),
                    end: s.end.timestamp(),
                    source: s.source,
                    busy,
                };
                cache
                    .entry(key)
                    .or_insert_with(|| {
                        // Each event is stamped with its own rota's last change.
                        let at = DateTime::<Utc>::from_timestamp(l.row.updated_at, 0)
                            .unwrap_or_default();
                        Arc::from(crate::ics::event(&l.rota, s, at, busy))
                    })
                    .clone()
            })
            .collect();
        crate::ics::calendar(name, texts.iter().map(|t| &**t))
    }
}
