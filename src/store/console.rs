//! The web console's rows: sessions, one-time sign-in links and the codes
//! that verify a contact method. Every secret is stored as its SHA-256.
//! Writes go through `Store::tx_quiet` (no rota cache watches them).

use super::rows::{collect, i, os, s};
use super::sealed::Conn;
use super::{Result, Tx};
use sea_orm::QueryResult;

#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow {
    /// Shown in "my sessions" and used to revoke; not the secret.
    pub id: String,
    pub person: String,
    /// admin, lead or responder, fixed at sign-in.
    pub role: String,
    pub teams: Vec<String>,
    pub csrf: String,
    pub agent: String,
    pub created_ms: i64,
    pub last_seen_ms: i64,
    pub expires_ms: i64,
    pub revoked_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ContactCodeRow {
    pub person: String,
    pub channel: String,
    pub address: String,
    pub code_hash: String,
    pub expires_ms: i64,
    pub attempts: i64,
}

const SESSION_COLS: &str =
    "id, person, role, teams, csrf, agent, created_ms, last_seen_ms, expires_ms, revoked_ms";

fn session(r: &QueryResult) -> Result<SessionRow> {
    Ok(SessionRow {
        id: s(r, "id")?,
        person: s(r, "person")?,
        role: s(r, "role")?,
        teams: serde_json::from_str(&s(r, "teams")?).unwrap_or_default(),
        csrf: s(r, "csrf")?,
        agent: s(r, "agent")?,
        created_ms: i(r, "created_ms")?,
        last_seen_ms: i(r, "last_seen_ms")?,
        expires_ms: i(r, "expires_ms")?,
        revoked_ms: r.try_get::<Option<i64>>("", "revoked_ms")?,
    })
}

fn contact_code(r: &QueryResult) -> Result<ContactCodeRow> {
    Ok(ContactCodeRow {
        person: s(r, "person")?,
        channel: s(r, "channel")?,
        address: s(r, "address")?,
        code_hash: s(r, "code_hash")?,
        expires_ms: i(r, "expires_ms")?,
        attempts: i64::from(r.try_get::<i32>("", "attempts")?),
    })
}

#[allow(async_fn_in_trait)] // sealed: implemented here, for Store and Tx only
pub trait ConsoleReads: Conn {
    /// The session whose secret hashes to `hash` (revoked or not).
    async fn find_session(&self, hash: &str) -> Result<Option<SessionRow>> {
        let sql = format!("SELECT {SESSION_COLS} FROM sessions WHERE hash = ?");
        self.one(&sql, vec![hash.into()])
            .await?
            .as_ref()
            .map(session)
            .transpose()
    }
    /// A person's live sessions, newest first.
    async fn sessions_of(&self, person: &str, now_ms: i64) -> Result<Vec<SessionRow>> {
        let sql = format!(
            "SELECT {SESSION_COLS} FROM sessions WHERE person = ? AND revoked_ms IS NULL AND expires_ms > ? \
             ORDER BY created_ms DESC LIMIT 100"
        );
        collect(
            self.all(&sql, vec![person.into(), now_ms.into()]).await?,
            session,
        )
    }
    async fn contact_code(&self, person: &str, channel: &str) -> Result<Option<ContactCodeRow>> {
        self.one(
            "SELECT person, channel, address, code_hash, expires_ms, attempts FROM contact_codes \
             WHERE person = ? AND channel = ?",
            vec![person.into(), channel.into()],
        )
        .await?
        .as_ref()
        .map(contact_code)
        .transpose()
    }
    /// Contact methods waiting for their code: (channel, address).
    async fn pending_contacts(&self, person: &str, now_ms: i64) -> Result<Vec<(String, String)>> {
        let rows = self
            .all(
                "SELECT channel, address FROM contact_codes WHERE person = ? AND expires_ms > ? ORDER BY channel",
                vec![person.into(), now_ms.into()],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((s(r, "channel")?, s(r, "address")?)))
            .collect()
    }
    /// The live calendar feeds of a person: (id, created_by).
    async fn feeds_of(&self, person: &str) -> Result<Vec<(String, String)>> {
        let rows = self
            .all(
                "SELECT id, created_by FROM feed_tokens WHERE person = ? AND revoked_at IS NULL ORDER BY created_at",
                vec![person.into()],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((s(r, "id")?, s(r, "created_by")?)))
            .collect()
    }
    /// Whether `person` holds a live admin API token (the console's admins).
    async fn holds_admin_token(&self, person: &str) -> Result<bool> {
        let r = self
            .one(
                "SELECT COUNT(*) AS n FROM api_tokens WHERE person = ? AND role = 'admin' AND revoked_at IS NULL",
                vec![person.into()],
            )
            .await?;
        Ok(r.map(|r| i(&r, "n")).transpose()?.unwrap_or(0) > 0)
    }
    /// The teams of the live lead tokens `person` holds.
    async fn lead_token_teams(&self, person: &str) -> Result<Vec<String>> {
        let rows = self
            .all(
                "SELECT teams FROM api_tokens WHERE person = ? AND role = 'lead' AND revoked_at IS NULL",
                vec![person.into()],
            )
            .await?;
        let mut out = Vec::new();
        for r in &rows {
            let teams = os(r, "teams")?.unwrap_or_default();
            out.extend(
                teams
                    .split(',')
                    .filter(|t| !t.is_empty())
                    .map(str::to_string),
            );
        }
        Ok(out)
    }
}

