//! What the API and the console show of alerts (reads only): lists, one
//! alert with its timeline and notifications, the pages a reply or a link
//! refers to.

use crate::engine::error::{Error, Result};
use crate::store::{AlertReads, AlertRow, LogRow, OutboxRow, Reads};

/// Alert statuses a list may filter by.
pub const STATUSES: [&str; 3] = ["triggered", "acknowledged", "resolved"];

/// Alerts, newest first (`limit` capped at 1000).
pub async fn list(
    db: &impl AlertReads,
    status: Option<&str>,
    service: Option<&str>,
    limit: u64,
) -> Result<Vec<AlertRow>> {
    if let Some(s) = status
        && !STATUSES.contains(&s)
    {
        return Err(Error::invalid(
            "status",
            "status is triggered, acknowledged or resolved",
        ));
    }
    Ok(db.list_alerts(status, service, limit.min(1000)).await?)
}

/// One alert, its timeline and its notifications.
pub struct Detail {
    pub alert: AlertRow,
    pub log: Vec<LogRow>,
    pub outbox: Vec<OutboxRow>,
}

pub async fn alert(db: &impl AlertReads, id: &str) -> Result<AlertRow> {
    db.load_alert(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("alert {id}")))
}

pub async fn detail(db: &impl AlertReads, id: &str) -> Result<Detail> {
    let alert = alert(db, id).await?;
    Ok(Detail {
        log: db.alert_log(id).await?,
        outbox: db.outbox_for(id).await?,
        alert,
    })
}

/// The alerts of these pages (each once, in id order; missing ones left out).
pub async fn alerts_of(db: &impl AlertReads, rows: &[OutboxRow]) -> Result<Vec<AlertRow>> {
    let mut ids: Vec<String> = rows.iter().map(|r| r.alert.clone()).collect();
    ids.sort();
    ids.dedup();
    Ok(db.load_alerts_by_ids(&ids).await?)
}

/// The pages one message carried (its bundle id).
pub async fn message(db: &impl AlertReads, bundle: &str) -> Result<Vec<OutboxRow>> {
    Ok(db.outbox_by_bundle(bundle).await?)
}

/// The pages sent to `address` with reply code `code`.
pub async fn by_code(db: &impl AlertReads, code: &str, address: &str) -> Result<Vec<OutboxRow>> {
    Ok(db.outbox_by_code(code, address).await?)
}

/// The person whose chat (Slack) user id this is.
pub async fn person_by_chat(db: &impl Reads, user: &str) -> Result<Option<String>> {
    Ok(db.person_by_chat(user).await?)
}
