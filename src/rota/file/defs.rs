//! The shape of a rota, as serde reads it: a rota file (TOML) is `[team]`,
//! `[[people]]`, the rota's own definition and its `[[services]]`; a
//! stored rota is the definition alone (`RotaDoc`, kept as JSON), built
//! with the team and people of the database. The same structs serve both,
//! so no format is printed and parsed back in between. Errors name the
//! field; files place them on a line through the parser's spans.
//! README.md ("The rota file format") documents every field.

use serde::{Deserialize, Serialize};

type S<T> = T;

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RotaFile {
    pub team: TeamDef,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub people: Vec<PersonDef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<LayerDef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<OverrideDef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub swaps: Vec<SwapDef>,
    #[serde(default, skip_serializing_if = "ChecksDef::is_default")]
    pub checks: ChecksDef,
    #[serde(default, skip_serializing_if = "FairnessDef::is_default")]
    pub fairness: FairnessDef,
    #[serde(default, skip_serializing_if = "HandoffsDef::is_default")]
    pub handoffs: HandoffsDef,
    /// Alerting services of the team; `vigil schedules apply` reads them
    /// (the rota engine does not).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<toml::Value>,
}

impl RotaFile {
    /// The team, its people, the rota's definition and its services.
    pub fn split(self) -> (TeamDef, Vec<PersonDef>, RotaDoc, Vec<toml::Value>) {
        let doc = RotaDoc {
            dst: (self.team.dst != DstDef::default()).then_some(self.team.dst),
            layers: self.layers,
            overrides: self.overrides,
            swaps: self.swaps,
            checks: self.checks,
            fairness: self.fairness,
            handoffs: self.handoffs,
        };
        (self.team, self.people, doc, self.services)
    }

    /// A file again from its parts (`vigil schedules export`).
    pub fn join(mut team: TeamDef, people: Vec<PersonDef>, doc: RotaDoc) -> RotaFile {
        team.dst = doc.dst.unwrap_or(team.dst);
        RotaFile {
            team,
            people,
            layers: doc.layers,
            overrides: doc.overrides,
            swaps: doc.swaps,
            checks: doc.checks,
            fairness: doc.fairness,
            handoffs: doc.handoffs,
            services: Vec::new(),
        }
    }
}

/// A rota's own definition: what the database stores (as JSON) and the API
/// reads and writes as `document`. The team and its people come from their
/// own tables.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RotaDoc {
    /// The team's DST policy, for this rota.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dst: Option<DstDef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<LayerDef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<OverrideDef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub swaps: Vec<SwapDef>,
    #[serde(default, skip_serializing_if = "ChecksDef::is_default")]
    pub checks: ChecksDef,
    #[serde(default, skip_serializing_if = "FairnessDef::is_default")]
    pub fairness: FairnessDef,
    #[serde(default, skip_serializing_if = "HandoffsDef::is_default")]
    pub handoffs: HandoffsDef,
}

/// What Vigil sends at the rota's shift changes (`[handoffs]`); every
/// field is optional, the defaults are in `crate::rota::HandoffSettings`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct HandoffsDef {
    /// Reminders and handoff messages to the people on the rota.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notices: Option<bool>,
    /// Reminder lead times, e.g. ["24h", "1h"]; a person's own
    /// `handoff` rule takes their place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remind_before: Option<Vec<S<String>>>,
    /// How long an incoming person has to acknowledge before the lead is
    /// told, e.g. "30m"; "off" tells nobody.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack_within: Option<S<String>>,
    /// A Slack channel (id or #name) told "NAME is now on call" at each handoff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack_channel: Option<S<String>>,
    /// A Slack user group (id, S…) kept to the people on call on the rota.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack_usergroup: Option<S<String>>,
}

