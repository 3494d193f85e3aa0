//! The throttle's ledger (`sends`): when each message to an address was
//! started. A worker locks the address (PostgreSQL: a transaction-scoped
//! advisory lock; SQLite: the single writer), reads the window, and records
//! the messages it will send in the same transaction, so instances share
//! one budget per address and a restart forgets nothing.

use super::rows::{collect, i};
use super::sealed::Conn;
use super::{Result, Tx};
use sea_orm::DbBackend;

impl Tx {
    /// Holds `address` on `channel` until this transaction ends. Callers
    /// lock several addresses in sorted order, so two never deadlock.
    pub async fn lock_address(&self, channel: &str, address: &str) -> Result<()> {
        if self.backend() == DbBackend::Postgres {
            let key = format!("vigil-send:{channel}:{address}");
            self.one(
                "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))::text AS locked",
                vec![key.into()],
            )
            .await?;
        }
        Ok(())
    }

    /// When messages on `channel` to `address` were started since `since_ms`.
    pub async fn sends_since(
        &self,
        channel: &str,
        address: &str,
        since_ms: i64,
    ) -> Result<Vec<i64>> {
        let rows = self
            .all(
                "SELECT at_ms FROM sends WHERE address = ? AND channel = ? AND at_ms > ? ORDER BY at_ms",
                vec![address.into(), channel.into(), since_ms.into()],
            )
            .await?;
        collect(rows, |r| i(r, "at_ms"))
    }

    /// Records a message (`id`, the message id) started at `at_ms`.
    pub async fn record_send(
        &self,
        id: &str,
        channel: &str,
        address: &str,
        at_ms: i64,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO sends (id, channel, address, at_ms) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            vec![id.into(), channel.into(), address.into(), at_ms.into()],
        )
        .await
        .map(drop)
    }

    /// Forgets sends older than `before_ms`.
    pub async fn prune_sends(&self, before_ms: i64) -> Result<u64> {
        self.exec("DELETE FROM sends WHERE at_ms < ?", vec![before_ms.into()])
            .await
    }
}
