//! Writes: methods on `Tx`, inside one transaction that commit() closes
//! (bumping the change counter).

use super::rows::*;
use super::sealed::Conn;
use super::{Result, StoreError, Tx, opt};

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
    /// Bumps a rota's version (its overrides changed) if it is still at
    /// `expected`, the version the change was checked against; otherwise
    /// someone else changed it meanwhile, and this is a conflict. Returns
    /// the new version.
    pub async fn touch_rota(&self, team: &str, name: &str, expected: i64, now: i64) -> Result<i64> {
        let n = self
            .exec(
                "UPDATE rotas SET version = version + 1, updated_at = ? WHERE team = ? AND name = ? AND version = ?",
                vec![now.into(), team.into(), name.into(), expected.into()],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::Conflict(format!(
                "rota {team}/{name} changed since version {expected}: reload it and try again"
            )));
        }
        Ok(expected + 1)
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
    /// The rota's version, its row locked until this transaction ends (on
    /// SQLite the one writer is already alone).
    pub async fn lock_rota_version(&self, team: &str, name: &str) -> Result<Option<i64>> {
        let lock = if self.backend == sea_orm::DbBackend::Postgres {
            " FOR UPDATE"
        } else {
            ""
        };
        let r = self
            .one(
                &format!("SELECT version FROM rotas WHERE team = ? AND name = ?{lock}"),
                vec![team.into(), name.into()],
            )
            .await?;
        Ok(r.map(|r| r.try_get::<i64>("", "version")).transpose()?)
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
