//! Whom a ladder can reach (PURE): whether every target names something
//! that exists, and the instants at which the whole ladder resolves to
//! nobody. A page that can go to nobody is an alert in itself, so ladders
//! are checked on every write and reported ahead of time (`vigil doctor`,
//! `GET /api/v1/coverage`).

use super::ladder::{Ladder, Target};
use crate::rota::interval::{self, Interval};

/// What a service's team offers its ladder: its lead and its rotas' layers,
/// each with the times someone is on call in it (filled in for coverage
/// reports; checks on write need only the names).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TeamView {
    pub slug: String,
    pub lead: Option<String>,
    pub rotas: Vec<RotaView>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RotaView {
    pub name: String,
    pub layers: Vec<LayerView>,
    /// Whether anyone takes part in the rota (the `team` target).
    pub has_people: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LayerView {
    pub name: String,
    pub role: String,
    /// When someone is on call in this layer, sorted and disjoint.
    pub on_call: Vec<Interval>,
}

impl LayerView {
    fn answers(&self, name: &str) -> bool {
        self.name == name || self.role == name
    }
}

impl TeamView {
    /// The layers an `oncall:ROTA/LAYER` target reads (`*` = every rota).
    fn layers<'a>(&'a self, rota: &'a str, layer: &'a str) -> impl Iterator<Item = &'a LayerView> {
        self.rotas
            .iter()
            .filter(move |r| rota == "*" || r.name == rota)
            .flat_map(|r| r.layers.iter())
            .filter(move |l| l.answers(layer))
    }
}

/// A team's view from its built rotas (`name`, rota); with a `window`, each
/// layer carries when someone is on call in it (overrides, swaps and
/// restrictions included).
pub fn view_of<'a>(
    slug: &str,
    lead: Option<String>,
    rotas: impl IntoIterator<Item = (&'a str, &'a crate::rota::Rota)>,
    window: Option<Interval>,
) -> TeamView {
    let rotas = rotas
        .into_iter()
        .map(|(name, r)| {
            let shifts = window
                .map(|w| crate::rota::shifts_between(r, w.start, w.end))
                .unwrap_or_default();
            RotaView {
                name: name.to_string(),
                has_people: r.layers.iter().any(|l| {
                    l.rotations
                        .iter()
                        .any(|v| !v.cadence.participants().is_empty())
                }),
                layers: r
                    .layers
                    .iter()
                    .enumerate()
                    .map(|(i, l)| LayerView {
                        name: l.name.clone(),
                        role: l.role.clone(),
                        on_call: interval::union(
                            shifts
                                .iter()
                                .filter(|s| s.layer == i)
                                .map(|s| s.interval())
                                .collect(),
                        ),
                    })
                    .collect(),
            }
        })
        .collect();
    TeamView {
        slug: slug.to_string(),
        lead,
        rotas,
    }
}

/// Why a target reaches nobody, or None when it names something real.
pub fn missing(
    target: &Target,
    team: &TeamView,
    is_person: &dyn Fn(&str) -> bool,
) -> Option<String> {
    match target {
        Target::Person(h) if !is_person(h) => Some(format!("no person {h}")),
        Target::Lead if team.lead.is_none() => Some(format!("team {} has no lead", team.slug)),
        Target::Team if !team.rotas.iter().any(|r| r.has_people) => {
            Some(format!("team {} has no rota with people in it", team.slug))
        }
        Target::OnCall { rota, layer } => {
            if rota != "*" && !team.rotas.iter().any(|r| &r.name == rota) {
                return Some(format!("team {} has no rota {rota}", team.slug));
            }
            if team.layers(rota, layer).next().is_none() {
                return Some(if rota == "*" {
                    format!(
                        "no rota of team {} has a layer or role named {layer}",
                        team.slug
                    )
                } else {
                    format!("rota {rota} has no layer or role named {layer}")
                });
            }
            None
        }
        _ => None,
    }
}

/// The first target of `ladder` that names nothing, as (field, reason).
pub fn check(
    ladder: &Ladder,
    team: &TeamView,
    is_person: &dyn Fn(&str) -> bool,
) -> Result<(), super::Invalid> {
    for (i, stage) in ladder.stages.iter().enumerate() {
        for (j, t) in stage.targets.iter().enumerate() {
            if let Some(why) = missing(t, team, is_person) {
                return Err(super::Invalid::new(
                    format!("ladder.stages[{i}].targets[{j}]"),
                    why,
                ));
            }
        }
    }
    Ok(())
}

