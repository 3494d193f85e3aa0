//! Overrides and swaps in a rota file: parsed, checked against the rotation
//! (a swap trades shifts people hold) and against each other (no
//! contradicting overlaps), then attached to their layers.

use super::defs::*;
use super::rotations::Lookup;
use super::{Cx, values};
use crate::rota::interval::Interval;
use crate::rota::shifts::holds;
use crate::rota::{Override, OverrideAction, PersonIx, Rota, Source};
use std::ops::Range;
use toml::Spanned;

/// One override or swap half, with where it was written.
struct Placed {
    layer: usize,
    o: Override,
    span: Range<usize>,
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
    let interval =
        |cx: &mut Cx, s: &Spanned<When>, e: &Spanned<When>, f: &str| -> Option<Interval> {
            let (s, e2) = (
                values::instant(cx, s, &format!("{f}.start"), &zone),
                values::instant(cx, e, &format!("{f}.end"), &zone),
            );
            let (s, e2) = (s?, e2?);
            if e2 <= s {
                cx.err(e.span(), &format!("{f}.end"), "end must be after start");
                return None;
            }
            Some(Interval::new(s, e2))
        };
    let layer_of = |cx: &mut Cx, l: &Spanned<String>, f: &str| -> Option<usize> {
        let i = rota.layer(l.get_ref());
        if i.is_none() {
            cx.err(
                l.span(),
                &format!("{f}.layer"),
                format!("there is no layer \"{}\" in this rota", l.get_ref()),
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
                cx.err(d.layer.span(), &format!("{f}.kind"), why);
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
                span: d.start.span(),
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
                (p.zip(iv), side, n)
            })
            .collect();
        let (Some(layer), (Some((pa, ia)), sa, _), (Some((pb, ib)), sb, _)) =
            (layer, &sides[0], &sides[1])
        else {
            continue;
        };
        if pa == pb {
            cx.err(
                sb.person.span(),
                &format!("{f}.b.person"),
                "a swap needs two different people",
            );
            continue;
        }
        for (who, iv, side, n) in [(*pa, *ia, sa, "a"), (*pb, *ib, sb, "b")] {
            if !holds(rota, layer, who, iv, false) {
                cx.err(side.start.span(), &format!("{f}.{n}"), format!(
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
            span: sa.start.span(),
            field: format!("{f}.a"),
        });
        placed.push(Placed {
            layer,
            o: half(*ib, *pb, *pa),
            span: sb.start.span(),
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
/// (different) people.
fn contradictions(cx: &mut Cx, placed: &[Placed]) {
    for (i, a) in placed.iter().enumerate() {
        for b in &placed[i + 1..] {
            if a.layer != b.layer || !a.o.interval.overlaps(&b.o.interval) {
                continue;
            }
            let compatible = matches!(
                (a.o.action, b.o.action),
                (OverrideAction::Add { person: x }, OverrideAction::Add { person: y }) if x != y
            );
            if !compatible {
                let line = cx.text[..a.span.start.min(cx.text.len())]
                    .matches('\n')
                    .count()
                    + 1;
                cx.err(
                    b.span.clone(),
                    &b.field,
                    format!(
                        "overlaps {} (line {line}) in the same layer and contradicts it",
                        a.field
                    ),
                );
            }
        }
    }
}
