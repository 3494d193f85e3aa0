//! Ladders and their targets (PURE): the stages a service escalates through,
//! written the same way in rota files (TOML) and over the API (JSON), and
//! turned into the `Policy` the state machine runs.
//!
//! A target is a short string, so ladders stay readable as code:
//! - `oncall:ROTA/LAYER` — whoever is on call in that layer (or role) of the
//!   team's rota `ROTA` (`*` = every rota of the team);
//! - `person:HANDLE`, `lead` (the team lead), `team` (everyone in the team);
//! - `chat:CHANNEL` — a chat channel (Slack channel id or `#name`);
//! - `webhook:URL` — an outgoing HMAC-signed webhook (vendors, Mattermost,
//!   Teams); `email:ADDRESS` — an email with a signed acknowledge link.

use super::{Policy, Priority, Targets};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    OnCall { rota: String, layer: String },
    Person(String),
    Lead,
    Team,
    Chat(String),
    Webhook(String),
    Email(String),
}

impl Target {
    pub fn parse(s: &str) -> Result<Target, String> {
        let s = s.trim();
        let (kind, rest) = s.split_once(':').unwrap_or((s, ""));
        let need = |what: &str| -> Result<String, String> {
            if rest.trim().is_empty() {
                Err(format!("\"{s}\": {kind} needs {what} after the colon"))
            } else {
                Ok(rest.trim().to_string())
            }
        };
        match kind {
            "oncall" => {
                let r = need("ROTA/LAYER")?;
                let (rota, layer) = r.split_once('/').ok_or_else(|| {
                    format!("\"{s}\": write oncall:ROTA/LAYER, e.g. oncall:*/primary")
                })?;
                if rota.is_empty() || layer.is_empty() {
                    return Err(format!(
                        "\"{s}\": write oncall:ROTA/LAYER, e.g. oncall:*/primary"
                    ));
                }
                Ok(Target::OnCall {
                    rota: rota.into(),
                    layer: layer.into(),
                })
            }
            "person" => Ok(Target::Person(need("a person's handle")?)),
            "lead" if rest.is_empty() => Ok(Target::Lead),
            "team" if rest.is_empty() => Ok(Target::Team),
            "chat" | "slack" => Ok(Target::Chat(need("a channel")?)),
            "webhook" => {
                let url = need("a URL")?;
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    return Err(format!(
                        "\"{s}\": the webhook URL must start with https:// or http://"
                    ));
                }
                Ok(Target::Webhook(url))
            }
            "email" => {
                let a = need("an address")?;
                if !a.contains('@') || a.contains(' ') {
                    return Err(format!("\"{s}\": \"{a}\" is not an email address"));
                }
                Ok(Target::Email(a))
            }
            _ => Err(format!(
                "\"{s}\" is not a target: use oncall:ROTA/LAYER, person:HANDLE, lead, team, chat:CHANNEL, webhook:URL or email:ADDRESS"
            )),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::OnCall { rota, layer } => write!(f, "oncall:{rota}/{layer}"),
            Target::Person(p) => write!(f, "person:{p}"),
            Target::Lead => f.write_str("lead"),
            Target::Team => f.write_str("team"),
            Target::Chat(c) => write!(f, "chat:{c}"),
            Target::Webhook(u) => write!(f, "webhook:{u}"),
            Target::Email(a) => write!(f, "email:{a}"),
        }
    }
}

/// Whether `ip` is an address a webhook must not reach from this server
/// (unless the operator allows it): loopback, private, link-local, carrier
/// NAT, unique-local, unspecified, multicast or broadcast. Pages carry signed
/// links; a ladder must not be a way to probe the network Vigil runs in.
pub fn is_private(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v) => {
            let o = v.octets();
            v.is_loopback()
                || v.is_private()
                || v.is_link_local()
                || v.is_unspecified()
                || v.is_broadcast()
                || v.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
        }
        IpAddr::V6(v) => {
            let s = v.segments();
            v.is_loopback()
                || v.is_unspecified()
                || v.is_multicast()
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] & 0xfe00) == 0xfc00
                || v.to_ipv4_mapped()
                    .is_some_and(|m| is_private(IpAddr::V4(m)))
        }
    }
}

/// Why a webhook URL points into a private network by its text alone (an
/// IP literal or `localhost`), or None. Names are checked again when they
/// are resolved, at send time.
pub fn private_webhook(u: &str) -> Option<String> {
    let parsed = url::Url::parse(u).ok()?;
    match parsed.host()? {
        url::Host::Ipv4(ip) if is_private(ip.into()) => Some(format!("{ip} is a private address")),
        url::Host::Ipv6(ip) if is_private(ip.into()) => Some(format!("{ip} is a private address")),
        url::Host::Domain(d) if d == "localhost" || d.ends_with(".localhost") => {
            Some(format!("{d} is this machine"))
        }
        _ => None,
    }
}

/// A ladder as written (TOML or JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LadderSpec {
    pub stages: Vec<StageSpec>,
    /// How many times the whole ladder is walked (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageSpec {
    /// One timeout for every priority ("5m", "90s", "1h 30m")…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// …or one per priority: { P1 = "5m", P2 = "15m", … } (missing ones
    /// fall back to `timeout`, then to the defaults).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub timeouts: BTreeMap<String, String>,
    pub targets: Vec<String>,
}

/// Per-priority SLA targets as written: { P1 = { ack = "5m", respond = "15m", resolve = "4h" } }.
pub type TargetsSpec = BTreeMap<String, BTreeMap<String, String>>;

