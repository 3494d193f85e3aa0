//! Services as written (the API's JSON and the `[[services]]` of rota
//! files share one shape) and the row they become. Validation names the
//! field at fault and says why; nothing here does IO.

use crate::escalation::ladder::{self, LadderSpec, Target, TargetsSpec};
use crate::escalation::reach::{self, TeamView};
use crate::store::ServiceRow;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    /// The owning team (over the API; a rota file's services belong to its team).
    pub team: Option<String>,
    pub name: Option<String>,
    /// The ladder; omitted = the default (on-call primary, secondary, the
    /// team lead and `product_owner`, then `vendor`).
    #[schema(value_type = Option<Object>)]
    pub ladder: Option<LadderSpec>,
    pub product_owner: Option<String>,
    /// A vendor target for the default ladder's stage 4 (webhook:URL or email:ADDRESS).
    pub vendor: Option<String>,
    /// SLA target overrides per priority: {"P1": {"ack": "5m", "respond": "15m", "resolve": "4h"}}.
    #[schema(value_type = Option<Object>)]
    pub targets: Option<TargetsSpec>,
    /// The service must check in this often ("5m"), or an alert opens.
    pub heartbeat: Option<String>,
    /// Maintenance windows: [{"start": RFC 3339, "end": RFC 3339}].
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub maintenance: Vec<Window>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub start: String,
    pub end: String,
}

use crate::escalation::Invalid;

pub fn valid_id(id: &str) -> Result<(), Invalid> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Invalid::new(
            "id",
            "a service id is 1–64 letters, digits, - or _",
        ))
    }
}

/// The row for service `id` of `team`, from `spec`, at `now_ms`. `old` is
/// the stored row, if any (an unchanged heartbeat keeps its due time);
/// `is_person` says whether a handle names a person.
pub fn build_row(
    id: &str,
    spec: &ServiceSpec,
    old: Option<&ServiceRow>,
    now_ms: i64,
    team: &TeamView,
    is_person: &dyn Fn(&str) -> bool,
) -> Result<ServiceRow, Invalid> {
    valid_id(id)?;
    let ladder_spec = match &spec.ladder {
        Some(l) => l.clone(),
        None => default_for(spec, team, is_person)?,
    };
    let built = ladder_spec
        .build()
        .map_err(|e| Invalid::new(format!("ladder.{}", e.field), e.message))?;
    // Every target must name something that exists: a ladder that pages
    // nobody is refused here, not discovered during an outage.
    reach::check(&built, team, is_person)?;
    let targets = spec.targets.clone().unwrap_or_default();
    ladder::build_targets(&targets)?;
    let heartbeat_secs = spec
        .heartbeat
        .as_deref()
        .map(|h| ladder::parse_duration("heartbeat", h).map(|d| d.num_seconds()))
        .transpose()?;
    let mut windows = Vec::new();
    for (i, w) in spec.maintenance.iter().enumerate() {
        let at = |field: &str, v: &str| {
            chrono::DateTime::parse_from_rfc3339(v)
                .map(|t| t.timestamp_millis())
                .map_err(|_| {
                    Invalid::new(
                        format!("maintenance[{i}].{field}"),
                        format!("\"{v}\" is not an RFC 3339 instant such as 2026-12-01T02:00:00Z"),
                    )
                })
        };
        let (s, e) = (at("start", &w.start)?, at("end", &w.end)?);
        if e <= s {
            return Err(Invalid::new(
                format!("maintenance[{i}].end"),
                "end must be after start",
            ));
        }
        windows.push((s, e));
    }
    // A new or changed heartbeat starts counting now; an unchanged one keeps its due time.
    let heartbeat_due_ms = match (old, heartbeat_secs) {
        (Some(o), Some(s)) if o.heartbeat_secs == Some(s) => o.heartbeat_due_ms,
        (_, Some(s)) => Some(now_ms + s * 1000),
        (_, None) => None,
    };
    Ok(ServiceRow {
        id: id.to_string(),
        team: team.slug.clone(),
        name: spec.name.clone().unwrap_or_else(|| id.to_string()),
        ladder: to_json(&ladder_spec),
        targets: (!targets.is_empty()).then(|| to_json(&targets)),
        heartbeat_secs,
        heartbeat_due_ms,
        maintenance: to_json(&windows),
        origin: old.and_then(|o| o.origin.clone()),
    })
}

/// The usual ladder (on-call primary, secondary, the lead and a product
/// owner, a vendor), keeping only the stages and targets the team has: a
/// team without a secondary layer gets no empty stage 2.
fn default_for(
    spec: &ServiceSpec,
    team: &TeamView,
    is_person: &dyn Fn(&str) -> bool,
) -> Result<LadderSpec, Invalid> {
    if let Some(v) = &spec.vendor {
        Target::parse(v).map_err(|m| Invalid::new("vendor", m))?;
    }
    if let Some(p) = &spec.product_owner
        && !is_person(p)
    {
        return Err(Invalid::new("product_owner", format!("no person {p}")));
    }
    let mut l = ladder::default_ladder(spec.product_owner.as_deref(), spec.vendor.as_deref());
    for st in &mut l.stages {
        st.targets.retain(|t| {
            Target::parse(t).is_ok_and(|t| reach::missing(&t, team, is_person).is_none())
        });
    }
    l.stages.retain(|st| !st.targets.is_empty());
    if l.stages.is_empty() {
        return Err(Invalid::new(
            "ladder",
            format!(
                "team {} has no primary or secondary layer and no lead to page: write a ladder",
                team.slug
            ),
        ));
    }
    Ok(l)
}

/// Refuses webhook targets that point into a private network by their text
/// (an IP literal or localhost), unless the operator allows them.
pub fn check_webhooks(row: &ServiceRow, allow_private: bool) -> Result<(), Invalid> {
    if allow_private {
        return Ok(());
    }
    let Ok(spec) = serde_json::from_str::<LadderSpec>(&row.ladder) else {
        return Ok(());
    };
    for (i, st) in spec.stages.iter().enumerate() {
        for (j, t) in st.targets.iter().enumerate() {
            if let Ok(Target::Webhook(u)) = Target::parse(t)
                && let Some(why) = ladder::private_webhook(&u)
            {
                return Err(Invalid::new(
                    format!("ladder.stages[{i}].targets[{j}]"),
                    format!(
                        "the webhook would reach a private network ({why}); set VIGIL_ALLOW_PRIVATE_WEBHOOKS=1 to allow it"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The spec a stored row was made from (for `vigil schedules export`).
pub fn spec_of(row: &ServiceRow) -> ServiceSpec {
    let windows: Vec<(i64, i64)> = serde_json::from_str(&row.maintenance).unwrap_or_default();
    let text = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .map(crate::rota::civil::utc_text)
            .unwrap_or_default()
    };
    ServiceSpec {
        team: None,
        name: (row.name != row.id).then(|| row.name.clone()),
        ladder: serde_json::from_str(&row.ladder).ok(),
        product_owner: None,
        vendor: None,
        targets: row
            .targets
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok()),
        heartbeat: row
            .heartbeat_secs
            .map(|s| ladder::format_duration(chrono::Duration::seconds(s))),
        maintenance: windows
            .iter()
            .map(|(s, e)| Window {
                start: text(*s),
                end: text(*e),
            })
            .collect(),
    }
}

/// Plain data always serialises to JSON.
fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}