/// When a target reaches someone within `window`.
fn reached(
    target: &Target,
    team: &TeamView,
    is_person: &dyn Fn(&str) -> bool,
    window: Interval,
) -> Vec<Interval> {
    match target {
        Target::OnCall { rota, layer } => interval::union(
            team.layers(rota, layer)
                .flat_map(|l| l.on_call.iter().filter_map(|i| i.intersect(&window)))
                .collect(),
        ),
        t if missing(t, team, is_person).is_some() => Vec::new(),
        _ => vec![window],
    }
}

/// The parts of `window` in which every stage of `ladder` resolves to
/// nobody: a page then would reach no one.
pub fn uncovered(
    ladder: &Ladder,
    team: &TeamView,
    is_person: &dyn Fn(&str) -> bool,
    window: Interval,
) -> Vec<Interval> {
    let covered = interval::union(
        ladder
            .stages
            .iter()
            .flat_map(|s| s.targets.iter())
            .flat_map(|t| reached(t, team, is_person, window))
            .collect(),
    );
    interval::subtract(&[window], &covered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::escalation::ladder::{LadderSpec, StageSpec};
    use chrono::{DateTime, Utc};

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("literal")
            .with_timezone(&Utc)
    }

    fn ladder(stages: &[&[&str]]) -> Ladder {
        LadderSpec {
            stages: stages
                .iter()
                .map(|ts| StageSpec {
                    timeout: None,
                    timeouts: Default::default(),
                    targets: ts.iter().map(|s| s.to_string()).collect(),
                })
                .collect(),
            repeat: None,
        }
        .build()
        .expect("ladder")
    }

    fn team() -> TeamView {
        TeamView {
            slug: "web".into(),
            lead: None,
            rotas: vec![RotaView {
                name: "main".into(),
                has_people: true,
                layers: vec![LayerView {
                    name: "day".into(),
                    role: "primary".into(),
                    on_call: vec![Interval::new(
                        t("2026-12-01T08:00:00Z"),
                        t("2026-12-01T18:00:00Z"),
                    )],
                }],
            }],
        }
    }

    #[test]
    fn targets_that_name_nothing_are_refused_with_the_field() {
        let nobody = |_: &str| false;
        assert_eq!(
            check(&ladder(&[&["oncall:*/primary"]]), &team(), &nobody),
            Ok(())
        );
        assert_eq!(
            check(&ladder(&[&["oncall:main/day"]]), &team(), &nobody),
            Ok(())
        );
        let err = |l: &[&[&str]]| check(&ladder(l), &team(), &nobody).expect_err("refused");
        assert_eq!(
            err(&[&["oncall:*/primary"], &["oncall:nope/primary"]]).field,
            "ladder.stages[1].targets[0]"
        );
        assert!(
            err(&[&["oncall:main/night"]])
                .message
                .contains("no layer or role named night")
        );
        assert!(err(&[&["lead"]]).message.contains("has no lead"));
        assert!(err(&[&["person:zed"]]).message.contains("no person zed"));
    }

    #[test]
    fn a_ladder_is_uncovered_where_every_stage_is_empty() {
        let window = Interval::new(t("2026-12-01T00:00:00Z"), t("2026-12-02T00:00:00Z"));
        let nobody = |_: &str| false;
        let gaps = uncovered(&ladder(&[&["oncall:*/primary"]]), &team(), &nobody, window);
        assert_eq!(
            gaps,
            vec![
                Interval::new(t("2026-12-01T00:00:00Z"), t("2026-12-01T08:00:00Z")),
                Interval::new(t("2026-12-01T18:00:00Z"), t("2026-12-02T00:00:00Z")),
            ]
        );
        // A later stage that always reaches someone covers the gaps.
        let everyone = |_: &str| true;
        let l = ladder(&[&["oncall:*/primary"], &["person:erin"]]);
        assert!(uncovered(&l, &team(), &everyone, window).is_empty());
    }
}
