//! The throttle's ledger (`sends`): when each message to an address was
//! started. A worker locks the address (PostgreSQL: a transaction-scoped
//! advisory lock; SQLite: the single writer), reads the window, and records
//! the messages it will send in the same transaction, so instances share
//! one budget per address and a restart forgets nothing.

use super::rows::{i, s};
use super::sealed::Conn;
use super::{Result, Tx};
use sea_orm::DbBackend;

impl Tx {
    /// Holds each (channel, address) until this transaction ends: on
    /// PostgreSQL transaction-scoped advisory locks, taken in one
    /// statement per 500 in the database's sort order, so two workers
    /// locking overlapping sets never deadlock; SQLite has one writer.
    pub async fn lock_addresses(&self, keys: &[(String, String)]) -> Result<()> {
        if self.backend() != DbBackend::Postgres {
            return Ok(());
        }
        let mut keys: Vec<String> = keys
            .iter()
            .map(|(c, a)| format!("vigil-send:{c}:{a}"))
            .collect();
        keys.sort();
        keys.dedup();
        for chunk in keys.chunks(500) {
            let sql = format!(
                "SELECT pg_advisory_xact_lock(hashtextextended(k, 0))::text AS locked \
                 FROM (SELECT column1 AS k FROM (VALUES {}) AS v ORDER BY column1) AS s",
                vec!["(?)"; chunk.len()].join(", ")
            );
            self.all(&sql, chunk.iter().map(|k| k.clone().into()).collect())
                .await?;
        }
        Ok(())
    }

    /// When messages on each (channel, address) were started since
    /// `since_ms`: one read per 200 pairs (a storm pages hundreds of
    /// numbers in one pass).
    pub async fn sends_since_each(
        &self,
        keys: &[(String, String)],
        since_ms: i64,
    ) -> Result<std::collections::HashMap<(String, String), Vec<i64>>> {
        let mut out: std::collections::HashMap<(String, String), Vec<i64>> =
            keys.iter().map(|k| (k.clone(), Vec::new())).collect();
        for chunk in keys.chunks(200) {
            let terms = vec!["(address = ? AND channel = ?)"; chunk.len()].join(" OR ");
            let sql = format!(
                "SELECT channel, address, at_ms FROM sends WHERE at_ms > ? AND ({terms}) ORDER BY at_ms"
            );
            let mut values = vec![since_ms.into()];
            for (c, a) in chunk {
                values.push(a.clone().into());
                values.push(c.clone().into());
            }
            for r in self.all(&sql, values).await? {
                let key = (s(&r, "channel")?, s(&r, "address")?);
                if let Some(v) = out.get_mut(&key) {
                    v.push(i(&r, "at_ms")?);
                }
            }
        }
        Ok(out)
    }

    /// Records messages (id, channel, address) started at `at_ms`, one
    /// statement per 200.
    pub async fn record_sends(&self, rows: &[(String, String, String)], at_ms: i64) -> Result<()> {
        for chunk in rows.chunks(200) {
            let marks = vec!["(?, ?, ?, ?)"; chunk.len()].join(", ");
            let sql = format!(
                "INSERT INTO sends (id, channel, address, at_ms) VALUES {marks} ON CONFLICT (id) DO NOTHING"
            );
            let mut values = Vec::with_capacity(chunk.len() * 4);
            for (id, c, a) in chunk {
                values.push(id.clone().into());
                values.push(c.clone().into());
                values.push(a.clone().into());
                values.push(at_ms.into());
            }
            self.exec(&sql, values).await?;
        }
        Ok(())
    }

    /// Forgets sends older than `before_ms`.
    pub async fn prune_sends(&self, before_ms: i64) -> Result<u64> {
        self.exec("DELETE FROM sends WHERE at_ms < ?", vec![before_ms.into()])
            .await
    }
}
