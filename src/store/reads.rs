//! Queries that read, on the pool (`Store`) or inside a transaction (`Tx`):
//! code that holds a transaction reads through it, never through the pool.

use super::Result;
use super::rows::*;
use super::sealed::Conn;

#[allow(async_fn_in_trait)] // sealed: implemented here, for Store and Tx only
pub trait Reads: Conn {
    /// The change counter: it grows with every committed write.
    async fn generation(&self) -> Result<i64> {
        if let Some(g) = self.generation_known() {
            return Ok(g);
        }
        let before = self.generation_before();
        let row = self
            .one("SELECT value FROM meta WHERE key = 'generation'", vec![])
            .await?;
        let g = row
            .map(|r| r.try_get_by::<i64, _>(0))
            .transpose()?
            .unwrap_or(0);
        self.generation_read(g, before);
        Ok(g)
    }
    async fn load_teams(&self) -> Result<Vec<TeamRow>> {
        collect(
            self.all(
                "SELECT slug, timezone, lead, swap_approval FROM teams ORDER BY slug",
                vec![],
            )
            .await?,
            team,
        )
    }
    async fn load_team(&self, slug: &str) -> Result<Option<TeamRow>> {
        self.one(
            "SELECT slug, timezone, lead, swap_approval FROM teams WHERE slug = ?",
            vec![slug.into()],
        )
        .await?
        .as_ref()
        .map(team)
        .transpose()
    }
    async fn load_people(&self) -> Result<Vec<PersonRow>> {
        collect(
            self.all(
                "SELECT handle, name, email, phone, chat, timezone FROM people ORDER BY handle",
                vec![],
            )
            .await?,
            person,
        )
    }
    async fn load_person(&self, handle: &str) -> Result<Option<PersonRow>> {
        self.one(
            "SELECT handle, name, email, phone, chat, timezone FROM people WHERE handle = ?",
            vec![handle.into()],
        )
        .await?
        .as_ref()
        .map(person)
        .transpose()
    }
    /// People who hold an unrevoked admin token and can be reached (a
    /// phone, email or chat id): the last resort for a page.
    async fn reachable_admins(&self) -> Result<Vec<String>> {
        let rows = self
            .all(
                "SELECT DISTINCT p.handle AS handle FROM api_tokens t JOIN people p ON p.handle = t.person \
                 WHERE t.role = 'admin' AND t.revoked_at IS NULL \
                 AND (p.phone IS NOT NULL OR p.email IS NOT NULL OR p.chat IS NOT NULL) ORDER BY p.handle",
                vec![],
            )
            .await?;
        rows.iter().map(|r| s(r, "handle")).collect()
    }
    /// The handle of the person with this chat (Slack) user id.
    async fn person_by_chat(&self, chat: &str) -> Result<Option<String>> {
        self.one(
            "SELECT handle FROM people WHERE chat = ?",
            vec![chat.into()],
        )
        .await?
        .map(|r| s(&r, "handle"))
        .transpose()
    }
    async fn load_rotas(&self, team: Option<&str>) -> Result<Vec<RotaRow>> {
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
    async fn load_rota(&self, team: &str, name: &str) -> Result<Option<RotaRow>> {
        self.one(
            &format!("SELECT {ROTA_COLS} FROM rotas WHERE team = ? AND name = ?"),
            vec![team.into(), name.into()],
        )
        .await?
        .as_ref()
        .map(rota)
        .transpose()
    }
    async fn load_overrides(&self, team: &str, rota_name: &str) -> Result<Vec<OverrideRow>> {
        let sql = format!(
            "SELECT {OVERRIDE_COLS} FROM overrides WHERE team = ? AND rota = ? ORDER BY start_at, id"
        );
        collect(
            self.all(&sql, vec![team.into(), rota_name.into()]).await?,
            override_row,
        )
    }
    async fn load_override(&self, id: &str) -> Result<Option<OverrideRow>> {
        self.one(
            &format!("SELECT {OVERRIDE_COLS} FROM overrides WHERE id = ?"),
            vec![id.into()],
        )
        .await?
        .as_ref()
        .map(override_row)
        .transpose()
    }
    async fn load_swaps(&self, team: &str, rota_name: &str) -> Result<Vec<SwapRow>> {
        let sql = format!(
            "SELECT {SWAP_COLS} FROM swaps WHERE team = ? AND rota = ? ORDER BY start_at, id"
        );
        collect(
            self.all(&sql, vec![team.into(), rota_name.into()]).await?,
            swap,
        )
    }
    async fn load_swap(&self, id: &str) -> Result<Option<SwapRow>> {
        self.one(
            &format!("SELECT {SWAP_COLS} FROM swaps WHERE id = ?"),
            vec![id.into()],
        )
        .await?
        .as_ref()
        .map(swap)
        .transpose()
    }
    /// `rota_stamp` of every rota: (team, name, version, directory), by
    /// team and name.
    async fn rota_stamps(&self) -> Result<Vec<(String, String, i64, i64)>> {
        let sql = "SELECT r.team AS team, r.name AS name, r.version AS version, m.value AS directory \
                   FROM rotas r, meta m WHERE m.key = 'directory' ORDER BY r.team, r.name";
        collect(self.all(sql, vec![]).await?, |r| {
            Ok((
                s(r, "team")?,
                s(r, "name")?,
                i(r, "version")?,
                i(r, "directory")?,
            ))
        })
    }
    /// A rota's version and the directory counter, or None if the rota is
    /// gone: what a cached rota is checked against.
    async fn rota_stamp(&self, team: &str, name: &str) -> Result<Option<(i64, i64)>> {
        let sql = "SELECT r.version AS version, m.value AS directory FROM rotas r, meta m WHERE r.team = ? AND r.name = ? AND m.key = 'directory'";
        let r = self.one(sql, vec![team.into(), name.into()]).await?;
        r.map(|r| Ok((i(&r, "version")?, i(&r, "directory")?)))
            .transpose()
    }
    /// An unrevoked API token by the hash of its secret.
    async fn find_api_token(&self, hash: &str) -> Result<Option<TokenRow>> {
        self.one("SELECT id, hash, role, teams, person FROM api_tokens WHERE hash = ? AND revoked_at IS NULL", vec![hash.into()])
            .await?
            .as_ref()
            .map(token)
            .transpose()
    }
    async fn count_api_tokens(&self) -> Result<i64> {
        let r = self
            .one("SELECT COUNT(*) AS n FROM api_tokens", vec![])
            .await?;
        Ok(r.map(|r| r.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0))
    }
    /// An unrevoked feed token by the hash of its secret.
    async fn find_feed_token(&self, hash: &str) -> Result<Option<FeedRow>> {
        let sql = "SELECT id, hash, person, team, rota, layer, created_by FROM feed_tokens WHERE hash = ? AND revoked_at IS NULL";
        self.one(sql, vec![hash.into()])
            .await?
            .as_ref()
            .map(feed)
            .transpose()
    }
    async fn load_feed_token(&self, id: &str) -> Result<Option<FeedRow>> {
        let sql = "SELECT id, hash, person, team, rota, layer, created_by FROM feed_tokens WHERE id = ? AND revoked_at IS NULL";
        self.one(sql, vec![id.into()])
            .await?
            .as_ref()
            .map(feed)
            .transpose()
    }
    /// When and by whom `target` (or anything under `target/`) last changed.
    async fn last_change(&self, target: &str) -> Result<Option<(i64, String)>> {
        let r = self
            .one(
                "SELECT at, actor FROM audit_log WHERE target = ? OR target LIKE ? ORDER BY id DESC LIMIT 1",
                vec![target.into(), format!("{target}/%").into()],
            )
            .await?;
        r.map(|r| Ok((i(&r, "at")?, s(&r, "actor")?))).transpose()
    }
    /// Audit entries, newest first, filtered: `target` is `team` or under
    /// `team/`, `actor` contains `actor`, `action` starts with `kind`.
    async fn audit_filtered(
        &self,
        team: Option<&str>,
        actor: Option<&str>,
        kind: Option<&str>,
        limit: i64,
    ) -> Result<Vec<(i64, String, String, String, String)>> {
        // LIKE patterns with the caller's text taken literally.
        let lit = |s: &str| {
            s.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        };
        let mut sql =
            "SELECT at, actor, action, target, detail FROM audit_log WHERE 1 = 1".to_string();
        let mut args: Vec<sea_orm::Value> = Vec::new();
        if let Some(t) = team {
            sql.push_str(" AND (target = ? OR target LIKE ? ESCAPE '\\')");
            args.push(t.into());
            args.push(format!("{}/%", lit(t)).into());
        }
        if let Some(a) = actor {
            sql.push_str(" AND actor LIKE ? ESCAPE '\\'");
            args.push(format!("%{}%", lit(a)).into());
        }
        if let Some(k) = kind {
            sql.push_str(" AND action LIKE ? ESCAPE '\\'");
            args.push(format!("{}%", lit(k)).into());
        }
        sql.push_str(" ORDER BY id DESC LIMIT ?");
        args.push(limit.into());
        let rows = self.all(&sql, args).await?;
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
    async fn audit_entries(
        &self,
        limit: i64,
    ) -> Result<Vec<(i64, String, String, String, String)>> {
        self.audit_filtered(None, None, None, limit).await
    }
}

impl<T: Conn> Reads for T {}
