//! What to send now (PURE): due notifications grouped into messages and
//! throttled per person and channel.
//!
//! - Bundling: every due item for the same channel and address becomes one
//!   message ("5 new alerts: …"), highest priority first, carrying one code
//!   that acknowledges them all. Webhooks are never bundled (a vendor wants
//!   one call per alert), nor are chat message updates.
//! - Throttling: at most `count` messages per `window` per channel and
//!   address (from config); what is over the limit waits for the window to free up, and
//!   is bundled with whatever else is due then.
//! - Higher priorities are sent first.

use crate::escalation::Priority;
use crate::escalation::rules::Channel;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: String,
    pub alert: String,
    pub service: String,
    pub priority: Priority,
    pub summary: String,
    /// Where the alert came from (a host, a check), as the sender said.
    pub source: String,
    /// The alert's runbook or dashboard link, if it has one.
    pub link: Option<String>,
    /// The alert is not resolved (a rewritten chat message keeps Resolve).
    pub open: bool,
    pub channel: Channel,
    pub address: String,
    pub person: Option<String>,
    pub code: String,
    pub attempts: i32,
    pub due_ms: i64,
    pub stage: i32,
    pub round: i32,
    /// When the alert was triggered, if this is one of its first pages
    /// (for the trigger-to-first-page figure).
    pub triggered_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub channel: Channel,
    pub address: String,
    pub person: Option<String>,
    /// The code that acknowledges every item (the first item's).
    pub code: String,
    /// Highest priority first.
    pub items: Vec<Item>,
}

