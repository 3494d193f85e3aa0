//! The TOML shape of a rota file, as serde reads it. Values that a later
//! check may reject carry their byte span, so errors can name the line.
//! README.md ("The rota file format") documents every field.

use serde::Deserialize;
use toml::Spanned;

type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotaFile {
    pub team: TeamDef,
    #[serde(default)]
    pub people: Vec<PersonDef>,
    #[serde(default)]
    pub layers: Vec<LayerDef>,
    #[serde(default)]
    pub overrides: Vec<OverrideDef>,
    #[serde(default)]
    pub swaps: Vec<SwapDef>,
    #[serde(default)]
    pub checks: ChecksDef,
    #[serde(default)]
    pub fairness: FairnessDef,
    /// Alerting services of the team; `vigil schedules apply` reads them
    /// (the rota engine does not).
    #[serde(default)]
    pub services: Vec<toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamDef {
    pub name: String,
    pub timezone: S<String>,
    pub lead: Option<S<String>>,
    #[serde(default)]
    pub dst: DstDef,
}

#[derive(Debug, Deserialize, Default, Clone, Copy, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub enum DstDef {
    #[default]
    WallClock,
    FixedLength,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonDef {
    pub id: S<String>,
    pub name: Option<String>,
    pub timezone: Option<S<String>>,
    /// Notification rules; `vigil schedules apply` reads them.
    pub rules: Option<toml::Value>,
    /// Contact details (E.164 phone, email, Slack user id); `vigil
    /// schedules apply` writes the ones given.
    pub phone: Option<S<String>>,
    pub email: Option<S<String>>,
    pub chat: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerDef {
    pub name: S<String>,
    pub role: Option<String>,
    pub rotations: S<Vec<RotationDef>>,
    #[serde(default)]
    pub restrictions: Vec<RestrictionDef>,
    /// Whether gaps in this layer are violations (default true).
    pub coverage_required: Option<bool>,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum CadenceDef {
    Weekly,
    Daily,
    DayNight,
    EveryHours,
    EveryDays,
    FollowTheSun,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotationDef {
    pub name: Option<String>,
    pub cadence: S<CadenceDef>,
    pub effective_from: Option<S<When>>,
    pub start: S<When>,
    pub handoff_time: Option<S<String>>,
    pub handoff_day: Option<S<String>>,
    pub handoff_times: Option<Vec<S<String>>>,
    pub every: Option<S<u32>>,
    #[serde(default)]
    pub participants: Vec<S<String>>,
    pub first: Option<S<String>>,
    #[serde(default)]
    pub groups: Vec<GroupDef>,
    pub dst: Option<DstDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupDef {
    pub name: String,
    pub timezone: S<String>,
    pub handoff_time: S<String>,
    pub participants: Vec<S<String>>,
    pub first: Option<S<String>>,
    pub days_per_person: Option<S<u32>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestrictionDef {
    #[serde(default)]
    pub days: Vec<S<String>>,
    pub from: S<String>,
    pub to: S<String>,
}

#[derive(Debug, Deserialize, Default, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum OverrideKind {
    #[default]
    Replace,
    Add,
    Remove,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideDef {
    pub layer: S<String>,
    #[serde(default)]
    pub kind: OverrideKind,
    pub start: S<When>,
    pub end: S<When>,
    pub person: Option<S<String>>,
    pub replaces: Option<S<String>>,
    pub note: Option<String>,
    /// `"override"` (default) or `"swap"`: an override written by an
    /// accepted swap (the server stores its swaps this way).
    #[serde(default)]
    pub source: OverrideSource,
}

#[derive(Debug, Deserialize, Default, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum OverrideSource {
    #[default]
    Override,
    Swap,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwapDef {
    pub layer: S<String>,
    pub a: SwapSide,
    pub b: SwapSide,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwapSide {
    pub person: S<String>,
    pub start: S<When>,
    pub end: S<When>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ChecksDef {
    pub coverage_gaps: Option<bool>,
    pub min_gap_minutes: Option<u32>,
    pub max_consecutive_shifts: Option<u32>,
    pub consecutive_gap_hours: Option<S<f64>>,
    pub min_rest_hours: Option<S<f64>>,
    pub max_hours_per_7_days: Option<S<f64>>,
    pub weekend_spread: Option<i64>,
    pub two_layers_at_once: Option<bool>,
    pub hard: Option<Vec<S<String>>>,
    #[serde(default)]
    pub critical: Vec<CriticalDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriticalDef {
    pub name: String,
    pub min_people: u32,
    pub start: Option<S<When>>,
    pub end: Option<S<When>>,
    #[serde(default)]
    pub days: Vec<S<String>>,
    pub from: Option<S<String>>,
    pub to: Option<S<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FairnessDef {
    pub night_from: Option<S<String>>,
    pub night_to: Option<S<String>>,
    #[serde(default)]
    pub holidays: Vec<S<When>>,
    pub holidays_ics: Option<S<String>>,
}

/// A date or date-time, written as a TOML string or a TOML date-time.
#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum When {
    Text(String),
    Toml(toml::value::Datetime),
}

impl When {
    pub fn text(&self) -> String {
        match self {
            When::Text(s) => s.trim().to_string(),
            When::Toml(d) => d.to_string(),
        }
    }
}
