//! A service's paging policy from its stored row, and the alert's stored
//! state: each parsed in one place, with a clear error when stored data does
//! not read.

use crate::engine::error::{Error, Result};
use crate::escalation::ladder::{self, Ladder, LadderSpec, TargetsSpec};
use crate::escalation::{self as esc, Policy};
use crate::rota::Instant;
use crate::store::{AlertReads, AlertRow, ServiceRow};

/// A service's ladder and policy, parsed from its row.
pub struct ServicePolicy {
    pub row: ServiceRow,
    pub ladder: Ladder,
    pub policy: Policy,
}

pub fn service_policy(row: ServiceRow) -> Result<ServicePolicy> {
    let spec: LadderSpec =
        serde_json::from_str(&row.ladder).map_err(|e| Error::invalid("ladder", e.to_string()))?;
    let ladder = spec.build().map_err(Error::from)?;
    let tspec: TargetsSpec = match &row.targets {
        Some(t) => serde_json::from_str(t).map_err(|e| Error::invalid("targets", e.to_string()))?,
        None => TargetsSpec::new(),
    };
    let targets = ladder::build_targets(&tspec).map_err(Error::from)?;
    let policy = ladder::policy(&ladder, targets);
    Ok(ServicePolicy {
        row,
        ladder,
        policy,
    })
}

pub async fn load_policy(store: &impl AlertReads, service: &str) -> Result<ServicePolicy> {
    let row = store
        .load_service(service)
        .await?
        .ok_or_else(|| Error::NotFound(format!("service {service}")))?;
    service_policy(row)
}

pub(super) fn ms(t: Instant) -> i64 {
    t.timestamp_millis()
}

/// The state machine's alert. Its trigger count is the row's `count`
/// column, which deduplicated triggers update without rewriting the state.
pub fn parse_state(row: &AlertRow) -> Result<esc::Alert> {
    let mut a: esc::Alert =
        serde_json::from_str(&row.state).map_err(|e| Error::invalid("state", e.to_string()))?;
    a.count = row.count.clamp(0, u32::MAX as i64) as u32;
    Ok(a)
}

/// The end of the maintenance window `now` falls in (windows that overlap
/// or touch count as one), or None outside every window.
pub fn maintenance_end(row: &ServiceRow, now: Instant) -> Option<i64> {
    let mut windows: Vec<(i64, i64)> = match serde_json::from_str(&row.maintenance) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(service = %row.id, error = %e, "unreadable maintenance windows: ignored");
            Vec::new()
        }
    };
    windows.sort_unstable();
    let t = ms(now);
    let mut end: Option<i64> = None;
    for (s, e) in windows {
        match end {
            Some(cur) if s <= cur => end = Some(cur.max(e)),
            _ if (s..e).contains(&t) => end = Some(e),
            Some(_) => break,
            None => {}
        }
    }
    end
}

/// Whether `now` falls in one of the service's maintenance windows.
pub fn in_maintenance(row: &ServiceRow, now: Instant) -> bool {
    maintenance_end(row, now).is_some()
}
