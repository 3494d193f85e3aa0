//! Deletions that ladders depend on: a team, rota, layer, lead or person a
//! service pages through is refused with 409 naming the services, unless
//! `?replace_with=` says what takes its place (the ladders are rewritten
//! in the same transaction as the deletion).

use super::error::ApiError;
use super::state::AppState;
use crate::engine::ladders::{self, PlanError, Removal};
use crate::store::{ServiceRow, Tx};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReplaceWith {
    /// What takes the removed one's place in every ladder that names it
    /// (a person, rota, layer or team, as the deletion is).
    pub replace_with: Option<String>,
}

/// The ladder rewrites `removal` needs, or the 409/422 that refuses it.
pub async fn plan(
    st: &AppState,
    removal: Removal<'_>,
    replace_with: Option<&str>,
) -> Result<Vec<ServiceRow>, ApiError> {
    let plan = match ladders::plan_removal(&st.store, &st.cache, removal, replace_with).await {
        Ok(p) => p,
        Err(PlanError::Replacement(m)) => return Err(ApiError::invalid("replace_with", m)),
        Err(PlanError::Load(e)) => return Err(e.into()),
    };
    if plan.dangling.is_empty() {
        return Ok(plan.rewrites);
    }
    let names: Vec<String> = plan
        .dangling
        .iter()
        .map(|d| format!("{} ({}: {})", d.service, d.field, d.reason))
        .collect();
    let hint = if replace_with.is_some() {
        "; the replacement does not fit them either"
    } else {
        "; name what replaces it with ?replace_with=…, or change those ladders first"
    };
    let mut e = ApiError::conflict(format!(
        "{} service(s) page through this: {}{hint}",
        plan.dangling.len(),
        names.join(", ")
    ));
    e.details = Some(json!(plan.dangling));
    Err(e)
}

/// Writes the rewritten ladders, each in the audit log.
pub async fn write(tx: &Tx, rows: &[ServiceRow], actor: &str, now: i64) -> Result<(), ApiError> {
    for r in rows {
        tx.upsert_service(r, now).await?;
        tx.audit(
            now,
            actor,
            "service.update",
            &r.id,
            json!({ "team": r.team, "ladder": serde_json::from_str::<serde_json::Value>(&r.ladder).ok(), "reason": "a target it named was replaced" }),
        )
        .await?;
    }
    Ok(())
}
