//! Process metrics (a leaf): counters and histograms this instance
//! records, in a registry of its own (not a process-global one, so two
//! apps in one test process count apart), rendered as Prometheus text at
//! `/metrics` after the totals read from the database.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct IntakeLabels {
    /// api, pagerduty, alertmanager, heartbeat
    pub source: String,
    /// accepted, invalid, unavailable (answered 503 to be retried)
    pub outcome: String,
}

pub struct Metrics {
    registry: Registry,
    pub intake: Family<IntakeLabels, Counter>,
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
        Metrics { registry, intake }
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

    /// The registry as Prometheus text (without the closing `# EOF`, so
    /// the database totals can follow).
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode_registry(&mut out, &self.registry).is_err() {
            return String::new();
        }
        out
    }
}
