//! Whom the state machine's effects page (PURE): each `Page` effect's stage
//! resolved against a snapshot of the team (its built rotas, its lead, its
//! members) at the effect's instant. A stage that reaches nobody is skipped
//! at once (the state machine moves on); a whole ladder that reaches nobody
//! asks for the fallback. The IO shell (`engine::alerts`) loads the
//! snapshot, then the contact details of the people this names, and writes
//! the pages; nothing here reads a clock or a database.

use super::ladder::{Ladder, Target};
use super::{Alert, Effect, Event, Policy, apply};
use crate::rota::{Instant, Rota, shifts};
use std::collections::BTreeSet;

/// Who a stage reaches.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Recipient {
    Person(String),
    Chat(String),
    Webhook(String),
    Email(String),
}

/// A team as its ladders resolve it at page time.
#[derive(Debug, Clone, Default)]
pub struct Snapshot<'a> {
    pub lead: Option<String>,
    /// The team's rotas the ladder names, by name, built.
    pub rotas: Vec<(&'a str, &'a Rota)>,
}

/// Which of the team's rotas `ladder` needs built (empty when it names no
/// rota; `"*"` among them when it needs them all).
pub fn rotas_needed(ladder: &Ladder) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for t in ladder.stages.iter().flat_map(|s| &s.targets) {
        match t {
            Target::OnCall { rota, .. } => {
                out.insert(rota.clone());
            }
            Target::Team => {
                out.insert("*".to_string());
            }
            _ => {}
        }
    }
    out
}

/// What paging comes to.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Stage `stage` (0-based) of `round` reached these recipients, due at `at`.
    Paged {
        stage: usize,
        round: u32,
        at: Instant,
        to: Vec<Recipient>,
    },
    /// The stage reached nobody and was skipped.
    Empty {
        stage: usize,
        round: u32,
    },
    StopPaging,
    Warn(Effect),
    Breach(Effect),
}

/// The alert after its effects, the steps taken, and whether the whole
/// ladder reached nobody (page the fallback, unless someone was paged for
/// this alert before: the caller knows).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub alert: Alert,
    pub steps: Vec<Step>,
    pub nobody: bool,
}

/// Resolves `effects` (just returned by the state machine for `alert`).
pub fn plan(
    alert: Alert,
    effects: Vec<Effect>,
    policy: &Policy,
    ladder: &Ladder,
    team: &Snapshot,
) -> Plan {
    let mut state = alert;
    let mut queue: std::collections::VecDeque<Effect> = effects.into();
    // An empty stage escalates at once; bound the chain by the ladder's length.
    let mut empty_left = ladder.stages.len() * ladder.repeat as usize + 1;
    let (mut steps, mut paged_stages, mut reached) = (Vec::new(), 0, 0);
    while let Some(e) = queue.pop_front() {
        match e {
            Effect::Page { stage, round, at } => {
                let to = ladder
                    .stages
                    .get(stage)
                    .map(|s| recipients(&s.targets, team, at))
                    .unwrap_or_default();
                paged_stages += 1;
                reached += to.len();
                if to.is_empty() {
                    steps.push(Step::Empty { stage, round });
                    if state.state == super::State::Triggered && empty_left > 0 {
                        empty_left -= 1;
                        let (s, more) = apply(&state, policy, Event::StageEmpty, at);
                        state = s;
                        queue.extend(more);
                    }
                } else {
                    steps.push(Step::Paged {
                        stage,
                        round,
                        at,
                        to,
                    });
                }
            }
            Effect::StopPaging => steps.push(Step::StopPaging),
            w @ Effect::Warn { .. } => steps.push(Step::Warn(w)),
            b @ Effect::Breach { .. } => steps.push(Step::Breach(b)),
        }
    }
    let exhausted = state.state == super::State::Triggered && state.stage_paged_at.is_none();
    Plan {
        nobody: paged_stages > 0 && reached == 0 && exhausted,
        alert: state,
        steps,
    }
}

/// Who `targets` reach at `at`.
pub fn recipients(targets: &[Target], team: &Snapshot, at: Instant) -> Vec<Recipient> {
    let mut out = BTreeSet::new();
    for t in targets {
        match t {
            Target::Person(p) => {
                out.insert(Recipient::Person(p.clone()));
            }
            Target::Lead => {
                if let Some(l) = &team.lead {
                    out.insert(Recipient::Person(l.clone()));
                }
            }
            Target::Chat(c) => {
                out.insert(Recipient::Chat(c.clone()));
            }
            Target::Webhook(u) => {
                out.insert(Recipient::Webhook(u.clone()));
            }
            Target::Email(a) => {
                out.insert(Recipient::Email(a.clone()));
            }
            Target::OnCall { rota, layer } => {
                for (_, r) in team.rotas.iter().filter(|(n, _)| rota == "*" || n == rota) {
                    for o in shifts::on_call_at(r, at) {
                        let lay = &r.layers[o.layer];
                        if lay.name == *layer || lay.role == *layer {
                            out.insert(Recipient::Person(r.people[o.person].id.clone()));
                        }
                    }
                }
            }
            Target::Team => {
                for (_, r) in &team.rotas {
                    for p in &r.people {
                        out.insert(Recipient::Person(p.id.clone()));
                    }
                }
            }
        }
    }
    out.into_iter().collect()
}
