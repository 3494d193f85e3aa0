//! The handoff summary: what the incoming person walks into.

use super::{ShiftRef, shifts_of};
use crate::engine::RotaCache;
use crate::engine::error::Result;
use crate::store::{HandoffRow, Reads, Store};

/// What the incoming person walks into: the team's alerts during the
/// shift that ends (by priority, how many are still open, the mean time
/// to acknowledge), the team's open alerts now, and the overrides in the
/// coming shift.
pub(super) async fn summary(store: &Store, cache: &RotaCache, n: &HandoffRow) -> Result<String> {
    use crate::store::AlertReads as _;
    let Some(l) = cache.load(store, &n.team, &n.rota).await? else {
        return Ok(String::new());
    };
    let at = |t: i64| chrono::DateTime::from_timestamp_millis(t).unwrap_or_default();
    let before = shifts_of(
        &l,
        at(n.start_ms) - chrono::Duration::days(8),
        at(n.start_ms),
    );
    // The outgoing shift: back-to-back pieces of the person ending now.
    let layer: Vec<&ShiftRef> = before.iter().filter(|s| s.layer == n.layer).collect();
    let mut from = n.start_ms;
    if let Some(last) = layer.iter().find(|s| s.end_ms == n.start_ms) {
        from = last.start_ms;
        while let Some(p) = layer
            .iter()
            .find(|s| s.end_ms == from && s.person == last.person)
        {
            from = p.start_ms;
        }
    }
    let services: std::collections::HashSet<String> = store
        .load_services()
        .await?
        .into_iter()
        .filter(|s| s.team == n.team)
        .map(|s| s.id)
        .collect();
    let during: Vec<crate::store::AlertRow> = store
        .alerts_created_between(from, n.start_ms)
        .await?
        .into_iter()
        .filter(|a| services.contains(&a.service))
        .collect();
    let mut out = String::new();
    if from < n.start_ms {
        if during.is_empty() {
            out.push_str(" Last shift: no alerts.");
        } else {
            let mut by = [0usize; 4];
            for a in &during {
                by[a.priority.index()] += 1;
            }
            let mix: Vec<String> = by
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(i, c)| format!("{c} P{}", i + 1))
                .collect();
            let acks: Vec<i64> = during
                .iter()
                .filter_map(|a| {
                    let s = crate::engine::alerts::parse_state(a).ok()?;
                    Some((s.acked_at? - s.created_at).num_seconds())
                })
                .collect();
            let mtta = if acks.is_empty() {
                String::new()
            } else {
                let mean = acks.iter().sum::<i64>() / acks.len() as i64;
                format!(", mean time to acknowledge {} min", (mean + 59) / 60)
            };
            let open = during.iter().filter(|a| a.status.is_open()).count();
            out.push_str(&format!(
                " Last shift: {} alert(s) ({}), {open} still open{mtta}.",
                during.len(),
                mix.join(", ")
            ));
        }
    }
    let open_now = store
        .open_alerts(5000)
        .await?
        .iter()
        .filter(|a| services.contains(&a.service))
        .count();
    if open_now > 0 {
        out.push_str(&format!(" Open alerts handed over: {open_now}."));
    }
    let overrides = store
        .load_overrides(&n.team, &n.rota)
        .await?
        .iter()
        .filter(|o| o.layer == n.layer && o.start < n.end_ms / 1000 && o.end > n.start_ms / 1000)
        .count();
    if overrides > 0 {
        out.push_str(&format!(" Overrides in your shift: {overrides}."));
    }
    Ok(out)
}
