//! The ladder editor's form (PURE): stage by stage, targets picked from
//! the team's layers, roles, lead, people and known chat/email/webhook
//! targets (others typed), a default timeout and one per priority, and
//! the number of walks; or the same as text, one stage per line
//! ("targets | timeout"). Both read into a `LadderSpec`; what does not
//! read is named by the ladder's own checks when it is built.

use crate::escalation::ladder::{LadderSpec, StageSpec};

/// The most stages a ladder may have.
pub const MAX_STAGES: usize = 20;
/// The most targets a stage may have.
const MAX_TARGETS: usize = 50;
pub const PRIORITIES: [&str; 4] = ["P1", "P2", "P3", "P4"];

/// One stage as the form shows it.
#[derive(Clone, Default)]
pub struct StageEdit {
    /// Its index in the form (the last one is the blank "add a stage").
    pub i: usize,
    /// Targets picked from the choices.
    pub chosen: Vec<String>,
    /// Targets typed (comma-separated), those not among the choices.
    pub other: String,
    pub timeout: String,
    /// (priority, timeout) for P1–P4; empty = the stage's timeout.
    pub per: Vec<(&'static str, String)>,
}

impl StageEdit {
    pub fn picks(&self, target: &str) -> bool {
        self.chosen.iter().any(|c| c == target)
    }
}

/// The choices in groups for the picker: on call, the team, people, and
/// chat, email and webhook targets.
pub fn grouped(choices: &[(String, String)]) -> Vec<(&'static str, Vec<(String, String)>)> {
    let group = |t: &str| {
        if t.starts_with("oncall:") {
            "On call"
        } else if t == "lead" || t == "team" {
            "The team"
        } else if t.starts_with("person:") {
            "People"
        } else {
            "Chat, email and webhooks"
        }
    };
    let mut out: Vec<(&'static str, Vec<(String, String)>)> = Vec::new();
    for (t, label) in choices {
        let g = group(t);
        match out.iter_mut().find(|(n, _)| *n == g) {
            Some((_, v)) => v.push((t.clone(), label.clone())),
            None => out.push((g, vec![(t.clone(), label.clone())])),
        }
    }
    out
}

/// The stages of `l` for the form (each target a choice when it is one),
/// then a blank stage to add.
pub fn edits_of(l: &LadderSpec, choices: &[(String, String)]) -> Vec<StageEdit> {
    let mut out: Vec<StageEdit> = l
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let (chosen, other): (Vec<String>, Vec<String>) = s
                .targets
                .iter()
                .cloned()
                .partition(|t| choices.iter().any(|(c, _)| c == t));
            StageEdit {
                i,
                chosen,
                other: other.join(", "),
                timeout: s.timeout.clone().unwrap_or_default(),
                per: PRIORITIES
                    .iter()
                    .map(|p| (*p, s.timeouts.get(*p).cloned().unwrap_or_default()))
                    .collect(),
            }
        })
        .collect();
    out.push(StageEdit {
        i: out.len(),
        per: PRIORITIES.iter().map(|p| (*p, String::new())).collect(),
        ..StageEdit::default()
    });
    out
}

/// The ladder the stage form posts (`t{i}` picked targets, `o{i}` typed
/// ones, `d{i}` the timeout, `p{i}_P1`… per priority, `x{i}` to remove,
/// `repeat`); stages with no target are left out. A structural mistake
/// is named; targets and timeouts are checked when the ladder is built.
pub fn from_fields(fields: &[(String, String)]) -> Result<LadderSpec, String> {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    };
    let mut stages = Vec::new();
    for i in 0..=MAX_STAGES {
        if !get(&format!("x{i}")).is_empty() {
            continue;
        }
        let mut targets: Vec<String> = fields
            .iter()
            .filter(|(n, _)| *n == format!("t{i}"))
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        targets.extend(
            get(&format!("o{i}"))
                .split(',')
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty()),
        );
        targets.dedup();
        if targets.is_empty() {
            continue;
        }
        if targets.len() > MAX_TARGETS {
            return Err(format!("stage {}: at most {MAX_TARGETS} targets", i + 1));
        }
        let timeout = get(&format!("d{i}"));
        stages.push(StageSpec {
            timeout: (!timeout.is_empty()).then(|| timeout.to_string()),
            timeouts: PRIORITIES
                .iter()
                .filter_map(|p| {
                    let v = get(&format!("p{i}_{p}"));
                    (!v.is_empty()).then(|| (p.to_string(), v.to_string()))
                })
                .collect(),
            targets,
        });
    }
    if stages.len() > MAX_STAGES {
        return Err(format!("stages: at most {MAX_STAGES}"));
    }
    if stages.is_empty() {
        return Err("stages: pick at least one target for a stage".into());
    }
    let repeat = match get("repeat") {
        "" => None,
        r => Some(
            r.parse::<u32>()
                .ok()
                .filter(|n| (1..=10).contains(n))
                .ok_or_else(|| format!("repeat: \"{r}\" is not a whole number from 1 to 10"))?,
        ),
    };
    Ok(LadderSpec { stages, repeat })
}

