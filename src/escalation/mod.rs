//! The escalation state machine — PURE. `apply(alert, policy, event, now)`
//! returns the alert's next state and the effects the dispatcher must carry
//! out (pages, SLA warnings and breaches); `next_due` says when to call
//! `apply(Event::Tick)` next. Nothing here sends, stores or reads a clock.
//!
//! Rules:
//! - a new alert pages stage 1 at once; each stage that passes its timeout
//!   (per priority) without an acknowledgement pages the next; the whole
//!   ladder repeats `repeat` times, then paging stops;
//! - the first acknowledgement stops all paging; resolving ends the alert;
//! - escalating (by hand) pages the next stage, also of an acknowledged
//!   alert, which is then triggered again with the ladder's timers running;
//! - an acknowledged alert that misses its resolve target engages the next
//!   stage once (the acknowledger stays on it);
//! - each SLA target (acknowledge, respond, resolve) warns once at 80 % of
//!   its time and records a breach once when it passes;
//! - a `Tick` late by any amount (a restart after a crash) emits every page,
//!   warning and breach that fell due meanwhile, in order, so none is lost.

pub mod ladder;
pub mod paging;
pub mod reach;
pub mod rules;

/// A field that does not hold what it must: which one (a path such as
/// `ladder.stages[1].targets[0]`), and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

impl Invalid {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Invalid {
        Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

use crate::rota::Instant;
use chrono::Duration;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Priority {
    P1,
    P2,
    P3,
    P4,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Priority::P1, Priority::P2, Priority::P3, Priority::P4];

