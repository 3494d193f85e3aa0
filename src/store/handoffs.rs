//! Handoff notices: planned rows (written once, by id, whoever plans them
//! first), claimed with a lease, marked sent or skipped.

use super::rows::{collect, i, os, s};
use super::sealed::Conn;
use super::{Result, Store, Tx};
use sea_orm::QueryResult;

#[derive(Debug, Clone, PartialEq)]
pub struct HandoffRow {
    pub id: String,
    pub team: String,
    pub rota: String,
    pub layer: String,
    pub person: String,
    pub kind: String,
    pub start_ms: i64,
    pub end_ms: i64,
    pub other: Option<String>,
    pub due_ms: i64,
}

const COLS: &str = "id, team, rota, layer, person, kind, start_ms, end_ms, other, due_ms";

fn row(r: &QueryResult) -> Result<HandoffRow> {
    Ok(HandoffRow {
        id: s(r, "id")?,
        team: s(r, "team")?,
        rota: s(r, "rota")?,
        layer: s(r, "layer")?,
        person: s(r, "person")?,
        kind: s(r, "kind")?,
        start_ms: i(r, "start_ms")?,
        end_ms: i(r, "end_ms")?,
        other: os(r, "other")?,
        due_ms: i(r, "due_ms")?,
    })
}

impl Store {
    /// Writes the rows not written yet (an existing id is left as it is).
    /// When every row exists already (the usual case: another pass or
    /// another instance planned them), it only reads.
    pub async fn plan_handoffs(&self, rows: &[HandoffRow], now_ms: i64) -> Result<()> {
        let mut known = std::collections::HashSet::new();
        for chunk in rows.chunks(200) {
            let sql = format!(
                "SELECT id FROM handoff_notices WHERE id IN ({})",
                vec!["?"; chunk.len()].join(", ")
            );
            let ids = chunk.iter().map(|r| r.id.clone().into()).collect();
            for r in self.all(&sql, ids).await? {
                known.insert(s(&r, "id")?);
            }
        }
        let new: Vec<&HandoffRow> = rows.iter().filter(|r| !known.contains(&r.id)).collect();
        if new.is_empty() {
            return Ok(());
        }
        let tx = self.tx_quiet().await?;
        tx.add_notices(new, now_ms).await?;
        tx.commit().await
    }

    /// Claims up to `limit` due notices for `owner` until `lease_until_ms`
    /// (one statement; PostgreSQL skips rows another worker holds).
    pub async fn claim_handoffs(
        &self,
        owner: &str,
        now_ms: i64,
        lease_until_ms: i64,
        limit: u64,
    ) -> Result<Vec<HandoffRow>> {
        let c = super::rows::Claim {
            table: "handoff_notices",
            also_set: "",
            order: "due_ms",
            cols: COLS,
            limit,
        };
        let rows = super::rows::claim(self, c, owner, now_ms, lease_until_ms).await?;
        collect(rows, row)
    }

    /// Marks a claimed notice `sent` or `skipped` (only while `owner` holds it).
    pub async fn finish_handoff(
        &self,
        id: &str,
        owner: &str,
        status: &str,
        now_ms: i64,
    ) -> Result<u64> {
        let tx = self.tx_quiet().await?;
        let n = tx
            .exec(
                "UPDATE handoff_notices SET status = ?, sent_ms = ?, lease_owner = NULL, lease_until_ms = NULL \
                 WHERE id = ? AND lease_owner = ? AND status = 'pending'",
                vec![status.into(), now_ms.into(), id.into(), owner.into()],
            )
            .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Notices of one person, newest first (for tests and the console).
    pub async fn handoffs_of(&self, person: &str) -> Result<Vec<(HandoffRow, String)>> {
        let rows = self
            .all(
                &format!(
                    "SELECT {COLS}, status FROM handoff_notices WHERE person = ? ORDER BY due_ms DESC LIMIT 200"
                ),
                vec![person.into()],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((row(r)?, s(r, "status")?)))
            .collect()
    }

    /// Adds a note for the shift of `layer` that starts at `start_ms`, with
    /// its audit entry.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_handoff_note(
        &self,
        team: &str,
        rota: &str,
        layer: &str,
        start_ms: i64,
        author: &str,
        text: &str,
        now_ms: i64,
    ) -> Result<String> {
        let id = crate::ids::new_id("hn_");
        let tx = self.tx_quiet().await?;
        tx.exec(
            "INSERT INTO handoff_notes (id, team, rota, layer, start_ms, author, text, at_ms) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                id.clone().into(),
                team.into(),
                rota.into(),
                layer.into(),
                start_ms.into(),
                author.into(),
                text.into(),
                now_ms.into(),
            ],
        )
        .await?;
        tx.audit(
            now_ms / 1000,
            author,
            "handoff.note",
            &format!("{team}/{rota}/{layer}"),
            serde_json::json!({ "for_shift_start_ms": start_ms, "text": text }),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The notes for one shift start: (author, text), oldest first.
    pub async fn handoff_notes(
        &self,
        team: &str,
        rota: &str,
        layer: &str,
        start_ms: i64,
    ) -> Result<Vec<(String, String)>> {
        let rows = self
            .all(
                "SELECT author, text FROM handoff_notes WHERE team = ? AND rota = ? AND layer = ? AND start_ms = ? \
                 ORDER BY at_ms LIMIT 20",
                vec![team.into(), rota.into(), layer.into(), start_ms.into()],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((s(r, "author")?, s(r, "text")?)))
            .collect()
    }

    /// The rota's notes for handoffs after `after_ms`, soonest first:
    /// (layer, handoff start, author, text).
    pub async fn upcoming_handoff_notes(
        &self,
        team: &str,
        rota: &str,
        after_ms: i64,
    ) -> Result<Vec<(String, i64, String, String)>> {
        let rows = self
            .all(
                "SELECT layer, start_ms, author, text FROM handoff_notes WHERE team = ? AND rota = ?                  AND start_ms > ? ORDER BY start_ms, layer, at_ms LIMIT 100",
                vec![team.into(), rota.into(), after_ms.into()],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    s(r, "layer")?,
                    i(r, "start_ms")?,
                    s(r, "author")?,
                    s(r, "text")?,
                ))
            })
            .collect()
    }

    /// Marks the "on call now" notice of `person`'s shift starting at
    /// `start_ms` on the layer as acknowledged; returns whether one was.
    pub async fn ack_handoff(
        &self,
        (team, rota, layer): (&str, &str, &str),
        person: &str,
        start_ms: i64,
        now_ms: i64,
    ) -> Result<u64> {
        let tx = self.tx_quiet().await?;
        let n = tx
            .exec(
                "UPDATE handoff_notices SET acked_ms = ? WHERE team = ? AND rota = ? AND layer = ? \
                 AND person = ? AND start_ms = ? AND kind = 'start' AND acked_ms IS NULL",
                vec![
                    now_ms.into(),
                    team.into(),
                    rota.into(),
                    layer.into(),
                    person.into(),
                    start_ms.into(),
                ],
            )
            .await?;
        if n > 0 {
            tx.audit(
                now_ms / 1000,
                person,
                "handoff.ack",
                &format!("{team}/{rota}/{layer}"),
                serde_json::json!({ "shift_start_ms": start_ms }),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(n)
    }
}

/// One handoff of a rota as its log shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct HandoffLogRow {
    pub layer: String,
    pub person: String,
    pub start_ms: i64,
    pub end_ms: i64,
    pub from: Option<String>,
    pub status: String,
    pub acked_ms: Option<i64>,
}

