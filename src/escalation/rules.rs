//! Per-person notification rules (PURE): for each priority, which channel
//! after how long, e.g. P1 = ["chat", "sms", "voice@2m", "voice@5m"]; a
//! rule ending in "/waking" (P4 = ["chat/waking"]) waits for the person's
//! waking hours (07:00–22:00 in their zone). People who set none get the
//! defaults below. A rule for a channel the person has
//! no address for is skipped; if nothing is left, the console channel
//! carries the page so it is never silently dropped.

use super::Priority;
use super::ladder::parse_duration;
use crate::rota::{Instant, civil};
use crate::tz::Zone;
use chrono::{Duration, Timelike};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    Sms,
    Voice,
    Chat,
    Email,
    Webhook,
    Console,
    /// Rewrites a chat message already sent (the alert changed); its
    /// address is the provider's message id.
    ChatUpdate,
    /// Sets the members of a chat user group (the address) to the user ids
    /// in the text, comma-separated.
    ChatGroup,
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
            "chat_update" => Channel::ChatUpdate,
            "chat_group" => Channel::ChatGroup,
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
            Channel::ChatUpdate => "chat_update",
            Channel::ChatGroup => "chat_group",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub channel: Channel,
    pub after: Duration,
    /// Only inside the person's waking hours (else at their next start).
    pub waking_only: bool,
}

/// Waking hours, local time: [from, to).
pub const WAKING_HOURS: (u32, u32) = (7, 22);

/// `t`, or the next start of waking hours in `zone` if `t` is outside them.
pub fn next_waking(t: Instant, zone: &Zone) -> Instant {
    let local = civil::local(zone, t);
    let (from, to) = WAKING_HOURS;
    let hour = local.hour();
    if (from..to).contains(&hour) {
        return t;
    }
    let day = if hour >= to {
        local.date() + Duration::days(1)
    } else {
        local.date()
    };
    civil::resolve(
        zone,
        day.and_time(chrono::NaiveTime::MIN) + Duration::hours(from as i64),
    )
}

/// Rules as written: priority → ["channel" or "channel@delay"].
pub type RulesSpec = BTreeMap<String, Vec<String>>;

/// Where a person can be reached.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Contact {
    pub phone: Option<String>,
    pub email: Option<String>,
    pub chat: Option<String>,
    /// Their zone, for waking hours.
    pub zone: Option<Zone>,
}

impl Contact {
    pub fn address(&self, c: Channel) -> Option<&str> {
        match c {
            Channel::Sms | Channel::Voice => self.phone.as_deref(),
            Channel::Chat => self.chat.as_deref(),
            Channel::Email => self.email.as_deref(),
            Channel::Webhook | Channel::Console | Channel::ChatUpdate | Channel::ChatGroup => None,
        }
    }
}

fn parse_rule(field: &str, s: &str) -> Result<Rule, super::Invalid> {
    let (s, waking_only) = match s.trim().strip_suffix("/waking") {
        Some(rest) => (rest, true),
        None => (s, false),
    };
    let (name, after) = s.split_once('@').unwrap_or((s, "0s"));
    let channel = Channel::parse(name.trim())
        .filter(|c| {
            !matches!(
                c,
                Channel::Webhook | Channel::Console | Channel::ChatUpdate | Channel::ChatGroup
            )
        })
        .ok_or_else(|| {
            super::Invalid::new(
                field,
                format!("\"{name}\" is not a channel: use sms, voice, chat or email"),
            )
        })?;
    let after = if after.trim() == "0s" || after.trim() == "0" {
        Duration::zero()
    } else {
        parse_duration(field, after)?
    };
    Ok(Rule {
        channel,
        after,
        waking_only,
    })
}

/// The key of a person's own handoff reminder lead times in their rules
/// (`"handoff": ["12h", "15m"]`; an empty list: no reminders).
pub const HANDOFF: &str = "handoff";

/// At most this many handoff reminders.
pub const MAX_REMINDERS: usize = 4;

