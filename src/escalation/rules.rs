//! Per-person notification rules (PURE): for each priority, which channel
//! after how long, e.g. P1 = ["chat", "sms", "voice@2m", "voice@5m"]. People
//! who set none get the defaults below. A rule for a channel the person has
//! no address for is skipped; if nothing is left, the console channel
//! carries the page so it is never silently dropped.

use super::Priority;
use super::ladder::parse_duration;
use chrono::Duration;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    Sms,
    Voice,
    Chat,
    Email,
    Webhook,
    Console,
}

impl Channel {
    pub fn parse(s: &str) -> Option<Channel> {
        Some(match s {
            "sms" => Channel::Sms,
            "voice" => Channel::Voice,
            "chat" | "slack" => Channel::Chat,
            "email" => Channel::Email,
            "webhook" => Channel::Webhook,
            "console" => Channel::Console,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Voice => "voice",
            Channel::Chat => "chat",
            Channel::Email => "email",
            Channel::Webhook => "webhook",
            Channel::Console => "console",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub channel: Channel,
    pub after: Duration,
}

/// Rules as written: priority → ["channel" or "channel@delay"].
pub type RulesSpec = BTreeMap<String, Vec<String>>;

/// Where a person can be reached.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Contact {
    pub phone: Option<String>,
    pub email: Option<String>,
    pub chat: Option<String>,
}

impl Contact {
    pub fn address(&self, c: Channel) -> Option<&str> {
        match c {
            Channel::Sms | Channel::Voice => self.phone.as_deref(),
            Channel::Chat => self.chat.as_deref(),
            Channel::Email => self.email.as_deref(),
            Channel::Webhook | Channel::Console => None,
        }
    }
}

fn parse_rule(field: &str, s: &str) -> Result<Rule, (String, String)> {
    let (name, after) = s.split_once('@').unwrap_or((s, "0s"));
    let channel = Channel::parse(name.trim())
        .filter(|c| !matches!(c, Channel::Webhook | Channel::Console))
        .ok_or_else(|| {
            (
                field.to_string(),
                format!("\"{name}\" is not a channel: use sms, voice, chat or email"),
            )
        })?;
    let after = if after.trim() == "0s" || after.trim() == "0" {
        Duration::zero()
    } else {
        parse_duration(field, after)?
    };
    Ok(Rule { channel, after })
}

/// Checks rules as written; errors name the field (`rules.P1[2]`).
pub fn validate(spec: &RulesSpec) -> Result<(), (String, String)> {
    for (k, list) in spec {
        if Priority::parse(k).is_none() {
            return Err((
                format!("rules.{k}"),
                format!("\"{k}\" is not a priority (P1–P4)"),
            ));
        }
        if list.len() > 10 {
            return Err((format!("rules.{k}"), "at most 10 rules per priority".into()));
        }
        for (i, r) in list.iter().enumerate() {
            parse_rule(&format!("rules.{k}[{i}]"), r)?;
        }
    }
    Ok(())
}

/// The default rules.
pub fn default_rules(p: Priority) -> Vec<Rule> {
    let r = |channel, mins| Rule {
        channel,
        after: Duration::minutes(mins),
    };
    use Channel::*;
    match p {
        Priority::P1 => vec![r(Chat, 0), r(Sms, 0), r(Voice, 2), r(Voice, 5)],
        Priority::P2 => vec![r(Chat, 0), r(Sms, 0), r(Voice, 5)],
        Priority::P3 => vec![r(Chat, 0), r(Sms, 0)],
        Priority::P4 => vec![r(Chat, 0), r(Email, 0)],
    }
}

/// The rules for `p`: the person's own, or the defaults. Invalid stored
/// entries are skipped (they were validated on write).
pub fn rules_for(spec: Option<&RulesSpec>, p: Priority) -> Vec<Rule> {
    let own = spec.and_then(|s| s.iter().find(|(k, _)| Priority::parse(k) == Some(p)));
    match own {
        Some((_, list)) => list.iter().filter_map(|r| parse_rule("", r).ok()).collect(),
        None => default_rules(p),
    }
}

/// What to send to one person for one page: (channel, address, delay), in
/// rule order. Channels without an address are skipped; with nothing left,
/// one console page at once.
pub fn plan(rules: &[Rule], contact: &Contact) -> Vec<(Channel, String, Duration)> {
    let mut out: Vec<_> = rules
        .iter()
        .filter_map(|r| {
            contact
                .address(r.channel)
                .map(|a| (r.channel, a.to_string(), r.after))
        })
        .collect();
    if out.is_empty() {
        out.push((Channel::Console, String::new(), Duration::zero()));
    }
    out
}

/// The channel to fall back to when `failed` fails for good: the next
/// reachable channel in the person's rules (then SMS, chat, email, console).
pub fn fallback(rules: &[Rule], contact: &Contact, failed: Channel) -> Option<(Channel, String)> {
    let order: Vec<Channel> = rules
        .iter()
        .map(|r| r.channel)
        .chain([Channel::Sms, Channel::Chat, Channel::Email])
        .collect();
    let start = order.iter().position(|c| *c == failed).map_or(0, |i| i + 1);
    order[start..]
        .iter()
        .chain(order[..start].iter())
        .filter(|c| **c != failed)
        .find_map(|c| contact.address(*c).map(|a| (*c, a.to_string())))
        .or_else(|| (failed != Channel::Console).then(|| (Channel::Console, String::new())))
}