impl Message {
    pub fn priority(&self) -> Priority {
        self.items
            .iter()
            .map(|i| i.priority)
            .min()
            .unwrap_or(Priority::P4)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub count: usize,
    pub window_ms: i64,
}

/// Groups `items` into messages, highest priority first.
pub fn bundle(items: Vec<Item>) -> Vec<Message> {
    let mut groups: BTreeMap<(Channel, String), Vec<Item>> = BTreeMap::new();
    let mut single = Vec::new();
    for it in items {
        if matches!(it.channel, Channel::Webhook | Channel::ChatUpdate) {
            single.push(vec![it]);
        } else {
            groups
                .entry((it.channel, it.address.clone()))
                .or_default()
                .push(it);
        }
    }
    let mut out: Vec<Message> = groups
        .into_values()
        .chain(single)
        .map(|mut items| {
            items.sort_by_key(|i| (i.priority, i.due_ms));
            let first = &items[0];
            Message {
                channel: first.channel,
                address: first.address.clone(),
                person: first.person.clone(),
                code: first.code.clone(),
                items,
            }
        })
        .collect();
    out.sort_by_key(|m| (m.priority(), m.items[0].due_ms));
    out
}

/// Splits `messages` into those to send now and those to hold until the
/// returned instant, given when earlier messages went to each address.
pub fn throttle(
    messages: Vec<Message>,
    sent: &HashMap<(Channel, String), Vec<i64>>,
    limit: impl Fn(Channel) -> Option<Limit>,
    now_ms: i64,
) -> (Vec<Message>, Vec<(Message, i64)>) {
    let mut now_sent: HashMap<(Channel, String), usize> = HashMap::new();
    let (mut go, mut hold) = (Vec::new(), Vec::new());
    for m in messages {
        let Some(l) = limit(m.channel) else {
            go.push(m);
            continue;
        };
        let key = (m.channel, m.address.clone());
        let mut recent: Vec<i64> = sent
            .get(&key)
            .map(|v| {
                v.iter()
                    .copied()
                    .filter(|t| *t > now_ms - l.window_ms)
                    .collect()
            })
            .unwrap_or_default();
        recent.sort_unstable();
        let extra = now_sent.get(&key).copied().unwrap_or(0);
        if recent.len() + extra < l.count {
            *now_sent.entry(key).or_default() += 1;
            go.push(m);
        } else {
            // The window frees up when its oldest send leaves it.
            let idx = (recent.len() + extra).saturating_sub(l.count);
            let until = recent
                .get(idx)
                .map_or(now_ms + l.window_ms, |t| t + l.window_ms);
            hold.push((m, until.max(now_ms + 1)));
        }
    }
    (go, hold)
}

/// A reply code that none of `used` is: four digits while they last, six
/// after. An SMS reply names its message by code alone, so two messages to
/// one number must never share one while either can still be answered.
pub fn fresh_code(
    used: &std::collections::HashSet<String>,
    mut draw: impl FnMut() -> u32,
) -> String {
    for _ in 0..64 {
        let c = format!("{}", 1000 + draw() % 9000);
        if !used.contains(&c) {
            return c;
        }
    }
    loop {
        let c = format!("{}", 100_000 + draw() % 900_000);
        if !used.contains(&c) {
            return c;
        }
    }
}

/// The link a page carries: the first link named a runbook, else the first
/// web link (from the alert's stored `links`: `[{"href", "text"}]`).
pub fn first_link(links_json: &str) -> Option<String> {
    let links: serde_json::Value = serde_json::from_str(links_json).ok()?;
    let web: Vec<(&str, String)> = links
        .as_array()?
        .iter()
        .filter_map(|l| {
            let href = l.get("href")?.as_str()?;
            let ok = (href.starts_with("https://") || href.starts_with("http://"))
                && href.len() <= 500
                && !href.chars().any(char::is_whitespace);
            let text = l.get("text").and_then(|t| t.as_str()).unwrap_or("");
            ok.then(|| (href, text.to_lowercase()))
        })
        .collect();
    web.iter()
        .find(|(h, t)| t.contains("runbook") || h.to_lowercase().contains("runbook"))
        .or(web.first())
        .map(|(h, _)| h.to_string())
}

/// An SMS this long still goes as two segments (GSM-7, 153 characters each).
pub const SMS_MAX: usize = 306;

/// The words of a page on `m.channel`, with the alert's console page
/// (`console_url`): priority, service, summary and source; on SMS and chat
/// the console link, the runbook link (on SMS when it still fits in two
/// segments, the summary shortened first) and the reply code; spoken as
/// words on a call.
pub fn page_text(m: &Message, console_url: &str) -> String {
    let [one] = m.items.as_slice() else {
        return match m.channel {
            Channel::Sms | Channel::Chat => format!("{} {console_url}", text(m)),
            _ => text(m),
        };
    };
    let from = if one.source.trim().is_empty() {
        String::new()
    } else {
        format!(" (from {})", one.source)
    };
    let head = |summary: &str| {
        format!(
            "[Vigil {}] {}: {summary}{from}",
            one.priority.as_str(),
            one.service
        )
    };
    let link = one.link.as_deref().map(|l| format!(" Runbook: {l}"));
    match m.channel {
        Channel::Sms => {
            let tail = format!(
                " {console_url} Reply \"ack {0}\" or \"resolve {0}\".",
                m.code
            );
            let full = |summary: &str, link: &str| format!("{}{link}{tail}", head(summary));
            let with_link = full(&one.summary, link.as_deref().unwrap_or(""));
            if with_link.chars().count() <= SMS_MAX {
                return with_link;
            }
            let plain = full(&one.summary, "");
            if plain.chars().count() <= SMS_MAX {
                return plain;
            }
            // Shorten the summary (never below 40 characters) to fit.
            let over = plain.chars().count() - SMS_MAX;
            let keep = one.summary.chars().count().saturating_sub(over + 1).max(40);
            let short: String = one.summary.chars().take(keep).collect();
            full(&format!("{short}…"), "")
        }
        Channel::Chat => format!(
            "{} {console_url}{}",
            head(&one.summary),
            link.unwrap_or_default()
        ),
        Channel::Voice => format!(
            "Vigil page. Priority {}, {}: {}",
            one.priority.as_str().trim_start_matches('P'),
            one.service,
            one.summary
        ),
        _ => head(&one.summary),
    }
}

/// The text of a message (SMS, chat fallback text, console, email subject).
pub fn text(m: &Message) -> String {
    let verbs = match m.channel {
        Channel::Sms => format!(" Reply \"ack {0}\" or \"resolve {0}\".", m.code),
        _ => String::new(),
    };
    if let [one] = m.items.as_slice() {
        return format!(
            "[Vigil {}] {}: {}{verbs}",
            one.priority.as_str(),
            one.service,
            one.summary
        );
    }
    let mut counts: BTreeMap<Priority, usize> = BTreeMap::new();
    for i in &m.items {
        *counts.entry(i.priority).or_default() += 1;
    }
    let mix = counts
        .iter()
        .map(|(p, n)| format!("{n} {}", p.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let mut services: Vec<&str> = m.items.iter().map(|i| i.service.as_str()).collect();
    services.dedup();
    let list = m
        .items
        .iter()
        .take(5)
        .map(|i| i.summary.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    let more = if m.items.len() > 5 {
        format!(" (+{} more)", m.items.len() - 5)
    } else {
        String::new()
    };
    let all = match m.channel {
        Channel::Sms => format!(" Reply \"ack {0}\" to acknowledge all.", m.code),
        _ => String::new(),
    };
    format!(
        "[Vigil] {} new alerts ({mix}) for {}: {list}{more}.{all}",
        m.items.len(),
        services.join(", ")
    )
}
