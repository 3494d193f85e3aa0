//! Rows and the queries that read and write them.

use super::{Result, Store, StoreError, Tx, opt};
use sea_orm::QueryResult;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TeamRow {
    pub slug: String,
    pub timezone: String,
    pub lead: Option<String>,
    pub swap_approval: bool,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PersonRow {
    pub handle: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub chat: Option<String>,
    pub timezone: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RotaRow {
    pub team: String,
    pub name: String,
    pub document: String,
    pub version: i64,
    pub origin: String,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OverrideRow {
    pub id: String,
    pub team: String,
    pub rota: String,
    pub layer: String,
    pub kind: String,
    pub start: i64,
    pub end: i64,
    pub person: Option<String>,
    pub replaces: Option<String>,
    pub note: Option<String>,
    pub created_by: String,
    /// "override", or "swap" for the overrides an accepted swap wrote.
    pub source: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SwapRow {
    pub id: String,
    pub team: String,
    pub rota: String,
    pub layer: String,
    pub offered_by: String,
    pub start: i64,
    pub end: i64,
    pub taker: Option<String>,
    /// The taker's shift given back in return, if the swap is a trade.
    pub in_return: Option<(i64, i64)>,
    pub state: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TokenRow {
    pub id: String,
    pub hash: String,
    pub role: String,
    pub teams: Vec<String>,
    pub person: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FeedRow {
    pub id: String,
    pub hash: String,
    pub person: Option<String>,
    pub team: Option<String>,
    pub rota: Option<String>,
    pub layer: Option<String>,
    pub created_by: String,
}

fn s(r: &QueryResult, c: &str) -> Result<String> {
    Ok(r.try_get::<String>("", c)?)
}
fn os(r: &QueryResult, c: &str) -> Result<Option<String>> {
    Ok(r.try_get::<Option<String>>("", c)?)
}
fn i(r: &QueryResult, c: &str) -> Result<i64> {
    Ok(r.try_get::<i64>("", c)?)
}

fn team(r: &QueryResult) -> Result<TeamRow> {
    Ok(TeamRow {
        slug: s(r, "slug")?,
        timezone: s(r, "timezone")?,
        lead: os(r, "lead")?,
        swap_approval: r.try_get::<bool>("", "swap_approval")?,
    })
}

fn person(r: &QueryResult) -> Result<PersonRow> {
    Ok(PersonRow {
        handle: s(r, "handle")?,
        name: s(r, "name")?,
        email: os(r, "email")?,
        phone: os(r, "phone")?,
        chat: os(r, "chat")?,
        timezone: os(r, "timezone")?,
    })
}

fn rota(r: &QueryResult) -> Result<RotaRow> {
    Ok(RotaRow {
        team: s(r, "team")?,
        name: s(r, "name")?,
        document: s(r, "document")?,
        version: i(r, "version")?,
        origin: s(r, "origin")?,
        updated_at: i(r, "updated_at")?,
    })
}

fn override_row(r: &QueryResult) -> Result<OverrideRow> {
    Ok(OverrideRow {
        id: s(r, "id")?,
        team: s(r, "team")?,
        rota: s(r, "rota")?,
        layer: s(r, "layer")?,
        kind: s(r, "kind")?,
        start: i(r, "start_at")?,
        end: i(r, "end_at")?,
        person: os(r, "person")?,
        replaces: os(r, "replaces")?,
        note: os(r, "note")?,
        created_by: s(r, "created_by")?,
        source: s(r, "source")?,
    })
}

fn swap(r: &QueryResult) -> Result<SwapRow> {
    let rs = r.try_get::<Option<i64>>("", "return_start")?;
    let re = r.try_get::<Option<i64>>("", "return_end")?;
    Ok(SwapRow {
        id: s(r, "id")?,
        team: s(r, "team")?,
        rota: s(r, "rota")?,
        layer: s(r, "layer")?,
        offered_by: s(r, "offered_by")?,
        start: i(r, "start_at")?,
        end: i(r, "end_at")?,
        taker: os(r, "taker")?,
        in_return: rs.zip(re),
        state: s(r, "state")?,
        note: os(r, "note")?,
    })
}

const SWAP_COLS: &str = "id, team, rota, layer, offered_by, start_at, end_at, taker, return_start, return_end, state, note";

fn token(r: &QueryResult) -> Result<TokenRow> {
    let teams = s(r, "teams")?;
    Ok(TokenRow {
        id: s(r, "id")?,
        hash: s(r, "hash")?,
        role: s(r, "role")?,
        teams: teams
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        person: os(r, "person")?,
    })
}

fn feed(r: &QueryResult) -> Result<FeedRow> {
    Ok(FeedRow {
        id: s(r, "id")?,
        hash: s(r, "hash")?,
        person: os(r, "person")?,
        team: os(r, "team")?,
        rota: os(r, "rota")?,
        layer: os(r, "layer")?,
        created_by: s(r, "created_by")?,
    })
}

fn collect<T>(rows: Vec<QueryResult>, f: fn(&QueryResult) -> Result<T>) -> Result<Vec<T>> {
    rows.iter().map(f).collect()
}

const ROTA_COLS: &str = "team, name, document, version, origin, updated_at";
const OVERRIDE_COLS: &str =
    "id, team, rota, layer, kind, start_at, end_at, person, replaces, note, created_by, source";

impl Store {
    pub async fn load_teams(&self) -> Result<Vec<TeamRow>> {
        collect(
            self.all(
                "SELECT slug, timezone, lead, swap_approval FROM teams ORDER BY slug",
                vec![],
            )
            .await?,
            team,
        )
    }
    pub async fn load_team(&self, slug: &str) -> Result<Option<TeamRow>> {
        self.one(
            "SELECT slug, timezone, lead, swap_approval FROM teams WHERE slug = ?",
            vec![slug.into()],
        )
        .await?
        .as_ref()
        .map(team)
        .transpose()
    }
    pub async fn load_people(&self) -> Result<Vec<PersonRow>> {
        collect(
            self.all(
                "SELECT handle, name, email, phone, chat, timezone FROM people ORDER BY handle",
                vec![],
            )
            .await?,
            person,
        )
    }
    pub async fn load_person(&self, handle: &str) -> Result<Option<PersonRow>> {
        self.one(
            "SELECT handle, name, email, phone, chat, timezone FROM people WHERE handle = ?",
            vec![handle.into()],
        )
        .await?
        .as_ref()
        .map(person)
        .transpose()
    }
    pub async fn load_rotas(&self, team: Option<&str>) -> Result<Vec<RotaRow>> {
        let rows = match team {
            Some(t) => {
                self.all(
                    &format!("SELECT {ROTA_COLS} FROM rotas WHERE team = ? ORDER BY name"),
                    vec![t.into()],
                )
                .await?
            }
            None => {
                self.all(
                    &format!("SELECT {ROTA_COLS} FROM rotas ORDER BY team, name"),
                    vec![],
                )
                .await?
            }
        };
        collect(rows, rota)
    }
    pub async fn load_rota(&self, team: &str, name: &str) -> Result<Option<RotaRow>> {
        self.one(
            &format!("SELECT {ROTA_COLS} FROM rotas WHERE team = ? AND name = ?"),
            vec![team.into(), name.into()],
        )
        .await?
        .as_ref()
        .map(rota)
        .transpose()
    }
    pub async fn load_overrides(&self, team: &str, rota_name: &str) -> Result<Vec<OverrideRow>> {
        let sql = format!(
            "SELECT {OVERRIDE_COLS} FROM overrides WHERE team = ? AND rota = ? ORDER BY start_at, id"
        );
        collect(
            self.all(&sql, vec![team.into(), rota_name.into()]).await?,
            override_row,
        )
    }
    pub async fn load_override(&self, id: &str) -> Result<Option<OverrideRow>> {
        self.one(
            &format!("SELECT {OVERRIDE_COLS} FROM overrides WHERE id = ?"),
            vec![id.into()],
        )
        .await?
        .as_ref()
        .map(override_row)
        .transpose()
    }
    pub async fn load_swaps(&self, team: &str, rota_name: &str) -> Result<Vec<SwapRow>> {
        let sql = format!(
            "SELECT {SWAP_COLS} FROM swaps WHERE team = ? AND rota = ? ORDER BY start_at, id"
        );
        collect(
            self.all(&sql, vec![team.into(), rota_name.into()]).await?,
            swap,
        )
    }
    pub async fn load_swap(&self, id: &str) -> Result<Option<SwapRow>> {
        self.one(
            &format!("SELECT {SWAP_COLS} FROM swaps WHERE id = ?"),
            vec![id.into()],
        )
        .await?
        .as_ref()
        .map(swap)
        .transpose()
    }
    /// A rota's version and the directory counter, or None if the rota is
    /// gone: what a cached rota is checked against.
    pub async fn rota_stamp(&self, team: &str, name: &str) -> Result<Option<(i64, i64)>> {
        let sql = "SELECT r.version AS version, m.value AS directory FROM rotas r, meta m WHERE r.team = ? AND r.name = ? AND m.key = 'directory'";
        let r = self.one(sql, vec![team.into(), name.into()]).await?;
        r.map(|r| Ok((i(&r, "version")?, i(&r, "directory")?)))
            .transpose()
    }
    /// An unrevoked API token by the hash of its secret.
    pub async fn find_api_token(&self, hash: &str) -> Result<Option<TokenRow>> {
        self.one("SELECT id, hash, role, teams, person FROM api_tokens WHERE hash = ? AND revoked_at IS NULL", vec![hash.into()])
            .await?
            .as_ref()
            .map(token)
            .transpose()
    }
    pub async fn count_api_tokens(&self) -> Result<i64> {
        let r = self
            .one("SELECT COUNT(*) AS n FROM api_tokens", vec![])
            .await?;
        Ok(r.map(|r| r.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0))
    }
    /// An unrevoked feed token by the hash of its secret.
    pub async fn find_feed_token(&self, hash: &str) -> Result<Option<FeedRow>> {
        let sql = "SELECT id, hash, person, team, rota, layer, created_by FROM feed_tokens WHERE hash = ? AND revoked_at IS NULL";
        self.one(sql, vec![hash.into()])
            .await?
            .as_ref()
            .map(feed)
            .transpose()
    }
    pub async fn load_feed_token(&self, id: &str) -> Result<Option<FeedRow>> {
        let sql = "SELECT id, hash, person, team, rota, layer, created_by FROM feed_tokens WHERE id = ? AND revoked_at IS NULL";
        self.one(sql, vec![id.into()])
            .await?
            .as_ref()
            .map(feed)
            .transpose()
    }
    pub async fn audit_entries(
        &self,
        limit: i64,
    ) -> Result<Vec<(i64, String, String, String, String)>> {
        let rows = self
            .all(
                "SELECT at, actor, action, target, detail FROM audit_log ORDER BY id DESC LIMIT ?",
                vec![limit.into()],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    i(r, "at")?,
                    s(r, "actor")?,
                    s(r, "action")?,
                    s(r, "target")?,
                    s(r, "detail")?,
                ))
            })
            .collect()
    }
}

impl Tx {
    pub async fn upsert_team(&self, t: &TeamRow, now: i64) -> Result<()> {
        self.touch_directory().await?;
        self.exec(
            "INSERT INTO teams (slug, timezone, lead, swap_approval, updated_at) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (slug) DO UPDATE SET timezone = excluded.timezone, lead = excluded.lead, \
             swap_approval = excluded.swap_approval, updated_at = excluded.updated_at",
            vec![t.slug.clone().into(), t.timezone.clone().into(), opt(&t.lead), t.swap_approval.into(), now.into()],
        )
        .await
        .map(|_| ())
    }
    pub async fn delete_team(&self, slug: &str) -> Result<u64> {
        self.touch_directory().await?;
        self.exec("DELETE FROM overrides WHERE team = ?", vec![slug.into()])
            .await?;
        self.exec("DELETE FROM rotas WHERE team = ?", vec![slug.into()])
            .await?;
        self.exec("DELETE FROM teams WHERE slug = ?", vec![slug.into()])
            .await
    }
    pub async fn upsert_person(&self, p: &PersonRow, now: i64) -> Result<()> {
        self.touch_directory().await?;
        self.exec(
            "INSERT INTO people (handle, name, email, phone, chat, timezone, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (handle) DO UPDATE SET name = excluded.name, email = excluded.email, phone = excluded.phone, \
             chat = excluded.chat, timezone = excluded.timezone, updated_at = excluded.updated_at",
            vec![
                p.handle.clone().into(),
                p.name.clone().into(),
                opt(&p.email),
                opt(&p.phone),
                opt(&p.chat),
                opt(&p.timezone),
                now.into(),
            ],
        )
        .await
        .map(|_| ())
    }
    pub async fn delete_person(&self, handle: &str) -> Result<u64> {
        self.touch_directory().await?;
        self.exec("DELETE FROM people WHERE handle = ?", vec![handle.into()])
            .await
    }
    pub async fn insert_rota(&self, r: &RotaRow) -> Result<()> {
        self.exec(
            &format!("INSERT INTO rotas ({ROTA_COLS}) VALUES (?, ?, ?, ?, ?, ?)"),
            vec![
                r.team.clone().into(),
                r.name.clone().into(),
                r.document.clone().into(),
                r.version.into(),
                r.origin.clone().into(),
                r.updated_at.into(),
            ],
        )
        .await
        .map(|_| ())
    }
    /// Replaces a rota's document if its version is still `expected`; the
    /// new version is `expected + 1`. A stale version is a conflict.
    pub async fn update_rota(
        &self,
        team: &str,
        name: &str,
        expected: i64,
        document: &str,
        origin: &str,
        now: i64,
    ) -> Result<i64> {
        let n = self
            .exec(
                "UPDATE rotas SET document = ?, version = version + 1, origin = ?, updated_at = ? WHERE team = ? AND name = ? AND version = ?",
                vec![document.into(), origin.into(), now.into(), team.into(), name.into(), expected.into()],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::Conflict(format!(
                "rota {team}/{name} is no longer at version {expected}"
            )));
        }
        Ok(expected + 1)
    }
    /// Bumps a rota's version (its overrides changed).
    pub async fn touch_rota(&self, team: &str, name: &str, now: i64) -> Result<()> {
        self.exec(
            "UPDATE rotas SET version = version + 1, updated_at = ? WHERE team = ? AND name = ?",
            vec![now.into(), team.into(), name.into()],
        )
        .await
        .map(|_| ())
    }
    pub async fn delete_rota(&self, team: &str, name: &str) -> Result<u64> {
        // A re-created rota starts again at version 1: bump the directory so
        // no instance mistakes it for the old one it has cached.
        self.touch_directory().await?;
        self.exec(
            "DELETE FROM overrides WHERE team = ? AND rota = ?",
            vec![team.into(), name.into()],
        )
        .await?;
        self.exec(
            "DELETE FROM rotas WHERE team = ? AND name = ?",
            vec![team.into(), name.into()],
        )
        .await
    }
    pub async fn insert_override(&self, o: &OverrideRow, now: i64) -> Result<()> {
        self.exec(
            &format!("INSERT INTO overrides ({OVERRIDE_COLS}, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
            vec![
                o.id.clone().into(),
                o.team.clone().into(),
                o.rota.clone().into(),
                o.layer.clone().into(),
                o.kind.clone().into(),
                o.start.into(),
                o.end.into(),
                opt(&o.person),
                opt(&o.replaces),
                opt(&o.note),
                o.created_by.clone().into(),
                o.source.clone().into(),
                now.into(),
            ],
        )
        .await
        .map(|_| ())
    }
    pub async fn delete_override(&self, id: &str) -> Result<u64> {
        self.exec("DELETE FROM overrides WHERE id = ?", vec![id.into()])
            .await
    }
    pub async fn insert_api_token(&self, t: &TokenRow, now: i64) -> Result<()> {
        self.exec(
            "INSERT INTO api_tokens (id, hash, role, teams, person, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            vec![t.id.clone().into(), t.hash.clone().into(), t.role.clone().into(), t.teams.join(",").into(), opt(&t.person), now.into()],
        )
        .await
        .map(|_| ())
    }
    pub async fn revoke_api_token(&self, id: &str, now: i64) -> Result<u64> {
        self.exec(
            "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            vec![now.into(), id.into()],
        )
        .await
    }
    pub async fn insert_feed_token(&self, f: &FeedRow, now: i64) -> Result<()> {
        self.exec(
            "INSERT INTO feed_tokens (id, hash, person, team, rota, layer, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            vec![f.id.clone().into(), f.hash.clone().into(), opt(&f.person), opt(&f.team), opt(&f.rota), opt(&f.layer), f.created_by.clone().into(), now.into()],
        )
        .await
        .map(|_| ())
    }
    pub async fn revoke_feed_token(&self, id: &str, now: i64) -> Result<u64> {
        self.exec(
            "UPDATE feed_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            vec![now.into(), id.into()],
        )
        .await
    }
    pub async fn insert_swap(&self, w: &SwapRow, now: i64) -> Result<()> {
        self.exec(
            &format!("INSERT INTO swaps ({SWAP_COLS}, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
            vec![
                w.id.clone().into(),
                w.team.clone().into(),
                w.rota.clone().into(),
                w.layer.clone().into(),
                w.offered_by.clone().into(),
                w.start.into(),
                w.end.into(),
                opt(&w.taker),
                w.in_return.map(|r| r.0).into(),
                w.in_return.map(|r| r.1).into(),
                w.state.clone().into(),
                opt(&w.note),
                now.into(),
            ],
        )
        .await
        .map(|_| ())
    }
    /// Moves a swap from state `from` to `w.state` (with its taker and
    /// return); a swap no longer in `from` is a conflict, so two people
    /// cannot both accept one offer.
    pub async fn advance_swap(&self, w: &SwapRow, from: &str, now: i64) -> Result<()> {
        let n = self
            .exec(
                "UPDATE swaps SET state = ?, taker = ?, return_start = ?, return_end = ?, updated_at = ? WHERE id = ? AND state = ?",
                vec![
                    w.state.clone().into(),
                    opt(&w.taker),
                    w.in_return.map(|r| r.0).into(),
                    w.in_return.map(|r| r.1).into(),
                    now.into(),
                    w.id.clone().into(),
                    from.into(),
                ],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::Conflict(format!(
                "swap {} is no longer {from}",
                w.id
            )));
        }
        Ok(())
    }
    /// Teams and people feed every rota: their writes bump `directory`.
    async fn touch_directory(&self) -> Result<()> {
        self.exec(
            "UPDATE meta SET value = value + 1 WHERE key = 'directory'",
            vec![],
        )
        .await
        .map(|_| ())
    }
    /// The rota's version inside this transaction.
    pub async fn rota_version(&self, team: &str, name: &str) -> Result<Option<i64>> {
        let r = self
            .one(
                "SELECT version FROM rotas WHERE team = ? AND name = ?",
                vec![team.into(), name.into()],
            )
            .await?;
        Ok(r.map(|r| r.try_get::<i64>("", "version")).transpose()?)
    }
}