    pub fn index(self) -> usize {
        self as usize
    }
    pub fn from_index(i: usize) -> Option<Priority> {
        Self::ALL.get(i).copied()
    }
    /// 1 for P1 … 4 for P4: how priorities are stored.
    pub fn level(self) -> i64 {
        self.index() as i64 + 1
    }
    /// The priority stored as `level` (out-of-range levels count as P4).
    pub fn from_level(level: i64) -> Priority {
        Self::from_index((level - 1).clamp(0, 3) as usize).unwrap_or(Priority::P4)
    }
    /// "P1".."P4" (also "p1", "1").
    pub fn parse(s: &str) -> Option<Priority> {
        let t = s.trim();
        let d = t.strip_prefix(['P', 'p']).unwrap_or(t);
        match d {
            "1" => Some(Priority::P1),
            "2" => Some(Priority::P2),
            "3" => Some(Priority::P3),
            "4" => Some(Priority::P4),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        ["P1", "P2", "P3", "P4"][self.index()]
    }
}

/// Acknowledge, first-response and resolve targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    pub ack: Duration,
    pub respond: Duration,
    pub resolve: Duration,
}

impl Targets {
    /// The defaults: P1 5 min / 15 min / 4 h; P2 15 min / 30 min / 24 h;
    /// P3 1 h / 2 h / 3 days; P4 4 h / 6 h / 5 days.
    pub fn default_for(p: Priority) -> Targets {
        let (m, h, d) = (Duration::minutes, Duration::hours, Duration::days);
        match p {
            Priority::P1 => Targets {
                ack: m(5),
                respond: m(15),
                resolve: h(4),
            },
            Priority::P2 => Targets {
                ack: m(15),
                respond: m(30),
                resolve: h(24),
            },
            Priority::P3 => Targets {
                ack: h(1),
                respond: h(2),
                resolve: d(3),
            },
            Priority::P4 => Targets {
                ack: h(4),
                respond: h(6),
                resolve: d(5),
            },
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Sla {
    Ack,
    Respond,
    Resolve,
}

/// A ladder: stages in order (each with a timeout per priority, P1 first),
/// repeated `repeat` times in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub timeouts: Vec<[Duration; 4]>,
    pub repeat: u32,
    pub targets: [Targets; 4],
}

impl Policy {
    /// Timeouts have second granularity; anything shorter counts as one
    /// second, so catching up always moves forward.
    fn timeout(&self, stage: usize, p: Priority) -> Duration {
        self.timeouts[stage][p.index()].max(Duration::seconds(1))
    }
    fn stages(&self) -> usize {
        self.timeouts.len()
    }
    fn targets(&self, p: Priority) -> Targets {
        self.targets[p.index()]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum State {
    Triggered,
    Acknowledged,
    Resolved,
}

impl State {
    pub const ALL: [State; 3] = [State::Triggered, State::Acknowledged, State::Resolved];

    /// "triggered", "acknowledged" or "resolved": how it is stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Triggered => "triggered",
            State::Acknowledged => "acknowledged",
            State::Resolved => "resolved",
        }
    }
    pub fn parse(s: &str) -> Option<State> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
    /// Not yet resolved.
    pub fn is_open(self) -> bool {
        self != State::Resolved
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Alert {
    pub priority: Priority,
    pub state: State,
    pub created_at: Instant,
    /// The stage paged last, and when (None once the ladder is exhausted).
    pub stage: usize,
    pub round: u32,
    pub stage_paged_at: Option<Instant>,
    pub acked_at: Option<Instant>,
    pub resolved_at: Option<Instant>,
    /// Extra stage engaged by a missed resolve target (at most once).
    pub resolve_escalated: bool,
    pub warned: Vec<Sla>,
    pub breached: Vec<Sla>,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The same alert fired again (deduplicated): counted, nobody paged.
    Retrigger,
    Ack,
    Resolve,
    /// Page the next stage now.
    EscalateNow,
    /// The stage just paged reached nobody: go on to the next one at once
    /// (or stop at the end of the ladder).
    StageEmpty,
    /// Time passed: do whatever fell due by `now`.
    Tick,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Page the targets of `stage` (0-based) in `round`, due at `at`.
    Page {
        stage: usize,
        round: u32,
        at: Instant,
    },
    StopPaging,
    Warn {
        sla: Sla,
        at: Instant,
    },
    Breach {
        sla: Sla,
        at: Instant,
    },
}

/// A new alert at `now` and its first page.
pub fn trigger(priority: Priority, now: Instant) -> (Alert, Vec<Effect>) {
    let alert = Alert {
        priority,
        state: State::Triggered,
        created_at: now,
        stage: 0,
        round: 0,
        stage_paged_at: Some(now),
        acked_at: None,
        resolved_at: None,
        resolve_escalated: false,
        warned: Vec::new(),
        breached: Vec::new(),
        count: 1,
    };
    (
        alert,
        vec![Effect::Page {
            stage: 0,
            round: 0,
            at: now,
        }],
    )
}

/// The next state of `alert` after `event` at `now`, and what to do.
pub fn apply(alert: &Alert, policy: &Policy, event: Event, now: Instant) -> (Alert, Vec<Effect>) {
    let mut a = alert.clone();
    let mut out = Vec::new();
    // First catch up with everything that fell due before `now`.
    catch_up(&mut a, policy, now, &mut out);
    match event {
        Event::Tick => {}
        Event::Retrigger => a.count += 1,
        Event::Ack if a.state == State::Triggered => {
            a.state = State::Acknowledged;
            // The first acknowledgement is the one the SLA and MTTA count.
            a.acked_at.get_or_insert(now);
            a.stage_paged_at = None;
            out.push(Effect::StopPaging);
        }
        Event::Resolve if a.state != State::Resolved => {
            a.state = State::Resolved;
            a.resolved_at = Some(now);
            a.stage_paged_at = None;
            out.push(Effect::StopPaging);
        }
        Event::StageEmpty if a.state == State::Triggered => advance(&mut a, policy, now, &mut out),
        Event::EscalateNow if a.state != State::Resolved => {
            // Escalating an acknowledged alert hands it back: it is
            // triggered again and the ladder's timers restart from the
            // stage paged now.
            a.state = State::Triggered;
            escalate(&mut a, policy, now, &mut out);
        }
        _ => {}
    }
    (a, out)
}

/// One SLA target of an alert: when it falls due and when it was met.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlaClock {
    pub sla: Sla,
    pub due: Instant,
    /// Acknowledged (or resolved) for the acknowledge and first-response
    /// targets; resolved for the resolve target.
    pub met_at: Option<Instant>,
}

/// The alert's acknowledge, first-response and resolve clocks.
pub fn sla_clocks(a: &Alert, policy: &Policy) -> [SlaClock; 3] {
    let t = policy.targets(a.priority);
    let answered = a.acked_at.or(a.resolved_at);
    [
        (Sla::Ack, t.ack, answered),
        (Sla::Respond, t.respond, answered),
        (Sla::Resolve, t.resolve, a.resolved_at),
    ]
    .map(|(sla, limit, met_at)| SlaClock {
        sla,
        due: a.created_at + limit,
        met_at,
    })
}

/// When `apply(Tick)` should next run, if ever.
pub fn next_due(a: &Alert, policy: &Policy) -> Option<Instant> {
    due_items(a, policy).into_iter().map(|(at, _)| at).min()
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Due {
    Stage,
    Warn(Sla),
    Breach(Sla),
    ResolveEscalation,
}

/// Everything that can still fall due for `a`, with its instant.
fn due_items(a: &Alert, policy: &Policy) -> Vec<(Instant, Due)> {
    let mut v = Vec::new();
    if a.state == State::Resolved {
        return v;
    }
    let t = policy.targets(a.priority);
    for (sla, limit, met) in [
        (Sla::Ack, t.ack, a.acked_at.is_some()),
        (Sla::Respond, t.respond, a.acked_at.is_some()),
        (Sla::Resolve, t.resolve, false),
    ] {
        if met {
            continue;
        }
        let warn_at = a.created_at + limit * 4 / 5;
        if !a.warned.contains(&sla) && !a.breached.contains(&sla) {
            v.push((warn_at, Due::Warn(sla)));
        }
        if !a.breached.contains(&sla) {
            v.push((a.created_at + limit, Due::Breach(sla)));
        }
    }
    if let (State::Triggered, Some(paged)) = (a.state, a.stage_paged_at) {
        v.push((paged + policy.timeout(a.stage, a.priority), Due::Stage));
    }
    if a.state == State::Acknowledged && !a.resolve_escalated {
        v.push((a.created_at + t.resolve, Due::ResolveEscalation));
    }
    v
}

/// Applies, in time order, every item due at or before `now`.
fn catch_up(a: &mut Alert, policy: &Policy, now: Instant, out: &mut Vec<Effect>) {
    // Each round either advances a stage or marks an SLA, so this ends.
    loop {
        let mut due = due_items(a, policy);
        due.retain(|(at, _)| *at <= now);
        let Some(&(at, item)) = due
            .iter()
            .min_by_key(|(at, d)| (*at, matches!(d, Due::Stage)))
        else {
            break;
        };
        match item {
            Due::Warn(sla) => {
                a.warned.push(sla);
                out.push(Effect::Warn { sla, at });
            }
            Due::Breach(sla) => {
                a.breached.push(sla);
                out.push(Effect::Breach { sla, at });
            }
            Due::Stage => advance(a, policy, at, out),
            Due::ResolveEscalation => {
                a.resolve_escalated = true;
                let (stage, round) = next_stage(a, policy).unwrap_or((a.stage, a.round));
                out.push(Effect::Page { stage, round, at });
            }
        }
    }
}

/// The stage after the current one, across rounds, if the ladder has one.
fn next_stage(a: &Alert, policy: &Policy) -> Option<(usize, u32)> {
    if a.stage + 1 < policy.stages() {
        Some((a.stage + 1, a.round))
    } else if a.round + 1 < policy.repeat.max(1) {
        Some((0, a.round + 1))
    } else {
        None
    }
}

/// Pages the next stage now; at the end of the ladder, pages the last
/// stage again (someone asked for more help: the ladder has no one
/// further to ask).
fn escalate(a: &mut Alert, policy: &Policy, at: Instant, out: &mut Vec<Effect>) {
    match next_stage(a, policy) {
        Some(_) => advance(a, policy, at, out),
        None => {
            a.stage_paged_at = Some(at);
            out.push(Effect::Page {
                stage: a.stage,
                round: a.round,
                at,
            });
        }
    }
}

/// Pages the next stage at `at`, or stops paging when the ladder is done.
fn advance(a: &mut Alert, policy: &Policy, at: Instant, out: &mut Vec<Effect>) {
    match next_stage(a, policy) {
        Some((stage, round)) => {
            a.stage = stage;
            a.round = round;
            a.stage_paged_at = Some(at);
            out.push(Effect::Page { stage, round, at });
        }
        None => a.stage_paged_at = None,
    }
}
