//! What an SMS reply asks for (PURE): `ack`, `ack 4821`, `ack4821`,
//! `4821 a`, `A 4821.`, the same for resolve (`r`) and escalate (`e`), and
//! the carrier keywords STOP, START and HELP. Case, spacing and trailing
//! punctuation do not matter; anything else is `Unknown`. "NOTE …" is a
//! handoff note, kept as written.

/// The action a reply names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Ack,
    Resolve,
    Escalate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// An action, with the page's code when the reply names one.
    Act {
        verb: Verb,
        code: Option<String>,
    },
    /// STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT.
    Stop,
    /// START, UNSTOP, YES.
    Start,
    /// HELP, INFO.
    Help,
    /// "NOTE text" (or "note: text"): a handoff note, trimmed, at most
    /// `MAX_NOTE` characters.
    Note(String),
    Unknown,
}

/// The longest handoff note taken from an SMS (an SMS is 1,600 at most).
pub const MAX_NOTE: usize = 1600;

/// Longest reply read; the rest is ignored (an SMS is 1,600 characters at most).
const MAX_LEN: usize = 200;

pub fn verb(word: &str) -> Option<Verb> {
    match word {
        "ack" | "acknowledge" | "a" | "ok" => Some(Verb::Ack),
        "resolve" | "resolved" | "r" | "res" => Some(Verb::Resolve),
        "escalate" | "e" | "esc" => Some(Verb::Escalate),
        _ => None,
    }
}

/// Splits "ack4821" into "ack" and "4821", "4821a" into "4821" and "a".
fn tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        let mut cur = String::new();
        let mut digits = None;
        for c in word.chars() {
            let d = c.is_ascii_digit();
            if digits.is_some_and(|was| was != d) && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            digits = Some(d);
            cur.push(c);
        }
        if !cur.is_empty() {
            out.push(cur);
        }
    }
    out
}

fn is_code(t: &str) -> bool {
    (1..=8).contains(&t.len()) && t.chars().all(|c| c.is_ascii_digit())
}

pub fn parse(text: &str) -> Reply {
    let trimmed = text.trim_start();
    let head: String = trimmed.chars().take(4).collect();
    if head.eq_ignore_ascii_case("note") {
        let rest = &trimmed[head.len()..];
        if rest.is_empty() || rest.starts_with([' ', ':', '\n', '\t']) {
            let note: String = rest
                .trim_start_matches([' ', ':', '\n', '\t'])
                .chars()
                .take(MAX_NOTE)
                .collect();
            let note = note.trim();
            return if note.is_empty() {
                Reply::Help
            } else {
                Reply::Note(note.to_string())
            };
        }
    }
    let cut: String = text.chars().take(MAX_LEN).collect();
    let clean: String = cut
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let t = tokens(&clean);
    match t.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["stop" | "stopall" | "unsubscribe" | "cancel" | "end" | "quit"] => Reply::Stop,
        ["start" | "unstop" | "yes"] => Reply::Start,
        ["help" | "info"] => Reply::Help,
        [w] => match verb(w) {
            Some(verb) => Reply::Act { verb, code: None },
            None => Reply::Unknown,
        },
        [a, b] => match (verb(a), verb(b)) {
            (Some(verb), _) if is_code(b) => Reply::Act {
                verb,
                code: Some(b.to_string()),
            },
            (_, Some(verb)) if is_code(a) => Reply::Act {
                verb,
                code: Some(a.to_string()),
            },
            _ => Reply::Unknown,
        },
        _ => Reply::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn act(verb: Verb, code: Option<&str>) -> Reply {
        Reply::Act {
            verb,
            code: code.map(str::to_string),
        }
    }

    #[test]
    fn every_documented_form() {
        for (text, want) in [
            ("ack", act(Verb::Ack, None)),
            ("ACK", act(Verb::Ack, None)),
            ("ack 4821", act(Verb::Ack, Some("4821"))),
            ("ack4821", act(Verb::Ack, Some("4821"))),
            ("4821 a", act(Verb::Ack, Some("4821"))),
            ("4821a", act(Verb::Ack, Some("4821"))),
            (" A  4821. ", act(Verb::Ack, Some("4821"))),
            ("resolve", act(Verb::Resolve, None)),
            ("r 4821", act(Verb::Resolve, Some("4821"))),
            ("4821 r", act(Verb::Resolve, Some("4821"))),
            ("esc 12", act(Verb::Escalate, Some("12"))),
            ("STOP", Reply::Stop),
            ("Unsubscribe", Reply::Stop),
            ("start", Reply::Start),
            ("HELP", Reply::Help),
            ("hello there", Reply::Unknown),
            ("ack 4821 now", Reply::Unknown),
            ("4821", Reply::Unknown),
            ("ack 123456789", Reply::Unknown),
            ("", Reply::Unknown),
            (
                "Note: DB failover drill Tue",
                Reply::Note("DB failover drill Tue".into()),
            ),
            (
                "note watch disk on db-3",
                Reply::Note("watch disk on db-3".into()),
            ),
            ("NOTE", Reply::Help),
            ("notes", Reply::Unknown),
        ] {
            assert_eq!(parse(text), want, "{text:?}");
        }
    }

    #[test]
    fn long_and_strange_input_is_bounded() {
        let long = "a".repeat(100_000);
        assert_eq!(parse(&long), Reply::Unknown);
        match parse(&format!("note {long}")) {
            Reply::Note(n) => assert_eq!(n.chars().count(), MAX_NOTE),
            other => panic!("{other:?}"),
        }
        assert_eq!(parse("ack \u{202e}4821"), act(Verb::Ack, Some("4821")));
        assert_eq!(
            parse("ack ٤٨٢١"),
            Reply::Unknown,
            "only ASCII digits are codes"
        );
    }
}
