//! Shift calendars: `shifts_between` and `on_call_at` — PURE.
//!
//! A layer's shifts are built in three steps, each a function of full shifts
//! (never of the query window, so a shift is the same whatever window asked
//! for it and calendar UIDs stay stable):
//! 1. rotation shifts of each effective-dated version, clipped to the
//!    version's time of effect;
//! 2. intersected with the layer's restriction windows;
//! 3. overrides applied in start order: replace splits a shift, remove cuts
//!    it, add lays an extra shift beside it.
//!
//! `on_call_at` answers the same question for one instant without building
//! the calendar (a handful of handoff computations and binary searches).

use super::interval::{self, Interval};
use super::{Instant, Layer, OverrideAction, PersonIx, Rota, Source};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shift {
    pub layer: usize,
    pub person: PersonIx,
    pub start: Instant,
    pub end: Instant,
    pub source: Source,
}

impl Shift {
    pub fn interval(&self) -> Interval {
        Interval::new(self.start, self.end)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OnCall {
    pub layer: usize,
    pub person: PersonIx,
    pub source: Source,
}

/// Every shift of every layer overlapping `[from, to)`, sorted by layer then
/// start (then person). Shifts are not clipped to the window.
pub fn shifts_between(rota: &Rota, from: Instant, to: Instant) -> Vec<Shift> {
    let mut out = Vec::new();
    for (i, layer) in rota.layers.iter().enumerate() {
        out.extend(layer_shifts(rota, i, layer, from, to, true));
    }
    out
}

/// `shifts_between`, with each shift cut at the window's edges (what the
/// checks and reports count).
pub fn clipped_between(rota: &Rota, from: Instant, to: Instant) -> Vec<Shift> {
    let window = Interval::new(from, to);
    shifts_between(rota, from, to)
        .into_iter()
        .filter_map(|s| {
            s.interval().intersect(&window).map(|i| Shift {
                start: i.start,
                end: i.end,
                ..s
            })
        })
        .collect()
}

/// Shifts of one layer, with or without its overrides.
pub fn layer_shifts(
    rota: &Rota,
    index: usize,
    layer: &Layer,
    from: Instant,
    to: Instant,
    with_overrides: bool,
) -> Vec<Shift> {
    if from >= to {
        return Vec::new();
    }
    let mut pieces = rotation_pieces(index, layer, from, to);
    if layer.restricted() {
        pieces = restrict(rota, layer, pieces);
    }
    if with_overrides {
        pieces = apply_overrides(index, layer, pieces, from, to);
    }
    pieces.retain(|s| s.start < to && s.end > from && s.start < s.end);
    pieces.sort_by_key(|s| (s.start, s.person, s.end));
    pieces
}

fn rotation_pieces(index: usize, layer: &Layer, from: Instant, to: Instant) -> Vec<Shift> {
    let mut out = Vec::new();
    for (v, rot) in layer.rotations.iter().enumerate() {
        let lo = rot.effective_from;
        let hi = layer.rotations.get(v + 1).and_then(|n| n.effective_from);
        let (w_from, w_to) = (
            lo.map_or(from, |l| l.max(from)),
            hi.map_or(to, |h| h.min(to)),
        );
        if w_from >= w_to {
            continue;
        }
        for rs in rot.cadence.shifts_between(w_from, w_to) {
            let start = lo.map_or(rs.start, |l| l.max(rs.start));
            let end = hi.map_or(rs.end, |h| h.min(rs.end));
            if start < end {
                out.push(Shift {
                    layer: index,
                    person: rs.person,
                    start,
                    end,
                    source: Source::Rotation,
                });
            }
        }
    }
    out
}

fn restrict(rota: &Rota, layer: &Layer, pieces: Vec<Shift>) -> Vec<Shift> {
    let (Some(lo), Some(hi)) = (
        pieces.iter().map(|s| s.start).min(),
        pieces.iter().map(|s| s.end).max(),
    ) else {
        return pieces;
    };
    let windows = layer.active_windows(&rota.zone, lo, hi);
    let mut out = Vec::with_capacity(pieces.len());
    let mut first = 0;
    for s in pieces {
        while first < windows.len() && windows[first].end <= s.start {
            first += 1;
        }
        for w in windows[first..].iter().take_while(|w| w.start < s.end) {
            if let Some(i) = w.intersect(&s.interval()) {
                out.push(Shift {
                    start: i.start,
                    end: i.end,
                    ..s
                });
            }
        }
    }
    out
}

/// Applies the layer's overrides in order. Each piece (a rotation piece, or
/// the piece an add override lays down) is touched only by the overrides that
/// overlap it and come after it, found through the layer's interval index —
/// the same result as applying every override to every piece in turn.
fn apply_overrides(
    index: usize,
    layer: &Layer,
    pieces: Vec<Shift>,
    from: Instant,
    to: Instant,
) -> Vec<Shift> {
    let lo = pieces
        .iter()
        .map(|s| s.start)
        .min()
        .map_or(from, |s| s.min(from));
    let hi = pieces.iter().map(|s| s.end).max().map_or(to, |e| e.max(to));
    let mut seeds: Vec<(Shift, usize)> = pieces.into_iter().map(|p| (p, 0)).collect();
    for (i, o) in layer.overrides_overlapping(Interval::new(lo, hi)) {
        if let OverrideAction::Add { person } = o.action {
            let s = Shift {
                layer: index,
                person,
                start: o.interval.start,
                end: o.interval.end,
                source: o.source,
            };
            seeds.push((s, i + 1));
        }
    }
    let mut out = Vec::with_capacity(seeds.len());
    for (seed, first) in seeds {
        let mut frags = vec![seed];
        for (_, o) in layer
            .overrides_overlapping(seed.interval())
            .filter(|(i, _)| *i >= first)
        {
            frags = match o.action {
                OverrideAction::Add { .. } => continue,
                OverrideAction::Remove => frags
                    .into_iter()
                    .flat_map(|s| {
                        split(s, &o.interval)
                            .into_iter()
                            .filter(|(_, inside)| !inside)
                            .map(|(s, _)| s)
                    })
                    .collect(),
                OverrideAction::Replace { replaces, by } => frags
                    .into_iter()
                    .flat_map(|s| {
                        let applies = replaces.is_none_or(|r| r == s.person);
                        split(s, &o.interval).into_iter().map(move |(p, inside)| {
                            if inside && applies {
                                Shift {
                                    person: by,
                                    source: o.source,
                                    ..p
                                }
                            } else {
                                p
                            }
                        })
                    })
                    .collect(),
            };
        }
        out.extend(frags);
    }
    out
}

/// Splits a shift at the edges of `cut`: each part with whether it is inside.
fn split(s: Shift, cut: &Interval) -> Vec<(Shift, bool)> {
    let Some(inside) = s.interval().intersect(cut) else {
        return vec![(s, false)];
    };
    let mut v = Vec::with_capacity(3);
    if s.start < inside.start {
        v.push((
            Shift {
                end: inside.start,
                ..s
            },
            false,
        ));
    }
    v.push((
        Shift {
            start: inside.start,
            end: inside.end,
            ..s
        },
        true,
    ));
    if inside.end < s.end {
        v.push((
            Shift {
                start: inside.end,
                ..s
            },
            false,
        ));
    }
    v
}

/// Who is on call at `t`, per layer in layer order (a layer with an add
/// override can have several people; one with nobody has no entry).
pub fn on_call_at(rota: &Rota, t: Instant) -> Vec<OnCall> {
    let mut out = Vec::new();
    for (i, layer) in rota.layers.iter().enumerate() {
        layer_on_call_at(rota, i, layer, t, &mut out);
    }
    out
}

fn layer_on_call_at(rota: &Rota, index: usize, layer: &Layer, t: Instant, out: &mut Vec<OnCall>) {
    let mark = out.len();
    let base = layer
        .version_at(t)
        .and_then(|(rot, _)| rot.cadence.person_at(t));
    if let Some(person) = base
        && layer.active_at(&rota.zone, t)
    {
        out.push(OnCall {
            layer: index,
            person,
            source: Source::Rotation,
        });
    }
    // The same rules as `apply_overrides`, applied to one instant.
    for o in layer.overrides_at(t) {
        match o.action {
            OverrideAction::Remove => out.truncate(mark),
            OverrideAction::Replace { replaces, by } => {
                for c in &mut out[mark..] {
                    if replaces.is_none_or(|r| r == c.person) {
                        *c = OnCall {
                            layer: index,
                            person: by,
                            source: o.source,
                        };
                    }
                }
            }
            OverrideAction::Add { person } => out.push(OnCall {
                layer: index,
                person,
                source: o.source,
            }),
        }
    }
}

/// Per role, the shifts that count once precedence is applied: a later layer
/// of a role covers an earlier one wherever it has a shift. Each shift keeps
/// the index of the layer it came from.
pub fn effective_shifts_between(
    rota: &Rota,
    from: Instant,
    to: Instant,
) -> Vec<(String, Vec<Shift>)> {
    effective(rota, &shifts_between(rota, from, to))
}

/// `effective_shifts_between` over shifts already computed.
pub fn effective(rota: &Rota, all: &[Shift]) -> Vec<(String, Vec<Shift>)> {
    let mut out = Vec::new();
    for role in rota.roles() {
        let mut covered: Vec<Interval> = Vec::new();
        let mut kept = Vec::new();
        for (i, _) in rota
            .layers
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, l)| l.role == role)
        {
            let mine: Vec<&Shift> = all.iter().filter(|s| s.layer == i).collect();
            for s in &mine {
                for part in interval::subtract(&[s.interval()], &covered) {
                    kept.push(Shift {
                        start: part.start,
                        end: part.end,
                        ..**s
                    });
                }
            }
            covered = interval::union(
                covered
                    .into_iter()
                    .chain(mine.iter().map(|s| s.interval()))
                    .collect(),
            );
        }
        kept.sort_by_key(|s| (s.start, s.person));
        out.push((role.to_string(), kept));
    }
    out
}

