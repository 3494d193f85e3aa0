//! The report's SLA figures as a team lead reads them: attainment and
//! breach rate count only alerts whose targets are decided, so an alert
//! seconds into its acknowledge target is neither a hit nor a miss.

use super::*;
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn sla_attainment_counts_only_alerts_whose_target_is_decided() {
    let (app, _fake) = paging_app(Backend::Sqlite).await;
    let key = service(&app, "payments-api", ladder()).await;
    let primary = on_call(&app, "primary").await;
    let tok = app.token("responder", &[], Some(&primary)).await;
    let start = vigil::clock::Clock::now(app.clock.as_ref());
    // A: acknowledged after 1 minute (met; P1's target is 5 minutes), then
    // resolved after 2 (decided for the breach rate, no breach).
    let (_, a) = trigger(&app, &key, p1("A")).await;
    let a = a["id"].as_str().expect("id").to_string();
    advance(&app, 60).await;
    for action in ["ack", "resolve"] {
        let (s, v) = app
            .call(
                Method::POST,
                &format!("/api/v1/alerts/{a}/{action}"),
                Some(&tok),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        advance(&app, 60).await;
    }
    // B: nobody acknowledges it for 6 minutes (a miss, and a breach).
    let (_, _b) = trigger(&app, &key, p1("B")).await;
    advance(&app, 6 * 60).await;
    // C: 26 seconds into its target: undecided.
    let (_, _c) = trigger(&app, &key, p1("C")).await;
    advance(&app, 26).await;
    let (s, r) = app
        .get(&format!(
            "/api/v1/reports?from={}",
            (start - chrono::Duration::minutes(1)).format("%Y-%m-%dT%H:%M:%SZ")
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let p1 = &r["by_priority"]["P1"];
    assert_eq!(p1["alerts"], 3, "{r}");
    assert_eq!(p1["ack_sla_counted"], 2, "{r}");
    assert_eq!(p1["ack_sla_attainment"], 0.5, "{r}");
    assert_eq!(p1["breach_counted"], 2, "{r}");
    assert_eq!(p1["breach_rate"], 0.5, "{r}");
    assert_eq!(p1["acknowledged"], 1, "{r}");
    assert_eq!(p1["mtta_secs"], 60.0, "{r}");
    app.stop().await;
}