impl Store {
    /// The (team, rota, layer) of the latest handoff notice sent to
    /// `person` about their own shifts, if any.
    pub async fn latest_handoff_layer(
        &self,
        person: &str,
    ) -> Result<Option<(String, String, String)>> {
        let sql = "SELECT team, rota, layer FROM handoff_notices WHERE person = ? AND status = 'sent'                    AND kind NOT IN ('unacked', 'coverage', 'channel', 'usergroup', 'message')                    ORDER BY due_ms DESC LIMIT 1";
        self.one(sql, vec![person.into()])
            .await?
            .map(|r| Ok((s(&r, "team")?, s(&r, "rota")?, s(&r, "layer")?)))
            .transpose()
    }

    /// The rota's handoffs (their "on call now" notices), newest first.
    pub async fn handoff_log(
        &self,
        team: &str,
        rota: &str,
        limit: u64,
    ) -> Result<Vec<HandoffLogRow>> {
        let sql = format!(
            "SELECT layer, person, start_ms, end_ms, other, status, acked_ms FROM handoff_notices \
             WHERE team = ? AND rota = ? AND kind = 'start' ORDER BY start_ms DESC, layer LIMIT {}",
            limit.min(500)
        );
        let rows = self.all(&sql, vec![team.into(), rota.into()]).await?;
        rows.iter()
            .map(|r| {
                Ok(HandoffLogRow {
                    layer: s(r, "layer")?,
                    person: s(r, "person")?,
                    start_ms: i(r, "start_ms")?,
                    end_ms: i(r, "end_ms")?,
                    from: os(r, "other")?,
                    status: s(r, "status")?,
                    acked_ms: r.try_get::<Option<i64>>("", "acked_ms")?,
                })
            })
            .collect()
    }

    /// Whether the handoff at `start_ms` on the layer has an "on call now"
    /// notice (of `person`, when given) that is `acked` (or not yet).
    pub async fn handoff_acked(
        &self,
        (team, rota, layer): (&str, &str, &str),
        person: Option<&str>,
        start_ms: i64,
        acked: bool,
    ) -> Result<bool> {
        let sql = format!(
            "SELECT COUNT(*) AS n FROM handoff_notices WHERE team = ? AND rota = ? AND layer = ? \
             AND start_ms = ? AND kind = 'start' AND (? IS NULL OR person = ?) AND acked_ms IS {}NULL",
            if acked { "NOT " } else { "" }
        );
        let who: sea_orm::Value = person.map(str::to_string).into();
        let r = self
            .one(
                &sql,
                vec![
                    team.into(),
                    rota.into(),
                    layer.into(),
                    start_ms.into(),
                    who.clone(),
                    who,
                ],
            )
            .await?;
        Ok(r.map(|r| i(&r, "n")).transpose()?.unwrap_or(0) > 0)
    }
}

impl Tx {
    /// Writes notices in this transaction (an existing id is left as it
    /// is): planned handoff notices, and notices an operation owes people
    /// (a swap's), so the operation and its notices commit together.
    pub async fn add_notices<'a>(
        &self,
        rows: impl IntoIterator<Item = &'a HandoffRow>,
        now_ms: i64,
    ) -> Result<()> {
        for r in rows {
            self.exec(
                &format!(
                    "INSERT INTO handoff_notices ({COLS}, status, created_ms) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?) ON CONFLICT (id) DO NOTHING"
                ),
                vec![
                    r.id.clone().into(),
                    r.team.clone().into(),
                    r.rota.clone().into(),
                    r.layer.clone().into(),
                    r.person.clone().into(),
                    r.kind.clone().into(),
                    r.start_ms.into(),
                    r.end_ms.into(),
                    r.other.clone().into(),
                    r.due_ms.into(),
                    now_ms.into(),
                ],
            )
            .await?;
        }
        Ok(())
    }
}