/// Per role, who counts as on call among `on` (the result of `on_call_at`):
/// the highest-precedence layer of the role that has anyone.
pub fn effective_on_call(rota: &Rota, on: &[OnCall]) -> Vec<(String, Vec<OnCall>)> {
    rota.roles()
        .into_iter()
        .map(|role| {
            let top = rota
                .layers
                .iter()
                .enumerate()
                .rev()
                .filter(|(_, l)| l.role == role)
                .map(|(i, _)| {
                    on.iter()
                        .filter(|o| o.layer == i)
                        .copied()
                        .collect::<Vec<_>>()
                })
                .find(|v| !v.is_empty())
                .unwrap_or_default();
            (role.to_string(), top)
        })
        .collect()
}

/// Whether `who` is on call in layer `layer` for the whole of `iv`, counting
/// the layer's overrides or not (a swap in a file trades rotation shifts; one
/// over the API trades what people hold now).
pub fn holds(rota: &Rota, layer: usize, who: PersonIx, iv: Interval, with_overrides: bool) -> bool {
    let shifts = layer_shifts(
        rota,
        layer,
        &rota.layers[layer],
        iv.start,
        iv.end,
        with_overrides,
    );
    let mine = interval::union(
        shifts
            .iter()
            .filter(|s| s.person == who)
            .map(Shift::interval)
            .collect(),
    );
    interval::subtract(&[iv], &mine).is_empty()
}