#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    pub timeouts: [Duration; 4],
    pub targets: Vec<Target>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ladder {
    pub stages: Vec<Stage>,
    pub repeat: u32,
}

/// The default stage timeouts per priority: P1 moves fastest.
pub const DEFAULT_TIMEOUTS: [i64; 4] = [5 * 60, 15 * 60, 30 * 60, 60 * 60];

/// Timeouts are whole seconds, at least 1 s and at most 7 days.
pub fn parse_duration(field: &str, s: &str) -> Result<Duration, super::Invalid> {
    let d = humantime::parse_duration(s.trim()).map_err(|e| {
        super::Invalid::new(
            field,
            format!("\"{s}\" is not a duration such as 30s, 5m or 1h 30m: {e}"),
        )
    })?;
    if d.subsec_nanos() != 0 || d.as_secs() == 0 || d.as_secs() > 7 * 86_400 {
        return Err(super::Invalid::new(
            field.to_string(),
            format!("\"{s}\" must be whole seconds between 1s and 7d"),
        ));
    }
    Ok(Duration::seconds(d.as_secs() as i64))
}

/// Writes a duration back in the short form ("5m", "1h30m", "45s").
pub fn format_duration(d: Duration) -> String {
    let s = d.num_seconds();
    let (h, m, sec) = (s / 3600, s % 3600 / 60, s % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if sec > 0 || out.is_empty() {
        out.push_str(&format!("{sec}s"));
    }
    out
}

fn priority_key(field: &str, k: &str) -> Result<Priority, super::Invalid> {
    Priority::parse(k)
        .ok_or_else(|| super::Invalid::new(field, format!("\"{k}\" is not a priority (P1–P4)")))
}

impl LadderSpec {
    /// Checks every stage and target; errors name the field at fault
    /// (`stages[1].targets[0]`) and say why.
    pub fn build(&self) -> Result<Ladder, super::Invalid> {
        if self.stages.is_empty() {
            return Err(super::Invalid::new(
                "stages",
                "a ladder needs at least one stage",
            ));
        }
        if self.stages.len() > 10 {
            return Err(super::Invalid::new(
                "stages",
                "a ladder has at most 10 stages",
            ));
        }
        let repeat = self.repeat.unwrap_or(1);
        if !(1..=10).contains(&repeat) {
            return Err(super::Invalid::new(
                "repeat",
                "repeat must be between 1 and 10",
            ));
        }
        let mut stages = Vec::new();
        for (i, st) in self.stages.iter().enumerate() {
            let base = format!("stages[{i}]");
            let mut timeouts = DEFAULT_TIMEOUTS.map(Duration::seconds);
            if let Some(t) = &st.timeout {
                timeouts = [parse_duration(&format!("{base}.timeout"), t)?; 4];
            }
            for (k, v) in &st.timeouts {
                let f = format!("{base}.timeouts.{k}");
                let p = priority_key(&f, k)?;
                timeouts[p.index()] = parse_duration(&f, v)?;
            }
            if st.targets.is_empty() {
                return Err(super::Invalid::new(
                    format!("{base}.targets"),
                    "a stage needs at least one target",
                ));
            }
            let targets = st
                .targets
                .iter()
                .enumerate()
                .map(|(j, t)| {
                    Target::parse(t)
                        .map_err(|m| super::Invalid::new(format!("{base}.targets[{j}]"), m))
                })
                .collect::<Result<Vec<_>, _>>()?;
            stages.push(Stage { timeouts, targets });
        }
        Ok(Ladder { stages, repeat })
    }
}

/// The usual practice: stage 1 the on-call primary, stage 2 the secondary,
/// stage 3 the team lead (and a product owner, when named), stage 4 an
/// external vendor (when one is given).
pub fn default_ladder(product_owner: Option<&str>, vendor: Option<&str>) -> LadderSpec {
    let stage = |targets: Vec<String>| StageSpec {
        timeout: None,
        timeouts: BTreeMap::new(),
        targets,
    };
    let mut stages = vec![
        stage(vec!["oncall:*/primary".into()]),
        stage(vec!["oncall:*/secondary".into()]),
        stage(
            std::iter::once("lead".to_string())
                .chain(product_owner.map(|p| format!("person:{p}")))
                .collect(),
        ),
    ];
    if let Some(v) = vendor {
        stages.push(stage(vec![v.to_string()]));
    }
    LadderSpec {
        stages,
        repeat: None,
    }
}

/// SLA targets: the defaults with any per-priority overrides applied.
pub fn build_targets(spec: &TargetsSpec) -> Result<[Targets; 4], super::Invalid> {
    let mut out = Priority::ALL.map(Targets::default_for);
    for (k, m) in spec {
        let f = format!("targets.{k}");
        let p = priority_key(&f, k)?;
        for (name, v) in m {
            let field = format!("{f}.{name}");
            let d = parse_duration(&field, v)?;
            let t = &mut out[p.index()];
            match name.as_str() {
                "ack" => t.ack = d,
                "respond" => t.respond = d,
                "resolve" => t.resolve = d,
                _ => return Err(super::Invalid::new(field, "use ack, respond or resolve")),
            }
        }
    }
    Ok(out)
}

/// The policy the state machine runs for `ladder` and `targets`.
pub fn policy(ladder: &Ladder, targets: [Targets; 4]) -> Policy {
    Policy {
        timeouts: ladder.stages.iter().map(|s| s.timeouts).collect(),
        repeat: ladder.repeat,
        targets,
    }
}