/// The stages as text, one per line: "targets, … | timeout".
pub fn lines_of(l: &LadderSpec) -> String {
    l.stages
        .iter()
        .map(|s| {
            format!(
                "{} | {}",
                s.targets.join(", "),
                s.timeout.clone().unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Text stages ("targets, … | timeout" per line) onto `current` (whose
/// per-priority timeouts stay with the stage at the same place).
pub fn from_text(text: &str, current: &LadderSpec) -> Result<LadderSpec, String> {
    let mut stages = Vec::new();
    for (i, line) in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        if i >= MAX_STAGES {
            return Err(format!("stages: at most {MAX_STAGES}"));
        }
        let (targets, timeout) = line.split_once('|').unwrap_or((line, ""));
        let targets: Vec<String> = targets
            .split(',')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect();
        if targets.is_empty() {
            return Err(format!("stages[{i}]: name at least one target"));
        }
        if targets.len() > MAX_TARGETS {
            return Err(format!("stages[{i}]: at most {MAX_TARGETS} targets"));
        }
        let timeout = timeout.trim();
        stages.push(StageSpec {
            timeout: (!timeout.is_empty()).then(|| timeout.to_string()),
            timeouts: current
                .stages
                .get(i)
                .map(|s| s.timeouts.clone())
                .unwrap_or_default(),
            targets,
        });
    }
    if stages.is_empty() {
        return Err("stages: at least one".into());
    }
    Ok(LadderSpec {
        stages,
        repeat: current.repeat,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_stage_form_reads_into_a_ladder_and_back() {
        let l = from_fields(&f(&[
            ("t0", "oncall:*/primary"),
            ("t0", "person:erin"),
            ("o0", "chat:#ops, email:x@example.com"),
            ("d0", "5m"),
            ("p0_P1", "2m"),
            ("t1", "lead"),
            ("x1", "on"),
            ("t2", "team"),
            ("repeat", "2"),
        ]))
        .expect("reads");
        assert_eq!(l.repeat, Some(2));
        assert_eq!(l.stages.len(), 2, "stage 2 removed");
        assert_eq!(
            l.stages[0].targets,
            [
                "oncall:*/primary",
                "person:erin",
                "chat:#ops",
                "email:x@example.com"
            ]
        );
        assert_eq!(
            l.stages[0].timeouts.get("P1").map(String::as_str),
            Some("2m")
        );
        assert_eq!(l.stages[1].targets, ["team"]);
        let choices = vec![
            ("oncall:*/primary".to_string(), String::new()),
            ("team".to_string(), String::new()),
        ];
        let e = edits_of(&l, &choices);
        assert_eq!(e.len(), 3, "and a blank stage");
        assert_eq!(e[0].chosen, ["oncall:*/primary"]);
        assert_eq!(e[0].other, "person:erin, chat:#ops, email:x@example.com");
        assert_eq!(e[0].per[0], ("P1", "2m".to_string()));
        assert!(from_fields(&f(&[("x0", "on"), ("t0", "lead")])).is_err());
        assert!(from_fields(&f(&[("t0", "lead"), ("repeat", "0")])).is_err());
    }
}