/// A person's own handoff reminder lead times, if they set them.
pub fn handoff_leads(spec: &RulesSpec) -> Option<Vec<Duration>> {
    let list = spec.get(HANDOFF)?;
    Some(
        list.iter()
            .filter_map(|r| parse_duration(HANDOFF, r).ok())
            .take(MAX_REMINDERS)
            .collect(),
    )
}

/// Checks rules as written; errors name the field (`rules.P1[2]`).
pub fn validate(spec: &RulesSpec) -> Result<(), super::Invalid> {
    for (k, list) in spec {
        if k == HANDOFF {
            if list.len() > MAX_REMINDERS {
                return Err(super::Invalid::new(
                    format!("rules.{k}"),
                    format!("at most {MAX_REMINDERS} handoff reminders"),
                ));
            }
            for (i, r) in list.iter().enumerate() {
                parse_duration(&format!("rules.{k}[{i}]"), r)?;
            }
            continue;
        }
        if Priority::parse(k).is_none() {
            return Err(super::Invalid::new(
                format!("rules.{k}"),
                format!("\"{k}\" is not a priority (P1–P4) or \"{HANDOFF}\""),
            ));
        }
        if list.len() > 10 {
            return Err(super::Invalid::new(
                format!("rules.{k}"),
                "at most 10 rules per priority",
            ));
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
        waking_only: false,
    };
    let waking = |channel| Rule {
        waking_only: true,
        ..r(channel, 0)
    };
    use Channel::*;
    match p {
        Priority::P1 => vec![r(Chat, 0), r(Sms, 0), r(Voice, 2), r(Voice, 5)],
        Priority::P2 => vec![r(Chat, 0), r(Sms, 0), r(Voice, 5)],
        Priority::P3 => vec![r(Chat, 0), r(Sms, 0)],
        // A P4 never wakes anyone.
        Priority::P4 => vec![waking(Chat), waking(Email)],
    }
}

/// The rules for `p`: the person's own, or the defaults. Invalid stored
/// entries are skipped (they were validated on write).
pub fn rules_for(spec: Option<&RulesSpec>, p: Priority) -> Vec<Rule> {
    let own = spec.and_then(|s| s.iter().find(|(k, _)| Priority::parse(k) == Some(p)));
    match own {
        Some((_, list)) => {
            let rules: Vec<Rule> = list.iter().filter_map(|r| parse_rule("", r).ok()).collect();
            // Rules are validated when saved; if none of them reads now, the
            // defaults page rather than nothing.
            if rules.is_empty() && !list.is_empty() {
                default_rules(p)
            } else {
                rules
            }
        }
        None => default_rules(p),
    }
}

/// What to send to one person for a page at `at`: (channel, address, due),
/// in rule order. Channels without an address are skipped; with nothing
/// left, one console page at once. Waking-hours rules use the person's zone
/// (UTC when they have none).
pub fn plan(rules: &[Rule], contact: &Contact, at: Instant) -> Vec<(Channel, String, Instant)> {
    let zone = contact.zone.clone().unwrap_or_else(Zone::utc);
    let mut out: Vec<_> = rules
        .iter()
        .filter_map(|r| {
            let due = if r.waking_only {
                next_waking(at + r.after, &zone)
            } else {
                at + r.after
            };
            contact
                .address(r.channel)
                .map(|a| (r.channel, a.to_string(), due))
        })
        .collect();
    if out.is_empty() {
        out.push((Channel::Console, String::new(), at));
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

/// An E.164 phone number: a plus, a non-zero digit, at most 15 digits.
pub fn check_phone(ph: &str) -> Result<(), String> {
    let digits = ph.strip_prefix('+').unwrap_or("");
    let ok = (2..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "\"{ph}\" is not an E.164 number such as +14155550123"
        ))
    }
}

/// An email address, as far as a form can tell.
pub fn check_email(e: &str) -> Result<(), String> {
    let ok = e.chars().count() <= 254
        && e.split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !e.contains(' '));
    if ok {
        Ok(())
    } else {
        Err(format!("\"{e}\" is not an email address"))
    }
}
