//! Process metrics (a leaf): counters and histograms this instance
//! records, in a registry of its own (not a process-global one, so two
//! apps in one test process count apart), rendered as Prometheus text at
//! `/metrics` before the totals read from the database.
//!
//! - `vigil_http_requests_total{method,route,status}` and
//!   `vigil_http_request_duration_seconds{method,route}`: per route
//!   template (`/api/v1/teams/{team}/rotas/{rota}/oncall`), so the label
//!   set is bounded; anything unrouted is `route="unmatched"`.
//! - `vigil_intake_events_total{source,outcome}`.
//! - `vigil_page_latency_seconds{channel}`: from a notification falling due
//!   to its provider accepting it; `vigil_trigger_to_first_page_seconds
//!   {channel}`: from an alert's trigger to each of its first pages
//!   (stage 1, first round) being accepted.
//! - `vigil_provider_errors_total{channel,class}`: retryable, permanent,
//!   rate_limited.
//! - `process_*`: CPU seconds, resident memory, open file descriptors,
//!   threads and start time, read from `/proc` at scrape (Linux).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct IntakeLabels {
    /// api, pagerduty, alertmanager, heartbeat
    pub source: String,
    /// accepted, invalid, unavailable (answered 503 to be retried)
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteStatus {
    pub method: String,
    pub route: String,
    /// 2xx, 3xx, 4xx, 5xx
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ChannelLabels {
    pub channel: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    pub channel: String,
    /// retryable, permanent, rate_limited
    pub class: String,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// 0.5 ms to about 16 s, doubling.
fn seconds() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

pub struct Metrics {
    registry: Registry,
    pub intake: Family<IntakeLabels, Counter>,
    pub requests: Family<RouteStatus, Counter>,
    pub request_seconds: Histograms<RouteLabels>,
    pub page_latency: Histograms<ChannelLabels>,
    pub first_page: Histograms<ChannelLabels>,
    pub provider_errors: Family<ErrorLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("vigil");
        let intake = Family::<IntakeLabels, Counter>::default();
        registry.register(
            "intake_events",
            "Events from monitoring tools and the API, by source and outcome",
            intake.clone(),
        );
        let requests = Family::<RouteStatus, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template and status class",
            requests.clone(),
        );
        let request_seconds = Histograms::<RouteLabels>::new_with_constructor(seconds);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route template",
            request_seconds.clone(),
        );
        let page_latency = Histograms::<ChannelLabels>::new_with_constructor(seconds);
        registry.register(
            "page_latency_seconds",
            "From a notification falling due to its provider accepting it",
            page_latency.clone(),
        );
        let first_page = Histograms::<ChannelLabels>::new_with_constructor(seconds);
        registry.register(
            "trigger_to_first_page_seconds",
            "From an alert's trigger to each of its first pages being accepted by the provider",
            first_page.clone(),
        );
        let provider_errors = Family::<ErrorLabels, Counter>::default();
        registry.register(
            "provider_errors",
            "Sends a provider refused or did not answer, by channel and class",
            provider_errors.clone(),
        );
        Metrics {
            registry,
            intake,
            requests,
            request_seconds,
            page_latency,
            first_page,
            provider_errors,
        }
    }
}

impl Metrics {
    pub fn intake(&self, source: &str, outcome: &str) {
        self.intake
            .get_or_create(&IntakeLabels {
                source: source.into(),
                outcome: outcome.into(),
            })
            .inc();
    }

    /// One answered request.
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RouteStatus {
                method: method.into(),
                route: route.into(),
                status: format!("{}xx", status / 100),
            })
            .inc();
        self.request_seconds
            .get_or_create(&RouteLabels {
                method: method.into(),
                route: route.into(),
            })
            .observe(seconds);
    }

    /// A page the provider accepted: due → sent, and trigger → sent when
    /// it is one of the alert's first pages.
    pub fn sent(&self, channel: &str, due_to_sent: f64, trigger_to_sent: Option<f64>) {
        let l = ChannelLabels {
            channel: channel.into(),
        };
        self.page_latency
            .get_or_create(&l)
            .observe(due_to_sent.max(0.0));
        if let Some(s) = trigger_to_sent {
            self.first_page.get_or_create(&l).observe(s.max(0.0));
        }
    }

    pub fn provider_error(&self, channel: &str, class: &str) {
        self.provider_errors
            .get_or_create(&ErrorLabels {
                channel: channel.into(),
                class: class.into(),
            })
            .inc();
    }

    /// The registry and the process's figures as Prometheus text (without
    /// the closing `# EOF`, so the database totals can follow).
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode_registry(&mut out, &self.registry).is_err() {
            return String::new();
        }
        out.push_str(&process_text());
        out
    }
}

/// The process's own figures from `/proc` (Linux; elsewhere none).
/// Written by hand: the usual process collectors bring in a
/// process-global registry or a C binding, and these are six numbers.
fn process_text() -> String {
    let mut out = String::new();
    let mut put = |name: &str, kind: &str, help: &str, v: f64| {
        out.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}\n"
        ));
    };
    if let Ok(stat) = std::fs::read_to_string("/proc/self/stat") {
        // The fields after the command name (which may hold spaces, so
        // split after its closing bracket): utime, stime and starttime are
        // the 14th, 15th and 22nd, in USER_HZ ticks, which Linux reports
        // at 100 per second.
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let f: Vec<&str> = rest.split_whitespace().collect();
        let tick = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
        put(
            "process_cpu_seconds_total",
            "counter",
            "CPU time used, user and system, in seconds.",
            (tick(11) + tick(12)) / 100.0,
        );
        let boot = std::fs::read_to_string("/proc/stat").ok().and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("btime "))
                .and_then(|v| v.trim().parse::<f64>().ok())
        });
        if let Some(boot) = boot {
            put(
                "process_start_time_seconds",
                "gauge",
                "When the process started, in seconds since the Unix epoch.",
                boot + tick(19) / 100.0,
            );
        }
    }
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse::<f64>().ok())
        };
        if let Some(kb) = field("VmRSS:") {
            put(
                "process_resident_memory_bytes",
                "gauge",
                "Resident memory in bytes.",
                kb * 1024.0,
            );
        }
        if let Some(n) = field("Threads:") {
            put("process_threads", "gauge", "Threads in the process.", n);
        }
    }
    if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
        put(
            "process_open_fds",
            "gauge",
            "Open file descriptors.",
            dir.count() as f64,
        );
    }
    out
}
