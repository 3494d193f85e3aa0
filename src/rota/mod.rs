//! The rota engine — PURE: rotas in, shift calendars and check results out.
//!
//! A `Rota` belongs to a team with an IANA zone. It has `Layer`s in file
//! order; each layer is a sequence of effective-dated `Rotation` versions,
//! optional `Restriction` windows and `Override`s (swaps arrive here already
//! turned into a pair of overrides). Layers that share a `role` form a stack in
//! which a later layer takes precedence over an earlier one wherever it has
//! someone on call (a business-hours layer over a 24/7 layer).
//!
//! Invariants: instants are UTC; local times are only ever turned into
//! instants by `civil::resolve`; nothing here reads the clock or does IO.

pub mod checks;
pub mod civil;
pub mod fairness;
pub mod file;
pub mod holidays;
pub mod interval;
pub mod restriction;
pub mod rotation;
pub mod shifts;

pub use civil::Instant;
pub use interval::Interval;
pub use restriction::Restriction;
pub use rotation::{Cadence, CivilCadence, DstPolicy, FollowTheSun, PersonIx, Rotation, SunGroup};
pub use shifts::{OnCall, Shift, on_call_at, shifts_between};

use crate::tz::Zone;

#[derive(Debug, Clone, PartialEq)]
pub struct Rota {
    pub name: String,
    pub zone: Zone,
    pub people: Vec<Person>,
    pub lead: Option<PersonIx>,
    pub layers: Vec<Layer>,
    pub checks: checks::CheckConfig,
    pub fairness: fairness::FairnessConfig,
    pub handoffs: HandoffSettings,
}

/// What is sent at the rota's shift changes.
#[derive(Debug, Clone, PartialEq)]
pub struct HandoffSettings {
    /// Reminders and handoff messages to the people.
    pub notices: bool,
    /// Reminder lead times (a person's own rule takes their place).
    pub remind_before: Vec<chrono::Duration>,
    /// How long before the lead hears of an unacknowledged handoff (None: never).
    pub ack_within: Option<chrono::Duration>,
    pub slack_channel: Option<String>,
    pub slack_usergroup: Option<String>,
}

