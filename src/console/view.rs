//! What the templates show: the page structs (askama, compiled in) and the
//! small formatting helpers they use. Times are shown in the viewer's zone
//! (their person's zone; with none, the browser's, by `vigil.js`).

use crate::tz::Zone;
use askama::Template;

/// The frame every page shares.
pub struct Chrome {
    pub title: String,
    /// now, alerts, me or admin: the tab shown as current.
    pub active: &'static str,
    pub csrf: String,
    pub who: String,
    /// The viewer's person handle ("" for a token's session).
    pub me: String,
    pub admin: bool,
    /// The zone times are shown in ("" = the browser's).
    pub zone: String,
    /// The server's clock when the page was made: countdowns run from it,
    /// so a phone whose clock is off still counts right.
    pub now_ms: i64,
}

/// A time for people: "Wed 2 Dec 14:05" in `zone` (UTC when None).
pub fn local(ms: i64, zone: Option<&Zone>) -> String {
    let Some(t) = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms) else {
        return String::new();
    };
    match zone {
        Some(z) => z.local_time(&t).format("%a %-d %b %H:%M").to_string(),
        None => t.format("%a %-d %b %H:%M UTC").to_string(),
    }
}

/// RFC 3339, for `<time datetime>` and scripts.
pub fn iso(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// "3 min", "2 h 5 min", "4 d 1 h".
pub fn span(ms: i64) -> String {
    let m = ms.max(0) / 60_000;
    match m {
        0 => "under a minute".into(),
        1..=59 => format!("{m} min"),
        60..=1439 if m % 60 == 0 => format!("{} h", m / 60),
        60..=1439 => format!("{} h {} min", m / 60, m % 60),
        _ if m % 1440 / 60 == 0 => format!("{} d", m / 1440),
        _ => format!("{} d {} h", m / 1440, m % 1440 / 60),
    }
}

/// A time shown to the viewer: text in their zone, and the instant for the
/// browser to reformat when they have no zone.
pub struct When {
    pub text: String,
    pub iso: String,
}

impl When {
    pub fn at(ms: i64, zone: Option<&Zone>) -> When {
        When {
            text: local(ms, zone),
            iso: iso(ms),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub status: u16,
    pub message: String,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub next: String,
    pub notice: Option<String>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "link.html")]
pub struct LinkPage {
    pub secret: String,
}

/// One layer's people now and next.
pub struct LayerNow {
    pub layer: String,
    pub role: String,
    pub now: Vec<Holder>,
    pub next: Vec<Holder>,
    /// The viewer holds this layer now and has not acknowledged the handoff.
    pub ack: bool,
}

pub struct Holder {
    pub name: String,
    pub since: Option<When>,
    pub until: Option<When>,
    /// The handoff in the rota's zone, beside the viewer's.
    pub until_rota: String,
}

pub struct RotaNow {
    pub team: String,
    pub rota: String,
    pub zone: String,
    pub layers: Vec<LayerNow>,
}

pub struct MyShift {
    pub rota: String,
    pub layer: String,
    pub start: When,
    pub end: When,
    pub rota_zone: String,
}

pub struct Uncovered {
    pub service: String,
    pub team: String,
    pub why: String,
}

pub struct OpenCount {
    pub priority: &'static str,
    pub count: usize,
    pub some: bool,
}

#[derive(Template)]
#[template(path = "now.html")]
pub struct NowPage {
    pub c: Chrome,
    pub rotas: Vec<RotaNow>,
    pub mine: Vec<MyShift>,
    /// Open alerts by priority, P1 first.
    pub open: Vec<OpenCount>,
    pub uncovered: Vec<Uncovered>,
}

/// An SLA clock: counts down to `deadline_ms` from `start_ms`.
pub struct SlaClock {
    pub label: &'static str,
    pub start_ms: i64,
    pub deadline_ms: i64,
    /// Met (acknowledged or resolved in time, or later): no countdown.
    pub met: bool,
    /// Server-side state for the first paint: ok, warn or breach.
    pub state: &'static str,
    pub left: String,
}

pub struct AlertItem {
    pub id: String,
    pub priority: String,
    pub service: String,
    pub summary: String,
    pub status: String,
    pub created: When,
    pub age: String,
    pub paging: String,
    pub clocks: Vec<SlaClock>,
    pub acked_by: Option<String>,
}

#[derive(Template)]
#[template(path = "alert_rows.html")]
pub struct AlertRows {
    pub items: Vec<AlertItem>,
    pub shown: usize,
    pub total: usize,
}

pub struct Filters {
    pub status: String,
    pub priority: String,
    pub service: String,
    pub team: String,
    pub mine: bool,
    pub query: String,
    pub services: Vec<String>,
    pub teams: Vec<String>,
}

#[derive(Template)]
#[template(path = "alerts.html")]
pub struct AlertsPage {
    pub c: Chrome,
    pub f: Filters,
    pub rows: String,
    pub flash: Option<String>,
}

pub struct TimelineItem {
    pub at: When,
    pub kind: String,
    pub actor: String,
    pub text: String,
}

pub struct NotificationItem {
    pub stage: i64,
    pub person: String,
    pub channel: String,
    pub address: String,
    pub status: String,
    pub attempts: i64,
    pub sent: Option<When>,
    pub error: String,
}

pub struct LinkItem {
    pub href: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "alert.html")]
pub struct AlertPage {
    pub c: Chrome,
    pub a: AlertItem,
    pub source: String,
    pub dedup_key: String,
    pub count: i64,
    pub fields: Vec<(String, String)>,
    pub links: Vec<LinkItem>,
    pub timeline: Vec<TimelineItem>,
    pub notifications: Vec<NotificationItem>,
    pub open: bool,
    pub flash: Option<String>,
}

pub struct ContactItem {
    pub channel: String,
    pub label: &'static str,
    pub address: Option<String>,
    pub pending: Option<String>,
}

pub struct FeedItem {
    pub id: String,
    pub what: String,
}

pub struct SessionItem {
    pub id: String,
    pub agent: String,
    pub created: When,
    pub last_seen: When,
    pub current: bool,
}

pub struct RuleItem {
    pub priority: String,
    pub rules: String,
}

#[derive(Template)]
#[template(path = "me.html")]
pub struct MePage {
    pub c: Chrome,
    pub handle: String,
    pub name: String,
    pub contacts: Vec<ContactItem>,
    pub rules: Vec<RuleItem>,
    pub feeds: Vec<FeedItem>,
    pub new_feed_url: Option<String>,
    pub sessions: Vec<SessionItem>,
    pub flash: Option<String>,
    pub error: Option<String>,
}

pub struct AuditItem {
    pub at: When,
    pub actor: String,
    pub action: String,
    pub target: String,
}

pub struct PersonItem {
    pub handle: String,
    pub name: String,
    pub contacts: String,
}

#[derive(Template)]
#[template(path = "admin.html")]
pub struct AdminPage {
    pub c: Chrome,
    pub people: Vec<PersonItem>,
    pub audit: Vec<AuditItem>,
    pub link: Option<String>,
}
