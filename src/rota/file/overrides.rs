//! Overrides and swaps in a rota file: parsed, checked against the rotation
//! (a swap trades shifts people hold) and against each other (no
//! contradicting overlaps), then attached to their layers.

use super::defs::*;
use super::rotations::Lookup;
use super::{Cx, values};
use crate::rota::interval::Interval;
use crate::rota::shifts::holds;
use crate::rota::{Override, OverrideAction, PersonIx, Rota, Source};

/// One override or swap half, with the field it was written in.
struct Placed {
    layer: usize,
    o: Override,
    field: String,
}

pub(super) fn apply_overrides(
    cx: &mut Cx,
    rota: &mut Rota,
    defs: &[OverrideDef],
    swaps: &[SwapDef],
    lookup: &Lookup,
) {
    let zone = rota.zone.clone();
    let mut placed: Vec<Placed> = Vec::new();
    let interval = |cx: &mut Cx, s: &When, e: &When, f: &str| -> Option<Interval> {
        let (s, e2) = (
            values::instant(cx, s, &format!("{f}.start"), &zone),
            values::instant(cx, e, &format!("{f}.end"), &zone),
        );
        let (s, e2) = (s?, e2?);
        if e2 <= s {
            cx.err(&format!("{f}.end"), "end must be after start");
            return None;
        }
        Some(Interval::new(s, e2))
    };
    let layer_of = |cx: &mut Cx, l: &String, f: &str| -> Option<usize> {
        let i = rota.layer(l);
        if i.is_none() {
            cx.err(
                &format!("{f}.layer"),
                format!("there is no layer \"{}\" in this rota", l),
            );
        }
        i
    };
    for (i, d) in defs.iter().enumerate() {
        let f = format!("overrides[{i}]");
        let layer = layer_of(cx, &d.layer, &f);
        let iv = interval(cx, &d.start, &d.end, &f);
        let person = d
            .person
            .as_ref()
            .and_then(|p| lookup(cx, p, &format!("{f}.person")));
        let replaces = d
            .replaces
            .as_ref()
            .and_then(|p| lookup(cx, p, &format!("{f}.replaces")));
        let action = match (d.kind, d.person.is_some(), d.replaces.is_some()) {
            (OverrideKind::Replace, true, _) => {
                person.map(|by| OverrideAction::Replace { replaces, by })
            }
            (OverrideKind::Add, true, false) => person.map(|person| OverrideAction::Add { person }),
            (OverrideKind::Remove, false, false) => Some(OverrideAction::Remove),
            (kind, _, _) => {
                let why = match kind {
                    OverrideKind::Replace => {
                        "a replace override needs person (and optionally replaces)"
                    }
                    OverrideKind::Add => "an add override needs person and takes no replaces",
                    OverrideKind::Remove => "a remove override takes neither person nor replaces",
                };
                cx.err(&format!("{f}.kind"), why);
                None
            }
        };
        if let (Some(layer), Some(iv), Some(action)) = (layer, iv, action) {
            placed.push(Placed {
                layer,
                o: Override {
                    interval: iv,
                    action,
                    source: if d.source == OverrideSource::Swap {
                        Source::Swap
                    } else {
                        Source::Override
                    },
                },
                field: f,
            });
        }
    }
    for (i, s) in swaps.iter().enumerate() {
        let f = format!("swaps[{i}]");
        let layer = layer_of(cx, &s.layer, &f);
        let sides: Vec<_> = [(&s.a, "a"), (&s.b, "b")]
            .into_iter()
            .map(|(side, n)| {
                let p = lookup(cx, &side.person, &format!("{f}.{n}.person"));
                let iv = interval(cx, &side.start, &side.end, &format!("{f}.{n}"));
                p.zip(iv)
            })
            .collect();
        let (Some(layer), Some((pa, ia)), Some((pb, ib))) = (layer, &sides[0], &sides[1]) else {
            continue;
        };
        if pa == pb {
            cx.err(
                &format!("{f}.b.person"),
                "a swap needs two different people",
            );
            continue;
        }
        for (who, iv, n) in [(*pa, *ia, "a"), (*pb, *ib, "b")] {
            if !holds(rota, layer, who, iv, false) {
                cx.err(&format!("{f}.{n}"), format!(
                    "{} is not on call in layer {} for all of {} – {}; a swap trades shifts people hold",
                    rota.people[who].id, rota.layers[layer].name, iv.start.format("%Y-%m-%d %H:%MZ"), iv.end.format("%Y-%m-%d %H:%MZ")
                ));
            }
        }
        let half = |iv: Interval, from: PersonIx, to: PersonIx| Override {
            interval: iv,
            action: OverrideAction::Replace {
                replaces: Some(from),
                by: to,
            },
            source: Source::Swap,
        };
        placed.push(Placed {
            layer,
            o: half(*ia, *pa, *pb),
            field: format!("{f}.a"),
        });
        placed.push(Placed {
            layer,
            o: half(*ib, *pb, *pa),
            field: format!("{f}.b"),
        });
    }
    contradictions(cx, &placed);
    for (i, layer) in rota.layers.iter_mut().enumerate() {
        layer.set_overrides(
            placed
                .iter()
                .filter(|p| p.layer == i)
                .map(|p| p.o.clone())
                .collect(),
        );
    }
}

/// Overlapping overrides in one layer contradict each other unless both add
/// (different) people. Swept in order of start, so thousands of overrides
/// cost n log n, not n².
fn contradictions(cx: &mut Cx, placed: &[Placed]) {
    let mut order: Vec<usize> = (0..placed.len()).collect();
    order.sort_by_key(|&i| (placed[i].layer, placed[i].o.interval.start, i));
    // Earlier overrides of the same layer that may still overlap.
    let mut open: Vec<usize> = Vec::new();
    let mut layer = usize::MAX;
    for &bi in &order {
        let b = &placed[bi];
        if b.layer != layer {
            open.clear();
            layer = b.layer;
        }
        open.retain(|&ai| placed[ai].o.interval.end > b.o.interval.start);
        for &ai in &open {
            let a = &placed[ai];
            let compatible = matches!(
                (a.o.action, b.o.action),
                (OverrideAction::Add { person: x }, OverrideAction::Add { person: y }) if x != y
            );
            if !compatible {
                let (first, second) = if ai < bi { (a, b) } else { (b, a) };
                let line = cx
                    .line_of(&format!("{}.start", first.field))
                    .map(|l| format!(" (line {l})"))
                    .unwrap_or_default();
                cx.err_near(
                    &second.field,
                    &format!("{}.start", second.field),
                    format!(
                        "overlaps {}{line} in the same layer and contradicts it",
                        first.field
                    ),
                );
            }
        }
        open.push(bi);
    }
}
