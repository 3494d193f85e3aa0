//! Reads of services, alerts, timelines and the outbox, on the pool or
//! inside a transaction.

use super::*;
use crate::store::rows::{collect, i, os, s};
use crate::store::sealed::Conn;
use crate::store::{Result, opt};

#[allow(async_fn_in_trait)] // sealed: implemented here, for Store and Tx only
pub trait AlertReads: Conn {
    async fn load_service(&self, id: &str) -> Result<Option<ServiceRow>> {
        let sql = format!("SELECT {SERVICE_COLS} FROM services WHERE id = ?");
        self.one(&sql, vec![id.into()])
            .await?
            .map(|r| service(&r))
            .transpose()
    }
    async fn load_services(&self) -> Result<Vec<ServiceRow>> {
        let sql = format!("SELECT {SERVICE_COLS} FROM services ORDER BY id");
        collect(self.all(&sql, vec![]).await?, service)
    }
    /// The live integration key with this hash.
    async fn find_integration_key(&self, hash: &str) -> Result<Option<KeyRow>> {
        let row = self
            .one(
                "SELECT id, service, kind FROM integration_keys WHERE hash = ? AND revoked_at IS NULL",
                vec![hash.into()],
            )
            .await?;
        row.map(|r| {
            Ok(KeyRow {
                id: s(&r, "id")?,
                service: s(&r, "service")?,
                kind: s(&r, "kind")?,
            })
        })
        .transpose()
    }
    async fn load_alert(&self, id: &str) -> Result<Option<AlertRow>> {
        let sql = format!("SELECT {ALERT_COLS} FROM alerts WHERE id = ?");
        self.one(&sql, vec![id.into()])
            .await?
            .map(|r| alert(&r))
            .transpose()
    }
    async fn load_alerts_by_ids(&self, ids: &[String]) -> Result<Vec<AlertRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {ALERT_COLS} FROM alerts WHERE id IN ({})",
            marks(ids.len())
        );
        collect(
            self.all(&sql, ids.iter().map(|s| s.clone().into()).collect())
                .await?,
            alert,
        )
    }
    /// Alerts newest first, optionally only those in `status` or of `service`.
    async fn list_alerts(
        &self,
        status: Option<&str>,
        service: Option<&str>,
        limit: u64,
    ) -> Result<Vec<AlertRow>> {
        let sql = format!(
            "SELECT {ALERT_COLS} FROM alerts WHERE (? IS NULL OR status = ?) AND (? IS NULL OR service = ?) \
             ORDER BY created_ms DESC, id LIMIT {limit}"
        );
        let (st, sv) = (
            opt(&status.map(str::to_string)),
            opt(&service.map(str::to_string)),
        );
        collect(
            self.all(&sql, vec![st.clone(), st, sv.clone(), sv]).await?,
            alert,
        )
    }
    /// Alerts created in [from_ms, to_ms), for reports.
    async fn alerts_created_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<AlertRow>> {
        let sql = format!(
            "SELECT {ALERT_COLS} FROM alerts WHERE created_ms >= ? AND created_ms < ? ORDER BY created_ms"
        );
        collect(
            self.all(&sql, vec![from_ms.into(), to_ms.into()]).await?,
            alert,
        )
    }
    /// A service's live integration keys: (id, kind, created, in seconds).
    async fn integration_keys_of(&self, service: &str) -> Result<Vec<(String, String, i64)>> {
        let rows = self
            .all(
                "SELECT id, kind, created_at FROM integration_keys WHERE service = ? AND revoked_at IS NULL ORDER BY created_at",
                vec![service.into()],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((s(r, "id")?, s(r, "kind")?, i(r, "created_at")?)))
            .collect()
    }
    /// What reports read of the alerts created in `[from_ms, to_ms)`.
    async fn alert_facts_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<AlertFacts>> {
        let sql = "SELECT id, service, priority, state, created_ms FROM alerts \
                   WHERE created_ms >= ? AND created_ms < ? ORDER BY created_ms";
        collect(
            self.all(sql, vec![from_ms.into(), to_ms.into()]).await?,
            facts,
        )
    }
    /// The id of the open alert with this dedup key on `service`.
    async fn open_alert_id(&self, service: &str, dedup: &str) -> Result<Option<String>> {
        let r = self
            .one(
                "SELECT id FROM alerts WHERE service = ? AND open_key = ?",
                vec![service.into(), dedup.into()],
            )
            .await?;
        r.map(|r| s(&r, "id")).transpose()
    }
    async fn alert_log(&self, alert_id: &str) -> Result<Vec<LogRow>> {
        collect(
            self.all(
                "SELECT at_ms, kind, actor, detail FROM alert_log WHERE alert = ? ORDER BY id",
                vec![alert_id.into()],
            )
            .await?,
            log_row,
        )
    }
    async fn outbox_for(&self, alert_id: &str) -> Result<Vec<OutboxRow>> {
        let sql =
            format!("SELECT {OUTBOX_COLS} FROM outbox WHERE alert = ? ORDER BY created_ms, id");
        collect(self.all(&sql, vec![alert_id.into()]).await?, outbox)
    }
    async fn load_outbox(&self, id: &str) -> Result<Option<OutboxRow>> {
        let sql = format!("SELECT {OUTBOX_COLS} FROM outbox WHERE id = ?");
        self.one(&sql, vec![id.into()])
            .await?
            .map(|r| outbox(&r))
            .transpose()
    }
    /// The newest message sent to `address` with this `code`: every
    /// notification it carried (a bundle shares one code).
    async fn outbox_by_code(&self, code: &str, address: &str) -> Result<Vec<OutboxRow>> {
        let sql = format!(
            "SELECT {OUTBOX_COLS}, bundle FROM outbox WHERE code = ? AND address = ? AND status = 'sent' ORDER BY sent_ms DESC"
        );
        let rows = self.all(&sql, vec![code.into(), address.into()]).await?;
        let newest = rows.first().map(|r| os(r, "bundle")).transpose()?.flatten();
        let mut out = Vec::new();
        for r in &rows {
            if os(r, "bundle")? == newest {
                out.push(outbox(r)?);
            }
        }
        Ok(out)
    }
    /// The reply codes sent to each address since `since_ms` (one read
    /// per 200 addresses: a storm pages hundreds of numbers in one pass).
    async fn codes_sent_to_each(
        &self,
        addresses: &[String],
        since_ms: i64,
    ) -> Result<std::collections::HashMap<String, std::collections::HashSet<String>>> {
        let mut out: std::collections::HashMap<_, std::collections::HashSet<String>> = addresses
            .iter()
            .map(|a| (a.clone(), Default::default()))
            .collect();
        for chunk in addresses.chunks(200) {
            let sql = format!(
                "SELECT DISTINCT address, code FROM outbox WHERE address IN ({}) AND sent_ms > ? AND status = 'sent'",
                marks(chunk.len())
            );
            let mut values: Vec<Value> = chunk.iter().map(|a| a.clone().into()).collect();
            values.push(since_ms.into());
            for r in self.all(&sql, values).await? {
                if let Some(set) = out.get_mut(&s(&r, "address")?) {
                    set.insert(s(&r, "code")?);
                }
            }
        }
        Ok(out)
    }
    /// Codes of messages sent to `address` since `since_ms` that carried an
    /// alert now in one of `statuses` (at most 100).
    async fn open_codes_to(
        &self,
        address: &str,
        since_ms: i64,
        statuses: &[&str],
    ) -> Result<Vec<String>> {
        let sql = format!(
            "SELECT DISTINCT o.code FROM outbox o JOIN alerts a ON a.id = o.alert \
             WHERE o.address = ? AND o.sent_ms > ? AND o.status = 'sent' AND a.status IN ({}) LIMIT 100",
            marks(statuses.len())
        );
        let mut values: Vec<sea_orm::Value> = vec![address.into(), since_ms.into()];
        values.extend(statuses.iter().map(|s| (*s).into()));
        let rows = self.all(&sql, values).await?;
        rows.iter().map(|r| s(r, "code")).collect()
    }
    /// Every notification one message carried (`bundle` = the message id).
    async fn outbox_by_bundle(&self, bundle: &str) -> Result<Vec<OutboxRow>> {
        let sql = format!("SELECT {OUTBOX_COLS} FROM outbox WHERE bundle = ? AND status = 'sent'");
        collect(self.all(&sql, vec![bundle.into()]).await?, outbox)
    }
    /// Notifications sent in [from_ms, to_ms), for reports.
    async fn outbox_sent_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<OutboxRow>> {
        let sql = format!(
            "SELECT {OUTBOX_COLS} FROM outbox WHERE status = 'sent' AND sent_ms >= ? AND sent_ms < ?"
        );
        collect(
            self.all(&sql, vec![from_ms.into(), to_ms.into()]).await?,
            outbox,
        )
    }
    /// Counts by status for metrics: (table, status, count).
    async fn counts(&self) -> Result<Vec<(String, String, i64)>> {
        let rows = self
            .all(
                "SELECT 'alerts' AS t, status, COUNT(*) AS n FROM alerts GROUP BY status \
                 UNION ALL SELECT 'outbox' AS t, status, COUNT(*) AS n FROM outbox GROUP BY status",
                vec![],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((s(r, "t")?, s(r, "status")?, i(r, "n")?)))
            .collect()
    }
    /// Timeline entries of the kinds that mean a page found nobody
    /// (`stage_empty`, `ladder_empty`), for metrics.
    async fn empty_page_counts(&self) -> Result<Vec<(String, i64)>> {
        let rows = self
            .all(
                "SELECT kind, COUNT(*) AS n FROM alert_log WHERE kind IN ('stage_empty', 'ladder_empty') GROUP BY kind",
                vec![],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((s(r, "kind")?, i(r, "n")?)))
            .collect()
    }
    /// Which of `keys` (service, dedup key) have an open alert: one read
    /// for a whole batch of triggers, most of which, in a storm, are new.
    async fn open_keys(
        &self,
        keys: &[(String, String)],
    ) -> Result<std::collections::HashSet<(String, String)>> {
        let mut out = std::collections::HashSet::new();
        // One index lookup per pair (the unique index on service, open_key).
        for chunk in keys.chunks(200) {
            let terms = vec!["(service = ? AND open_key = ?)"; chunk.len()].join(" OR ");
            let sql = format!("SELECT service, open_key FROM alerts WHERE {terms}");
            let values = chunk
                .iter()
                .flat_map(|(svc, k)| [svc.clone().into(), k.clone().into()])
                .collect();
            for r in self.all(&sql, values).await? {
                out.insert((s(&r, "service")?, s(&r, "open_key")?));
            }
        }
        Ok(out)
    }
    /// The outbox's backlog, for metrics: notifications pending, those due
    /// by `now_ms`, and the earliest due instant among them.
    async fn outbox_backlog(&self, now_ms: i64) -> Result<(i64, i64, Option<i64>)> {
        let row = self
            .one(
                "SELECT COUNT(*) AS n, \
                   SUM(CASE WHEN due_ms <= ? THEN 1 ELSE 0 END) AS d, \
                   MIN(CASE WHEN due_ms <= ? THEN due_ms END) AS o \
                 FROM outbox WHERE status = 'pending'",
                vec![now_ms.into(), now_ms.into()],
            )
            .await?;
        let Some(r) = row else {
            return Ok((0, 0, None));
        };
        Ok((i(&r, "n")?, oi(&r, "d")?.unwrap_or(0), oi(&r, "o")?))
    }
    /// Live leases per owning instance, for metrics: (kind, owner, count).
    async fn lease_holders(&self, now_ms: i64) -> Result<Vec<(String, String, i64)>> {
        let rows = self
            .all(
                "SELECT 'notification' AS k, lease_owner AS w, COUNT(*) AS n FROM outbox \
                   WHERE status = 'pending' AND lease_owner IS NOT NULL AND lease_until_ms > ? GROUP BY lease_owner \
                 UNION ALL SELECT 'handoff_notice' AS k, lease_owner AS w, COUNT(*) AS n FROM handoff_notices \
                   WHERE status = 'pending' AND lease_owner IS NOT NULL AND lease_until_ms > ? GROUP BY lease_owner",
                vec![now_ms.into(), now_ms.into()],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((s(r, "k")?, s(r, "w")?, i(r, "n")?)))
            .collect()
    }
    /// Sent notifications per channel, for metrics.
    async fn sent_by_channel(&self) -> Result<Vec<(String, i64)>> {
        let rows = self
            .all(
                "SELECT channel, COUNT(*) AS n FROM outbox WHERE status = 'sent' GROUP BY channel",
                vec![],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((s(r, "channel")?, i(r, "n")?)))
            .collect()
    }

    /// The earliest instant at which any work becomes due: an alert timer,
    /// a claimable notification or handoff notice (due and not leased) or a
    /// heartbeat.
    async fn next_due_ms(&self) -> Result<Option<i64>> {
        let row = self
            .one(
                "SELECT \
                   (SELECT MIN(next_due_ms) FROM alerts WHERE next_due_ms IS NOT NULL) AS a, \
                   (SELECT MIN(CASE WHEN lease_until_ms IS NOT NULL AND lease_until_ms > due_ms \
                      THEN lease_until_ms ELSE due_ms END) FROM outbox WHERE status = 'pending') AS o, \
                   (SELECT MIN(heartbeat_due_ms) FROM services WHERE heartbeat_due_ms IS NOT NULL) AS h, \
                   (SELECT MIN(CASE WHEN lease_until_ms IS NOT NULL AND lease_until_ms > due_ms \
                      THEN lease_until_ms ELSE due_ms END) FROM handoff_notices WHERE status = 'pending') AS n",
                vec![],
            )
            .await?;
        let Some(r) = row else { return Ok(None) };
        Ok([oi(&r, "a")?, oi(&r, "o")?, oi(&r, "h")?, oi(&r, "n")?]
            .into_iter()
            .flatten()
            .min())
    }
    /// Open alerts (triggered or acknowledged), highest priority and newest
    /// first, at most `limit`.
    async fn open_alerts(&self, limit: u64) -> Result<Vec<AlertRow>> {
        let sql = format!(
            "SELECT {ALERT_COLS} FROM alerts WHERE status <> 'resolved' \
             ORDER BY priority, created_ms DESC, id LIMIT {}",
            limit.min(5000)
        );
        collect(self.all(&sql, vec![]).await?, alert)
    }
    /// Open alerts per priority level: (level, count).
    async fn open_counts(&self) -> Result<Vec<(i64, i64)>> {
        let rows = self
            .all(
                "SELECT priority, COUNT(*) AS n FROM alerts WHERE status <> 'resolved' GROUP BY priority",
                vec![],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get::<i32>("", "priority").map(i64::from)?, i(r, "n")?)))
            .collect()
    }
    /// (alert, stage, person) of every page of an open alert, for "who is
    /// being paged" in lists.
    async fn pages_of_open_alerts(&self) -> Result<Vec<(String, i64, Option<String>)>> {
        let rows = self
            .all(
                "SELECT DISTINCT o.alert, o.stage, o.person FROM outbox o JOIN alerts a ON a.id = o.alert \
                 WHERE a.status <> 'resolved'",
                vec![],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let stage = i64::from(r.try_get::<i32>("", "stage")?);
                Ok((s(r, "alert")?, stage, os(r, "person")?))
            })
            .collect()
    }
    /// The last timeline entry's id: every change to an alert writes one,
    /// so an equal number means nothing changed (one index lookup).
    async fn alerts_stamp(&self) -> Result<i64> {
        let row = self
            .one("SELECT MAX(id) AS l FROM alert_log", vec![])
            .await?;
        let Some(r) = row else { return Ok(0) };
        Ok(oi(&r, "l")?.unwrap_or(0))
    }
    /// The person and their notification rules (as stored), in one read.
    async fn load_person_with_rules(
        &self,
        handle: &str,
    ) -> Result<Option<(crate::store::PersonRow, Option<String>)>> {
        let r = self
            .one(
                "SELECT handle, name, email, phone, chat, timezone, rules FROM people WHERE handle = ?",
                vec![handle.into()],
            )
            .await?;
        r.map(|r| Ok((crate::store::rows::person(&r)?, os(&r, "rules")?)))
            .transpose()
    }
    async fn load_person_rules(&self, handle: &str) -> Result<Option<String>> {
        let r = self
            .one(
                "SELECT rules FROM people WHERE handle = ?",
                vec![handle.into()],
            )
            .await?;
        Ok(r.map(|r| os(&r, "rules")).transpose()?.flatten())
    }
}

impl<T: Conn> AlertReads for T {}
