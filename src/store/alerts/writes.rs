//! Writes of services, alerts, timelines and the outbox (and the
//! dispatcher's claims), each one statement.

use super::*;
use crate::store::rows::{collect, i, s};
use crate::store::sealed::Conn;
use crate::store::{Result, Store, Tx, opt};

impl Store {
    /// Claims up to `limit` due notifications for `owner` until `lease_ms`:
    /// one statement, so two workers never claim the same row (PostgreSQL
    /// skips rows another worker holds; SQLite has one writer at a time).
    pub async fn claim_outbox(
        &self,
        owner: &str,
        now_ms: i64,
        lease_until_ms: i64,
        limit: u64,
    ) -> Result<Vec<OutboxRow>> {
        let c = crate::store::rows::Claim {
            table: "outbox",
            also_set: ", attempts = attempts + 1",
            order: "priority, due_ms",
            cols: OUTBOX_COLS,
            limit,
        };
        let rows = crate::store::rows::claim(self, c, owner, now_ms, lease_until_ms).await?;
        collect(rows, outbox)
    }

    /// Gives back the leases an earlier run of this same instance held (it
    /// stopped or crashed mid-send), so its work resumes at once.
    pub async fn release_leases(&self, owner: &str) -> Result<u64> {
        let tx = self.tx_quiet().await?;
        let n = tx
            .exec(
                "UPDATE outbox SET lease_owner = NULL, lease_until_ms = NULL WHERE lease_owner = ? AND status = 'pending'",
                vec![owner.into()],
            )
            .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// A secret kept in the database (made at first use), shared by every
    /// instance: signing keys for acknowledge links and webhooks.
    pub async fn secret(&self, key: &str, fresh: &str) -> Result<String> {
        if let Some(r) = self
            .one("SELECT value FROM secrets WHERE key = ?", vec![key.into()])
            .await?
        {
            return s(&r, "value");
        }
        let tx = self.tx_quiet().await?;
        let _ = tx
            .exec(
                "INSERT INTO secrets (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                vec![key.into(), fresh.into()],
            )
            .await?;
        tx.commit().await?;
        let r = self
            .one("SELECT value FROM secrets WHERE key = ?", vec![key.into()])
            .await?;
        r.map(|r| s(&r, "value"))
            .transpose()
            .map(|v| v.unwrap_or_else(|| fresh.to_string()))
    }
}

impl Tx {
    fn for_update(&self) -> &'static str {
        if self.backend == sea_orm::DbBackend::Postgres {
            " FOR UPDATE"
        } else {
            ""
        }
    }

