//! Services, integration keys, alerts, their timelines and the outbox.
//!
//! Alert writes use `Store::tx_quiet`: they do not bump the change counter
//! the rota caches watch, and on PostgreSQL they lock only the rows they
//! touch (`FOR UPDATE`, and `SKIP LOCKED` where a worker claims due work),
//! so several instances and many alerts proceed in parallel.

use super::rows::{collect, i, os, s};
use super::sealed::Conn;
use super::{Result, Store, Tx, opt};
use sea_orm::{QueryResult, Value};

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ServiceRow {
    pub id: String,
    pub team: String,
    pub name: String,
    /// The ladder as written (JSON of `LadderSpec`).
    pub ladder: String,
    /// SLA target overrides (JSON of `TargetsSpec`), if any.
    pub targets: Option<String>,
    pub heartbeat_secs: Option<i64>,
    pub heartbeat_due_ms: Option<i64>,
    /// Maintenance windows, JSON `[[start_ms, end_ms], …]`.
    pub maintenance: String,
    /// "file:NAME.toml" when declared in a rota file, None when made over the API.
    pub origin: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KeyRow {
    pub id: String,
    pub service: String,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlertRow {
    pub id: String,
    pub service: String,
    pub dedup_key: String,
    pub priority: i64,
    pub summary: String,
    pub details: String,
    pub source: String,
    pub links: String,
    pub status: String,
    /// The state machine's `Alert`, as JSON.
    pub state: String,
    pub suppressed: bool,
    pub count: i64,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub last_seen_ms: i64,
    pub next_due_ms: Option<i64>,
    pub ack_by: Option<String>,
    pub ack_via: Option<String>,
    pub resolved_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub id: String,
    pub alert: String,
    pub stage: i64,
    pub round: i64,
    pub person: Option<String>,
    pub channel: String,
    pub address: String,
    pub priority: i64,
    pub code: String,
    pub due_ms: i64,
    pub status: String,
    pub attempts: i64,
    pub provider_id: Option<String>,
    pub last_error: Option<String>,
    pub created_ms: i64,
    pub sent_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LogRow {
    pub at_ms: i64,
    pub kind: String,
    pub actor: String,
    pub detail: serde_json::Value,
}

const SERVICE_COLS: &str =
    "id, team, name, ladder, targets, heartbeat_secs, heartbeat_due_ms, maintenance, origin";
const ALERT_COLS: &str = "id, service, dedup_key, priority, summary, details, source, links, status, state, suppressed, count, created_ms, updated_ms, last_seen_ms, next_due_ms, ack_by, ack_via, resolved_by";
const OUTBOX_COLS: &str = "id, alert, stage, round, person, channel, address, priority, code, due_ms, status, attempts, provider_id, last_error, created_ms, sent_ms";

fn oi(r: &QueryResult, c: &str) -> Result<Option<i64>> {
    Ok(r.try_get::<Option<i64>>("", c)?)
}

fn service(r: &QueryResult) -> Result<ServiceRow> {
    Ok(ServiceRow {
        id: s(r, "id")?,
        team: s(r, "team")?,
        name: s(r, "name")?,
        ladder: s(r, "ladder")?,
        targets: os(r, "targets")?,
        heartbeat_secs: oi(r, "heartbeat_secs")?,
        heartbeat_due_ms: oi(r, "heartbeat_due_ms")?,
        maintenance: s(r, "maintenance")?,
        origin: os(r, "origin")?,
    })
}

fn alert(r: &QueryResult) -> Result<AlertRow> {
    Ok(AlertRow {
        id: s(r, "id")?,
        service: s(r, "service")?,
        dedup_key: s(r, "dedup_key")?,
        priority: r.try_get::<i32>("", "priority")? as i64,
        summary: s(r, "summary")?,
        details: s(r, "details")?,
        source: s(r, "source")?,
        links: s(r, "links")?,
        status: s(r, "status")?,
        state: s(r, "state")?,
        suppressed: r.try_get::<bool>("", "suppressed")?,
        count: i(r, "count")?,
        created_ms: i(r, "created_ms")?,
        updated_ms: i(r, "updated_ms")?,
        last_seen_ms: i(r, "last_seen_ms")?,
        next_due_ms: oi(r, "next_due_ms")?,
        ack_by: os(r, "ack_by")?,
        ack_via: os(r, "ack_via")?,
        resolved_by: os(r, "resolved_by")?,
    })
}

fn outbox(r: &QueryResult) -> Result<OutboxRow> {
    Ok(OutboxRow {
        id: s(r, "id")?,
        alert: s(r, "alert")?,
        stage: r.try_get::<i32>("", "stage")? as i64,
        round: r.try_get::<i32>("", "round")? as i64,
        person: os(r, "person")?,
        channel: s(r, "channel")?,
        address: s(r, "address")?,
        priority: r.try_get::<i32>("", "priority")? as i64,
        code: s(r, "code")?,
        due_ms: i(r, "due_ms")?,
        status: s(r, "status")?,
        attempts: r.try_get::<i32>("", "attempts")? as i64,
        provider_id: os(r, "provider_id")?,
        last_error: os(r, "last_error")?,
        created_ms: i(r, "created_ms")?,
        sent_ms: oi(r, "sent_ms")?,
    })
}

fn log_row(r: &QueryResult) -> Result<LogRow> {
    let detail = s(r, "detail")?;
    Ok(LogRow {
        at_ms: i(r, "at_ms")?,
        kind: s(r, "kind")?,
        actor: s(r, "actor")?,
        detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
    })
}

fn oi_val(v: Option<i64>) -> Value {
    Value::BigInt(v)
}

/// Placeholders "?, ?, …" for `n` values.
fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

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
    /// The reply codes of messages sent to `address` since `since_ms`.
    async fn codes_sent_to(&self, address: &str, since_ms: i64) -> Result<Vec<String>> {
        let rows = self
            .all(
                "SELECT DISTINCT code FROM outbox WHERE address = ? AND sent_ms > ? AND status = 'sent'",
                vec![address.into(), since_ms.into()],
            )
            .await?;
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
    /// a claimable notification (due and not leased) or a heartbeat.
    async fn next_due_ms(&self) -> Result<Option<i64>> {
        let row = self
            .one(
                "SELECT \
                   (SELECT MIN(next_due_ms) FROM alerts WHERE next_due_ms IS NOT NULL) AS a, \
                   (SELECT MIN(CASE WHEN lease_until_ms IS NOT NULL AND lease_until_ms > due_ms \
                      THEN lease_until_ms ELSE due_ms END) FROM outbox WHERE status = 'pending') AS o, \
                   (SELECT MIN(heartbeat_due_ms) FROM services WHERE heartbeat_due_ms IS NOT NULL) AS h",
                vec![],
            )
            .await?;
        let Some(r) = row else { return Ok(None) };
        Ok([oi(&r, "a")?, oi(&r, "o")?, oi(&r, "h")?]
            .into_iter()
            .flatten()
            .min())
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
        let tx = self.tx_quiet().await?;
        let skip = if self.is_postgres() {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE outbox SET lease_owner = ?, lease_until_ms = ?, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND due_ms <= ? \
               AND (lease_until_ms IS NULL OR lease_until_ms <= ?) \
               ORDER BY priority, due_ms LIMIT {limit}{skip}) \
             RETURNING {OUTBOX_COLS}"
        );
        let rows = tx
            .all(
                &sql,
                vec![
                    owner.into(),
                    lease_until_ms.into(),
                    now_ms.into(),
                    now_ms.into(),
                ],
            )
            .await?;
        tx.commit().await?;
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
        let open = (a.status != "resolved").then(|| a.dedup_key.clone());
        self.exec(
            &format!(
                "INSERT INTO alerts ({ALERT_COLS}, open_key) VALUES ({})",
                marks(20)
            ),
            vec![
                a.id.clone().into(),
                a.service.clone().into(),
                a.dedup_key.clone().into(),
                (a.priority as i32).into(),
                a.summary.clone().into(),
                a.details.clone().into(),
                a.source.clone().into(),
                a.links.clone().into(),
                a.status.clone().into(),
                a.state.clone().into(),
                a.suppressed.into(),
                a.count.into(),
                a.created_ms.into(),
                a.updated_ms.into(),
                a.last_seen_ms.into(),
                oi_val(a.next_due_ms),
                opt(&a.ack_by),
                opt(&a.ack_via),
                opt(&a.resolved_by),
                opt(&open),
            ],
        )
        .await
        .map(|_| ())
    }
    /// Writes the alert's mutable fields (status, state, timers, who acted).
    pub async fn update_alert(&self, a: &AlertRow) -> Result<()> {
        let open = (a.status != "resolved").then(|| a.dedup_key.clone());
        self.exec(
            "UPDATE alerts SET status = ?, state = ?, count = ?, updated_ms = ?, last_seen_ms = ?, next_due_ms = ?, \
             ack_by = ?, ack_via = ?, resolved_by = ?, open_key = ?, summary = ?, details = ?, priority = ?, suppressed = ? WHERE id = ?",
            vec![
                a.status.clone().into(),
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
                (a.priority as i32).into(),
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
        self.exec(
            "INSERT INTO alert_log (alert, at_ms, kind, actor, detail) VALUES (?, ?, ?, ?, ?)",
            vec![
                alert_id.into(),
                at_ms.into(),
                kind.into(),
                actor.into(),
                detail.to_string().into(),
            ],
        )
        .await
        .map(|_| ())
    }
    pub async fn insert_outbox(&self, o: &OutboxRow) -> Result<()> {
        self.exec(
            &format!("INSERT INTO outbox ({OUTBOX_COLS}) VALUES ({})", marks(16)),
            vec![
                o.id.clone().into(),
                o.alert.clone().into(),
                (o.stage as i32).into(),
                (o.round as i32).into(),
                opt(&o.person),
                o.channel.clone().into(),
                o.address.clone().into(),
                (o.priority as i32).into(),
                o.code.clone().into(),
                o.due_ms.into(),
                o.status.clone().into(),
                (o.attempts as i32).into(),
                opt(&o.provider_id),
                opt(&o.last_error),
                o.created_ms.into(),
                oi_val(o.sent_ms),
            ],
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
    pub async fn mark_sent(
        &self,
        ids: &[String],
        owner: &str,
        provider_id: &str,
        code: &str,
        bundle: &str,
        sent_ms: i64,
    ) -> Result<u64> {
        let mut v: Vec<Value> = vec![
            provider_id.into(),
            code.into(),
            bundle.into(),
            sent_ms.into(),
            owner.into(),
        ];
        v.extend(ids.iter().map(|i| Value::from(i.clone())));
        self.exec(
            &format!(
                "UPDATE outbox SET status = 'sent', provider_id = ?, code = ?, bundle = ?, sent_ms = ?, lease_owner = NULL, lease_until_ms = NULL \
                 WHERE lease_owner = ? AND id IN ({})",
                marks(ids.len())
            ),
            v,
        )
        .await
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