/// Who is on call at an instant, by name, per layer (with the shift each
/// person holds) and per role: what `vigil rota who` and the on-call API show.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct WhoAt {
    #[schema(value_type = String, format = DateTime)]
    pub at: Instant,
    pub layers: Vec<LayerWho>,
    pub roles: Vec<RoleWho>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct LayerWho {
    pub layer: String,
    pub role: String,
    pub on_call: Vec<PersonWho>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct PersonWho {
    pub person: String,
    pub name: String,
    pub source: &'static str,
    /// The shift the person holds at `at`.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub since: Option<Instant>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub until: Option<Instant>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct RoleWho {
    pub role: String,
    pub on_call: Vec<RoleMember>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct RoleMember {
    pub person: String,
    pub layer: String,
}

pub fn who_at(rota: &Rota, at: Instant) -> WhoAt {
    let holding = shifts_between(rota, at, at + chrono::Duration::seconds(1));
    let on = on_call_at(rota, at);
    let layers = rota
        .layers
        .iter()
        .enumerate()
        .map(|(i, l)| LayerWho {
            layer: l.name.clone(),
            role: l.role.clone(),
            on_call: on
                .iter()
                .filter(|o| o.layer == i)
                .map(|o| {
                    let s = holding
                        .iter()
                        .find(|s| s.layer == i && s.person == o.person);
                    PersonWho {
                        person: rota.people[o.person].id.clone(),
                        name: rota.people[o.person].name.clone(),
                        source: o.source.as_str(),
                        since: s.map(|s| s.start),
                        until: s.map(|s| s.end),
                    }
                })
                .collect(),
        })
        .collect();
    let roles = effective_on_call(rota, &on)
        .into_iter()
        .map(|(role, v)| RoleWho {
            role,
            on_call: v
                .iter()
                .map(|o| RoleMember {
                    person: rota.people[o.person].id.clone(),
                    layer: rota.layers[o.layer].name.clone(),
                })
                .collect(),
        })
        .collect();
    WhoAt { at, layers, roles }
}