impl Default for HandoffSettings {
    fn default() -> Self {
        HandoffSettings {
            notices: true,
            remind_before: vec![chrono::Duration::hours(24), chrono::Duration::hours(1)],
            ack_within: Some(chrono::Duration::minutes(30)),
            slack_channel: None,
            slack_usergroup: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub id: String,
    pub name: String,
    /// The person's own zone, for night hours; the team's when absent.
    pub zone: Option<Zone>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    pub name: String,
    pub role: String,
    /// Versions in effect order; each applies until the next one's
    /// `effective_from`.
    pub rotations: Vec<Rotation>,
    pub restrictions: Vec<Restriction>,
    overrides: Vec<Override>,
    /// `override_reach[i]` = the latest end among `overrides[..=i]`, for
    /// finding the overrides holding an instant by binary search.
    override_reach: Vec<Instant>,
}

/// Where a shift comes from: the rotation, an override, or a swap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    Rotation,
    Override,
    Swap,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Rotation => "rotation",
            Source::Override => "override",
            Source::Swap => "swap",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    pub interval: Interval,
    pub action: OverrideAction,
    /// `Override`, or `Swap` for the two halves of a swap.
    pub source: Source,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverrideAction {
    /// `by` takes the shift of `replaces` (of whoever is on call when `None`).
    Replace {
        replaces: Option<PersonIx>,
        by: PersonIx,
    },
    /// `person` is on call in addition to whoever else is.
    Add { person: PersonIx },
    /// Nobody is on call in this layer.
    Remove,
}

impl Layer {
    pub fn new(name: impl Into<String>, rotations: Vec<Rotation>) -> Self {
        let name = name.into();
        Layer {
            role: name.clone(),
            name,
            rotations,
            restrictions: Vec::new(),
            overrides: Vec::new(),
            override_reach: Vec::new(),
        }
    }

    pub fn overrides(&self) -> &[Override] {
        &self.overrides
    }

    /// Replaces the layer's overrides, keeping them sorted by start (stable,
    /// so equal starts apply in the given order) and indexed.
    pub fn set_overrides(&mut self, mut overrides: Vec<Override>) {
        overrides.sort_by_key(|o| o.interval.start);
        let mut reach = Vec::with_capacity(overrides.len());
        for o in &overrides {
            let prev = reach.last().copied().unwrap_or(o.interval.end);
            reach.push(prev.max(o.interval.end));
        }
        self.overrides = overrides;
        self.override_reach = reach;
    }

    /// Overrides holding `t`, in application order.
    pub fn overrides_at(&self, t: Instant) -> impl Iterator<Item = &Override> {
        self.overrides_overlapping(Interval::new(t, t + chrono::Duration::nanoseconds(1)))
            .map(|(_, o)| o)
    }

    /// Overrides overlapping `iv`, with their application index, in order.
    pub fn overrides_overlapping(&self, iv: Interval) -> impl Iterator<Item = (usize, &Override)> {
        let n = self
            .overrides
            .partition_point(|o| o.interval.start < iv.end);
        let lo = self.override_reach[..n].partition_point(|r| *r <= iv.start);
        self.overrides[lo..n]
            .iter()
            .enumerate()
            .map(move |(i, o)| (lo + i, o))
            .filter(move |(_, o)| o.interval.overlaps(&iv))
    }

    /// The version in effect at `t`, with the instant its successor starts.
    /// Whether the layer has hours at all (restrictions of its own or of
    /// any version); an unrestricted layer is active all the time.
    pub fn restricted(&self) -> bool {
        !self.restrictions.is_empty()
            || self
                .rotations
                .iter()
                .any(|r| r.restrictions.as_ref().is_some_and(|x| !x.is_empty()))
    }

    /// The restrictions in force at `t`: those of the version in effect,
    /// else the layer's.
    fn restrictions_at(&self, t: Instant) -> &[Restriction] {
        self.version_at(t)
            .and_then(|(r, _)| r.restrictions.as_deref())
            .unwrap_or(&self.restrictions)
    }

    /// Whether the layer's hours hold `t`.
    pub fn active_at(&self, zone: &Zone, t: Instant) -> bool {
        let rs = self.restrictions_at(t);
        rs.is_empty() || restriction::active_at(zone, rs, t)
    }

    /// The layer's hours within `[from, to)`, version by version (each
    /// version's own restrictions, or the layer's), as sorted disjoint
    /// intervals; none before its first version takes effect.
    pub fn active_windows(&self, zone: &Zone, from: Instant, to: Instant) -> Vec<Interval> {
        if from >= to {
            return Vec::new();
        }
        let mut spans: Vec<(Instant, Instant, &[Restriction])> = Vec::new();
        // A layer whose first version starts later has no hours before it.
        let mut lo = match self.rotations.first().and_then(|r| r.effective_from) {
            Some(e) => from.max(e),
            None => from,
        };
        for (v, r) in self.rotations.iter().enumerate() {
            let hi = self
                .rotations
                .get(v + 1)
                .and_then(|n| n.effective_from)
                .map_or(to, |h| h.min(to));
            if hi > lo {
                spans.push((
                    lo,
                    hi,
                    r.restrictions.as_deref().unwrap_or(&self.restrictions),
                ));
                lo = hi;
            }
        }
        if lo < to && self.rotations.is_empty() {
            spans.push((lo, to, &self.restrictions));
        }
        let mut out = Vec::new();
        for (a, b, rs) in spans {
            if rs.is_empty() {
                out.push(Interval::new(a, b));
            } else {
                let span = Interval::new(a, b);
                out.extend(
                    restriction::windows_between(zone, rs, a, b)
                        .into_iter()
                        .filter_map(|w| w.intersect(&span)),
                );
            }
        }
        interval::union(out)
    }

    pub fn version_at(&self, t: Instant) -> Option<(&Rotation, Option<Instant>)> {
        let i = self
            .rotations
            .partition_point(|r| r.effective_from.is_none_or(|e| e <= t));
        let r = self.rotations.get(i.checked_sub(1)?)?;
        Some((r, self.rotations.get(i).and_then(|n| n.effective_from)))
    }
}

impl Rota {
    pub fn person(&self, id: &str) -> Option<PersonIx> {
        self.people.iter().position(|p| p.id == id)
    }

    pub fn layer(&self, name: &str) -> Option<usize> {
        self.layers.iter().position(|l| l.name == name)
    }

    /// Role names in order of first appearance.
    pub fn roles(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for l in &self.layers {
            if !out.contains(&l.role.as_str()) {
                out.push(&l.role);
            }
        }
        out
    }
}
