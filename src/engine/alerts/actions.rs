//! What can be done to an alert, and what a trigger came to (PURE).

/// The action a word names: "ack", "resolve", "escalate" (and short forms).
pub fn verb(word: &str) -> Option<Action> {
    match word.to_ascii_lowercase().as_str() {
        "ack" | "acknowledge" | "a" | "ok" => Some(Action::Ack),
        "resolve" | "r" | "res" => Some(Action::Resolve),
        "escalate" | "e" | "esc" => Some(Action::Escalate),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Ack,
    Resolve,
    Escalate,
    Note(String),
    /// Page this person now, at the alert's current stage.
    Reassign(String),
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Ack => "acknowledged",
            Action::Resolve => "resolved",
            Action::Escalate => "escalated",
            Action::Note(_) => "note",
            Action::Reassign(_) => "reassigned",
        }
    }
}

/// What happened to a trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Deduplicated,
    Suppressed,
}
