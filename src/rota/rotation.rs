//! Rotations: the sequence of handoffs and who holds each shift — PURE.
//!
//! A single-zone rotation is a sequence of *local* handoff times
//! `anchor + (k / m)·period + offsets[k % m]` (m handoffs per period), turned
//! into instants by the rota's DST policy:
//! - wall-clock: each local handoff is resolved on its own (see `civil`), so a
//!   12-hour night shift is 11 h or 13 h on DST nights;
//! - fixed-length: only the first handoff is resolved, later ones are that
//!   instant plus the nominal elapsed time, so the local handoff drifts.
//!
//! Follow-the-sun is a cycle of groups, each handing off at its own local time
//! in its own zone: group g takes over at the first occurrence of its local
//! handoff time after group g−1 did, and group 0 at its time on the cycle's
//! date. Every handoff is computed from its index alone, so finding the shift
//! at an instant is O(1) rather than a walk from the rota's start.

use super::civil::{self, Instant, TimeOfDay};
use crate::tz::Zone;
use chrono::{Duration, NaiveDate, NaiveDateTime};

pub type PersonIx = usize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DstPolicy {
    #[default]
    WallClock,
    FixedLength,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rotation {
    pub name: String,
    /// The edit takes effect at this instant; `None` for the first version.
    pub effective_from: Option<Instant>,
    pub cadence: Cadence,
    /// Restrictions for the time this version is in effect, in place of
    /// the layer's (an effective-dated edit of a layer's hours); `None`
    /// keeps the layer's.
    pub restrictions: Option<Vec<super::restriction::Restriction>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cadence {
    Civil(CivilCadence),
    FollowTheSun(FollowTheSun),
}

#[derive(Debug, Clone, PartialEq)]
pub struct CivilCadence {
    pub zone: Zone,
    pub policy: DstPolicy,
    /// Local time of handoff 0.
    pub anchor: NaiveDateTime,
    /// Nominal (civil) length of one cycle: 7 days, 1 day, N hours, N days.
    pub period: Duration,
    /// Offsets of the handoffs within a cycle, ascending, the first 0.
    pub offsets: Vec<Duration>,
    pub participants: Vec<PersonIx>,
    /// Index into `participants` of whoever holds shift 0.
    pub first: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FollowTheSun {
    /// Local date (in group 0's zone) of the first cycle.
    pub start: NaiveDate,
    pub groups: Vec<SunGroup>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SunGroup {
    pub name: String,
    pub zone: Zone,
    pub handoff: TimeOfDay,
    pub participants: Vec<PersonIx>,
    pub first: usize,
    /// Consecutive cycles (days) one member holds before the next takes over.
    pub days_per_person: u32,
}

/// One shift of a rotation: handoff `index` to the next handoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationShift {
    pub index: i64,
    pub person: PersonIx,
    pub start: Instant,
    pub end: Instant,
}

impl Cadence {
    /// Everyone this rotation can put on call.
    pub fn participants(&self) -> Vec<PersonIx> {
        match self {
            Cadence::Civil(c) => c.participants.clone(),
            Cadence::FollowTheSun(f) => f
                .groups
                .iter()
                .flat_map(|g| g.participants.iter().copied())
                .collect(),
        }
    }

    /// Handoff `k` (k ≥ 0), as an instant.
    pub fn handoff(&self, k: i64) -> Instant {
        match self {
            Cadence::Civil(c) => c.handoff(k),
            Cadence::FollowTheSun(f) => f.handoff(k),
        }
    }

    pub fn person(&self, k: i64) -> PersonIx {
        match self {
            Cadence::Civil(c) => c.participants[wrap(c.first as i64 + k, c.participants.len())],
            Cadence::FollowTheSun(f) => {
                let m = f.groups.len() as i64;
                let g = &f.groups[k.rem_euclid(m) as usize];
                let turn = k
                    .div_euclid(m)
                    .div_euclid(i64::from(g.days_per_person.max(1)));
                g.participants[wrap(g.first as i64 + turn, g.participants.len())]
            }
        }
    }

    /// The shortest of the first `n` shifts (DST can shorten a shift, and in
    /// follow-the-sun zones change on different dates).
    pub fn shortest_shift(&self, n: i64) -> Option<(i64, Duration)> {
        (0..n)
            .map(|k| (k, self.handoff(k + 1) - self.handoff(k)))
            .min_by_key(|(_, d)| *d)
    }

    /// A handoff index at or shortly before `t` (exactness is restored by
    /// `shift_at`): the index in nominal time, ignoring DST.
    fn estimate(&self, t: Instant) -> i64 {
        match self {
            Cadence::Civil(c) => {
                let nominal = match c.policy {
                    DstPolicy::WallClock => civil::local(&c.zone, t) - c.anchor,
                    DstPolicy::FixedLength => t - civil::resolve(&c.zone, c.anchor),
                };
                let p = c.period.num_seconds().max(1);
                let s = nominal.num_seconds();
                let cycle = s.div_euclid(p);
                let within = Duration::seconds(s.rem_euclid(p));
                let j = c.offsets.iter().filter(|o| **o <= within).count() as i64;
                cycle * c.offsets.len() as i64 + j - 1
            }
            Cadence::FollowTheSun(f) => {
                let z0 = &f.groups[0].zone;
                let days = (civil::local(z0, t).date() - f.start).num_days();
                days * f.groups.len() as i64
            }
        }
    }

    /// Who holds the rotation at `t`. For a wall-clock cadence the nominal
    /// index from `t`'s local time is exact when `t` is well clear (3 h, more
    /// than any DST shift) of the handoffs around it, or when the zone keeps
    /// one offset for a day either side; only otherwise are handoffs resolved
    /// (`shift_at`).
    pub fn person_at(&self, t: Instant) -> Option<PersonIx> {
        const EDGE: Duration = Duration::hours(3);
        if let Cadence::Civil(c) = self
            && c.policy == DstPolicy::WallClock
        {
            let nominal = (civil::local(&c.zone, t) - c.anchor).num_seconds();
            let p = c.period.num_seconds().max(1);
            let (cycle, within) = (
                nominal.div_euclid(p),
                Duration::seconds(nominal.rem_euclid(p)),
            );
            let j = c.offsets.iter().filter(|o| **o <= within).count();
            let next = c.offsets.get(j).copied().unwrap_or(c.period);
            let k = cycle * c.offsets.len() as i64 + j as i64 - 1;
            let clear = within - c.offsets[j - 1] >= EDGE && next - within >= EDGE;
            if k >= 0 && (clear || civil::steady_around(&c.zone, t)) {
                return Some(self.person(k));
            }
        }
        self.shift_at(t).map(|s| s.person)
    }

    /// The rotation shift holding `t`, if the rotation has started by then.
    pub fn shift_at(&self, t: Instant) -> Option<RotationShift> {
        let mut k = self.estimate(t).max(0);
        let mut start = self.handoff(k);
        while start > t {
            if k == 0 {
                return None;
            }
            k -= 1;
            start = self.handoff(k);
        }
        let mut end = self.handoff(k + 1);
        while end <= t {
            k += 1;
            start = end;
            end = self.handoff(k + 1);
        }
        Some(RotationShift {
            index: k,
            person: self.person(k),
            start,
            end,
        })
    }

    /// Every non-empty rotation shift overlapping `[from, to)`, unclipped.
    pub fn shifts_between(&self, from: Instant, to: Instant) -> Vec<RotationShift> {
        let mut out = Vec::new();
        let mut k = match self.shift_at(from) {
            Some(s) => s.index,
            None => 0,
        };
        let mut start = self.handoff(k);
        while start < to {
            let end = self.handoff(k + 1);
            if end > start && end > from {
                out.push(RotationShift {
                    index: k,
                    person: self.person(k),
                    start,
                    end,
                });
            }
            k += 1;
            start = end;
        }
        out
    }
}

impl CivilCadence {
    fn local_handoff(&self, k: i64) -> NaiveDateTime {
        let m = self.offsets.len() as i64;
        let cycle = k.div_euclid(m);
        let j = k.rem_euclid(m) as usize;
        self.anchor + self.period * (cycle as i32) + self.offsets[j]
    }

    fn handoff(&self, k: i64) -> Instant {
        match self.policy {
            DstPolicy::WallClock => civil::resolve(&self.zone, self.local_handoff(k)),
            DstPolicy::FixedLength => {
                civil::resolve(&self.zone, self.anchor) + (self.local_handoff(k) - self.anchor)
            }
        }
    }
}

impl FollowTheSun {
    fn handoff(&self, k: i64) -> Instant {
        let m = self.groups.len() as i64;
        let day = k.div_euclid(m);
        let g = k.rem_euclid(m) as usize;
        let date = self.start + Duration::days(day);
        let g0 = &self.groups[0];
        let mut t = civil::resolve(&g0.zone, g0.handoff.on(date));
        for group in &self.groups[1..=g] {
            t = next_local_after(&group.zone, group.handoff, t);
        }
        t
    }
}

/// The first instant after `t` whose local time in `zone` is `time`.
fn next_local_after(zone: &Zone, time: TimeOfDay, t: Instant) -> Instant {
    let mut date = civil::local(zone, t).date() - Duration::days(1);
    loop {
        let candidate = civil::resolve(zone, time.on(date));
        if candidate > t {
            return candidate;
        }
        date += Duration::days(1);
    }
}

fn wrap(i: i64, n: usize) -> usize {
    i.rem_euclid(n.max(1) as i64) as usize
}