    pub async fn upsert_service(&self, sv: &ServiceRow, now: i64) -> Result<()> {
        self.exec(
            "INSERT INTO services (id, team, name, ladder, targets, heartbeat_secs, heartbeat_due_ms, maintenance, origin, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET team = excluded.team, name = excluded.name, \
             ladder = excluded.ladder, targets = excluded.targets, heartbeat_secs = excluded.heartbeat_secs, \
             heartbeat_due_ms = excluded.heartbeat_due_ms, maintenance = excluded.maintenance, origin = excluded.origin, \
             updated_at = excluded.updated_at",
            vec![
                sv.id.clone().into(),
                sv.team.clone().into(),
                sv.name.clone().into(),
                sv.ladder.clone().into(),
                opt(&sv.targets),
                oi_val(sv.heartbeat_secs),
                oi_val(sv.heartbeat_due_ms),
                sv.maintenance.clone().into(),
                opt(&sv.origin),
                now.into(),
            ],
        )
        .await
        .map(|_| ())
    }
    pub async fn delete_service(&self, id: &str) -> Result<u64> {
        self.exec(
            "DELETE FROM integration_keys WHERE service = ?",
            vec![id.into()],
        )
        .await?;
        self.exec("DELETE FROM services WHERE id = ?", vec![id.into()])
            .await
    }
    pub async fn insert_integration_key(
        &self,
        id: &str,
        service: &str,
        hash: &str,
        kind: &str,
        now: i64,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO integration_keys (id, service, hash, kind, created_at) VALUES (?, ?, ?, ?, ?)",
            vec![id.into(), service.into(), hash.into(), kind.into(), now.into()],
        )
        .await
        .map(|_| ())
    }
    pub async fn revoke_integration_key(&self, service: &str, id: &str, now: i64) -> Result<u64> {
        self.exec(
            "UPDATE integration_keys SET revoked_at = ? WHERE id = ? AND service = ? AND revoked_at IS NULL",
            vec![now.into(), id.into(), service.into()],
        )
        .await
    }
    pub async fn set_heartbeat_due(&self, service: &str, due_ms: Option<i64>) -> Result<u64> {
        self.exec(
            "UPDATE services SET heartbeat_due_ms = ? WHERE id = ?",
            vec![oi_val(due_ms), service.into()],
        )
        .await
    }
    /// Services whose heartbeat is overdue, locked for this transaction.
    pub async fn due_heartbeats(&self, now_ms: i64) -> Result<Vec<ServiceRow>> {
        let skip = if self.for_update().is_empty() {
            ""
        } else {
            " FOR UPDATE SKIP LOCKED"
        };
        let sql = format!(
            "SELECT {SERVICE_COLS} FROM services WHERE heartbeat_due_ms IS NOT NULL AND heartbeat_due_ms <= ? LIMIT 50{skip}"
        );
        collect(self.all(&sql, vec![now_ms.into()]).await?, service)
    }
    pub async fn set_person_rules(&self, handle: &str, rules: Option<String>) -> Result<u64> {
        self.exec(
            "UPDATE people SET rules = ? WHERE handle = ?",
            vec![opt(&rules), handle.into()],
        )
        .await
    }

    /// Counts `n` more triggers on the open alert (service, dedup) seen last
    /// at `at_ms`, unless its timer is overdue (then the state machine must
    /// run first). Returns the alert's id and new count.
    pub async fn count_duplicates(
        &self,
        service: &str,
        dedup: &str,
        n: i64,
        at_ms: i64,
    ) -> Result<Option<(String, i64)>> {
        let rows = self
            .all(
                "UPDATE alerts SET count = count + ?, last_seen_ms = ?, updated_ms = ? \
                 WHERE service = ? AND open_key = ? AND (next_due_ms IS NULL OR next_due_ms > ?) \
                 RETURNING id, count",
                vec![
                    n.into(),
                    at_ms.into(),
                    at_ms.into(),
                    service.into(),
                    dedup.into(),
                    at_ms.into(),
                ],
            )
            .await?;
        rows.first()
            .map(|r| Ok((s(r, "id")?, i(r, "count")?)))
            .transpose()
    }
    /// The alert, locked until this transaction ends.
    pub async fn lock_alert(&self, id: &str) -> Result<Option<AlertRow>> {
        let sql = format!(
            "SELECT {ALERT_COLS} FROM alerts WHERE id = ?{}",
            self.for_update()
        );
        self.one(&sql, vec![id.into()])
            .await?
            .map(|r| alert(&r))
            .transpose()
    }
    /// The open alert with this dedup key on `service`, locked.
    pub async fn lock_open_alert(&self, service: &str, dedup: &str) -> Result<Option<AlertRow>> {
        let sql = format!(
            "SELECT {ALERT_COLS} FROM alerts WHERE service = ? AND open_key = ?{}",
            self.for_update()
        );
        self.one(&sql, vec![service.into(), dedup.into()])
            .await?
            .map(|r| alert(&r))
            .transpose()
    }
    /// Alerts whose timer is due, locked (others' locked rows are skipped).
    pub async fn due_alerts(&self, now_ms: i64, limit: u64) -> Result<Vec<AlertRow>> {
        let skip = if self.for_update().is_empty() {
            ""
        } else {
            " FOR UPDATE SKIP LOCKED"
        };
        let sql = format!(
            "SELECT {ALERT_COLS} FROM alerts WHERE next_due_ms IS NOT NULL AND next_due_ms <= ? \
             ORDER BY next_due_ms LIMIT {limit}{skip}"
        );
        collect(self.all(&sql, vec![now_ms.into()]).await?, alert)
    }
    pub async fn insert_alert(&self, a: &AlertRow) -> Result<()> {
        if self.deferred.alert(a) {
            return Ok(());
        }
        self.exec(
            &format!(
                "INSERT INTO alerts ({ALERT_COLS}, open_key) VALUES ({})",
                marks(20)
            ),
            alert_values(a),
        )
        .await
        .map(|_| ())
    }
    /// Writes the alert's mutable fields (status, state, timers, who acted).
    pub async fn update_alert(&self, a: &AlertRow) -> Result<()> {
        if self.deferred.update_alert(a) {
            return Ok(());
        }
        let open = a.status.is_open().then(|| a.dedup_key.clone());
        self.exec(
            "UPDATE alerts SET status = ?, state = ?, count = ?, updated_ms = ?, last_seen_ms = ?, next_due_ms = ?, \
             ack_by = ?, ack_via = ?, resolved_by = ?, open_key = ?, summary = ?, details = ?, priority = ?, suppressed = ? WHERE id = ?",
            vec![
                a.status.as_str().into(),
                a.state.clone().into(),
                a.count.into(),
                a.updated_ms.into(),
                a.last_seen_ms.into(),
                oi_val(a.next_due_ms),
                opt(&a.ack_by),
                opt(&a.ack_via),
                opt(&a.resolved_by),
                opt(&open),
                a.summary.clone().into(),
                a.details.clone().into(),
                (a.priority.level() as i32).into(),
                a.suppressed.into(),
                a.id.clone().into(),
            ],
        )
        .await
        .map(|_| ())
    }
    pub async fn log(
        &self,
        alert_id: &str,
        at_ms: i64,
        kind: &str,
        actor: &str,
        detail: serde_json::Value,
    ) -> Result<()> {
        let values = [
            alert_id.into(),
            at_ms.into(),
            kind.into(),
            actor.into(),
            detail.to_string().into(),
        ];
        if self.deferred.log(values.clone()) {
            return Ok(());
        }
        self.exec(
            "INSERT INTO alert_log (alert, at_ms, kind, actor, detail) VALUES (?, ?, ?, ?, ?)",
            values.into(),
        )
        .await
        .map(|_| ())
    }
    pub async fn insert_outbox(&self, o: &OutboxRow) -> Result<()> {
        if self.deferred.outbox(o) {
            return Ok(());
        }
        self.exec(
            &format!("INSERT INTO outbox ({OUTBOX_COLS}) VALUES ({})", marks(16)),
            outbox_values(o),
        )
        .await
        .map(|_| ())
    }
    /// Cancels every notification of the alert not yet sent; returns how many.
    pub async fn cancel_pending(&self, alert_id: &str) -> Result<u64> {
        self.exec(
            "UPDATE outbox SET status = 'cancelled' WHERE alert = ? AND status = 'pending'",
            vec![alert_id.into()],
        )
        .await
    }
    /// Marks notifications sent, if `owner` still holds them.
    /// Marks messages sent, many in one statement per 500 notifications:
    /// each (its notification ids, provider id, reply code, bundle id).
    /// Rows whose lease `owner` no longer holds are left as they are.
    pub async fn mark_sent(
        &self,
        sent: &[(Vec<String>, String, String, String)],
        owner: &str,
        sent_ms: i64,
    ) -> Result<u64> {
        let rows: Vec<[&str; 4]> = sent
            .iter()
            .flat_map(|(ids, pid, code, bundle)| {
                ids.iter()
                    .map(move |id| [id.as_str(), pid.as_str(), code.as_str(), bundle.as_str()])
            })
            .collect();
        let mut n = 0;
        for chunk in rows.chunks(500) {
            let mut v: Vec<Value> = vec![sent_ms.into()];
            for row in chunk {
                v.extend(row.iter().map(|x| Value::from(*x)));
            }
            v.push(owner.into());
            n += self
                .exec(
                    &format!(
                        "UPDATE outbox SET status = 'sent', provider_id = v.column2, code = v.column3, bundle = v.column4, \
                         sent_ms = ?, lease_owner = NULL, lease_until_ms = NULL \
                         FROM (VALUES {}) AS v WHERE outbox.id = v.column1 AND outbox.lease_owner = ?",
                        vec!["(?, ?, ?, ?)"; chunk.len()].join(", ")
                    ),
                    v,
                )
                .await?;
        }
        Ok(n)
    }
    /// Puts notifications back to wait until `due_ms`: a retry after
    /// `error`, or (no error) a throttle hold, which gives back the attempt
    /// the claim counted.
    pub async fn reschedule(
        &self,
        ids: &[String],
        owner: &str,
        due_ms: i64,
        error: Option<&str>,
    ) -> Result<u64> {
        let refund = i32::from(error.is_none());
        let mut v: Vec<Value> = vec![
            due_ms.into(),
            opt(&error.map(str::to_string)),
            refund.into(),
            owner.into(),
        ];
        v.extend(ids.iter().map(|i| Value::from(i.clone())));
        self.exec(
            &format!(
                "UPDATE outbox SET due_ms = ?, last_error = COALESCE(?, last_error), attempts = attempts - ?, \
                 lease_owner = NULL, lease_until_ms = NULL WHERE lease_owner = ? AND status = 'pending' AND id IN ({})",
                marks(ids.len())
            ),
            v,
        )
        .await
    }
    pub async fn mark_failed(&self, ids: &[String], owner: &str, error: &str) -> Result<u64> {
        let mut v: Vec<Value> = vec![error.into(), owner.into()];
        v.extend(ids.iter().map(|i| Value::from(i.clone())));
        self.exec(
            &format!(
                "UPDATE outbox SET status = 'failed', last_error = ?, lease_owner = NULL, lease_until_ms = NULL \
                 WHERE lease_owner = ? AND id IN ({})",
                marks(ids.len())
            ),
            v,
        )
        .await
    }
    /// Whether a notification for this page already exists on `channel`.
    pub async fn page_has_channel(
        &self,
        alert_id: &str,
        stage: i64,
        round: i64,
        person: Option<&str>,
        channel: &str,
    ) -> Result<bool> {
        let r = self
            .one(
                "SELECT COUNT(*) AS n FROM outbox WHERE alert = ? AND stage = ? AND round = ? AND COALESCE(person, '') = ? AND channel = ?",
                vec![
                    alert_id.into(),
                    (stage as i32).into(),
                    (round as i32).into(),
                    person.unwrap_or("").into(),
                    channel.into(),
                ],
            )
            .await?;
        Ok(r.map(|r| i(&r, "n")).transpose()?.unwrap_or(0) > 0)
    }
}