impl HandoffsDef {
    pub fn is_default(&self) -> bool {
        *self == HandoffsDef::default()
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TeamDef {
    pub name: String,
    pub timezone: S<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead: Option<S<String>>,
    #[serde(default)]
    pub dst: DstDef,
}

#[derive(Debug, Deserialize, Serialize, Default, Clone, Copy, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub enum DstDef {
    #[default]
    WallClock,
    FixedLength,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PersonDef {
    pub id: S<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<S<String>>,
    /// Notification rules; `vigil schedules apply` reads them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<toml::Value>,
    /// Contact details (E.164 phone, email, Slack user id); `vigil
    /// schedules apply` writes the ones given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<S<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<S<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<S<String>>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LayerDef {
    pub name: S<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    pub rotations: S<Vec<RotationDef>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restrictions: Vec<RestrictionDef>,
    /// Whether gaps in this layer are violations (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage_required: Option<bool>,
}

#[derive(Debug, Deserialize, Serialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum CadenceDef {
    Weekly,
    Daily,
    DayNight,
    EveryHours,
    EveryDays,
    FollowTheSun,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RotationDef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub cadence: S<CadenceDef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_from: Option<S<When>>,
    pub start: S<When>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff_time: Option<S<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff_day: Option<S<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff_times: Option<Vec<S<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<S<u32>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub participants: Vec<S<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<S<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupDef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dst: Option<DstDef>,
    /// The layer's hours while this version is in effect, in place of the
    /// layer's `restrictions` (`[]` = all hours): how an effective-dated
    /// edit changes the hours without touching earlier shifts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restrictions: Option<Vec<RestrictionDef>>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GroupDef {
    pub name: String,
    pub timezone: S<String>,
    pub handoff_time: S<String>,
    pub participants: Vec<S<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<S<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_per_person: Option<S<u32>>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RestrictionDef {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days: Vec<S<String>>,
    pub from: S<String>,
    pub to: S<String>,
}

#[derive(Debug, Deserialize, Serialize, Default, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum OverrideKind {
    #[default]
    Replace,
    Add,
    Remove,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideDef {
    pub layer: S<String>,
    #[serde(default)]
    pub kind: OverrideKind,
    pub start: S<When>,
    pub end: S<When>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<S<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<S<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// `"override"` (default) or `"swap"`: an override written by an
    /// accepted swap (the server stores its swaps this way).
    #[serde(default)]
    pub source: OverrideSource,
}

#[derive(Debug, Deserialize, Serialize, Default, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum OverrideSource {
    #[default]
    Override,
    Swap,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SwapDef {
    pub layer: S<String>,
    pub a: SwapSide,
    pub b: SwapSide,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SwapSide {
    pub person: S<String>,
    pub start: S<When>,
    pub end: S<When>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ChecksDef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage_gaps: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_gap_minutes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_consecutive_shifts: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consecutive_gap_hours: Option<S<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_rest_hours: Option<S<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_hours_per_7_days: Option<S<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekend_spread: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub two_layers_at_once: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hard: Option<Vec<S<String>>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub critical: Vec<CriticalDef>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CriticalDef {
    pub name: String,
    pub min_people: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<S<When>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<S<When>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days: Vec<S<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<S<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<S<String>>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FairnessDef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub night_from: Option<S<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub night_to: Option<S<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holidays: Vec<S<When>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holidays_ics: Option<S<String>>,
}

/// A date or date-time, written as a TOML string or a TOML date-time.
/// Written as a string in JSON and in TOML alike.
#[derive(Debug, Deserialize, Clone, PartialEq)]
#[serde(untagged)]
pub enum When {
    Text(String),
    Toml(toml::value::Datetime),
}

impl Serialize for When {
    fn serialize<Z: serde::Serializer>(&self, s: Z) -> Result<Z::Ok, Z::Error> {
        s.serialize_str(&self.text())
    }
}

impl When {
    pub fn text(&self) -> String {
        match self {
            When::Text(s) => s.trim().to_string(),
            When::Toml(d) => d.to_string(),
        }
    }
}

impl ChecksDef {
    pub fn is_default(&self) -> bool {
        *self == ChecksDef::default()
    }
}

impl FairnessDef {
    pub fn is_default(&self) -> bool {
        *self == FairnessDef::default()
    }
}