impl<T: Conn> ConsoleReads for T {}

impl Tx {
    pub async fn insert_session(&self, hash: &str, r: &SessionRow) -> Result<()> {
        self.exec(
            &format!("INSERT INTO sessions (hash, {SESSION_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
            vec![
                hash.into(),
                r.id.clone().into(),
                r.person.clone().into(),
                r.role.clone().into(),
                serde_json::to_string(&r.teams).unwrap_or_else(|_| "[]".into()).into(),
                r.csrf.clone().into(),
                r.agent.clone().into(),
                r.created_ms.into(),
                r.last_seen_ms.into(),
                r.expires_ms.into(),
                r.revoked_ms.into(),
            ],
        )
        .await
        .map(|_| ())
    }
    /// Moves the idle expiry of a live session forward.
    pub async fn touch_session(&self, id: &str, now_ms: i64, expires_ms: i64) -> Result<()> {
        self.exec(
            "UPDATE sessions SET last_seen_ms = ?, expires_ms = ? WHERE id = ? AND revoked_ms IS NULL",
            vec![now_ms.into(), expires_ms.into(), id.into()],
        )
        .await
        .map(|_| ())
    }
    /// Revokes `id` if it belongs to `person` (or to anyone when None).
    pub async fn revoke_session(&self, id: &str, person: Option<&str>, now_ms: i64) -> Result<u64> {
        self.exec(
            "UPDATE sessions SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL AND (? IS NULL OR person = ?)",
            vec![
                now_ms.into(),
                id.into(),
                person.map(str::to_string).into(),
                person.map(str::to_string).into(),
            ],
        )
        .await
    }
    /// Forgets sessions and links that ended long ago.
    pub async fn prune_console(&self, before_ms: i64) -> Result<()> {
        self.exec(
            "DELETE FROM sessions WHERE expires_ms < ?",
            vec![before_ms.into()],
        )
        .await?;
        self.exec(
            "DELETE FROM login_links WHERE expires_ms < ?",
            vec![before_ms.into()],
        )
        .await?;
        self.exec(
            "DELETE FROM contact_codes WHERE expires_ms < ?",
            vec![before_ms.into()],
        )
        .await
        .map(|_| ())
    }
    pub async fn insert_login_link(
        &self,
        hash: &str,
        person: &str,
        now_ms: i64,
        expires_ms: i64,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO login_links (hash, person, created_ms, expires_ms, used_ms) VALUES (?, ?, ?, ?, NULL)",
            vec![hash.into(), person.into(), now_ms.into(), expires_ms.into()],
        )
        .await
        .map(|_| ())
    }
    /// Uses the link: its person, if it was live and unused (and now is used).
    pub async fn use_login_link(&self, hash: &str, now_ms: i64) -> Result<Option<String>> {
        let r = self
            .one(
                "UPDATE login_links SET used_ms = ? WHERE hash = ? AND used_ms IS NULL AND expires_ms > ? \
                 RETURNING person",
                vec![now_ms.into(), hash.into(), now_ms.into()],
            )
            .await?;
        r.map(|r| s(&r, "person")).transpose()
    }
    pub async fn put_contact_code(&self, r: &ContactCodeRow) -> Result<()> {
        self.exec(
            "DELETE FROM contact_codes WHERE person = ? AND channel = ?",
            vec![r.person.clone().into(), r.channel.clone().into()],
        )
        .await?;
        self.exec(
            "INSERT INTO contact_codes (person, channel, address, code_hash, expires_ms, attempts) \
             VALUES (?, ?, ?, ?, ?, ?)",
            vec![
                r.person.clone().into(),
                r.channel.clone().into(),
                r.address.clone().into(),
                r.code_hash.clone().into(),
                r.expires_ms.into(),
                i32::try_from(r.attempts).unwrap_or(i32::MAX).into(),
            ],
        )
        .await
        .map(|_| ())
    }
    pub async fn count_contact_attempt(&self, person: &str, channel: &str) -> Result<()> {
        self.exec(
            "UPDATE contact_codes SET attempts = attempts + 1 WHERE person = ? AND channel = ?",
            vec![person.into(), channel.into()],
        )
        .await
        .map(|_| ())
    }
    pub async fn delete_contact_code(&self, person: &str, channel: &str) -> Result<()> {
        self.exec(
            "DELETE FROM contact_codes WHERE person = ? AND channel = ?",
            vec![person.into(), channel.into()],
        )
        .await
        .map(|_| ())
    }
}
