//! Swap notices are written with the swap's step and sent by the
//! dispatcher: through the API as well as the console, to the people each
//! step concerns, once each, and after a restart when no dispatcher was
//! running at the time of the step.

use super::*;
use crate::both;
use reqwest::{Method, StatusCode};
use serde_json::json;

const ROTA: &str = "/api/v1/teams/payments/rotas/payments-weekly";

/// What `person` was told on Slack about swaps.
fn swap_msgs(fake: &Fake, person: &str) -> Vec<String> {
    fake.to("chat", &chat(person))
        .into_iter()
        .map(|m| m.text)
        .filter(|t| t.contains("shift on payments/payments-weekly"))
        .collect()
}

async fn story(backend: Backend) {
    // No dispatcher at first: the step is stored, nothing is sent yet.
    let (first, fake) = paging_app_with(backend, |c| c.dispatch.enabled = false).await;
    // Notices name people by name, not handle.
    for h in ["alice", "dave"] {
        let body = json!({ "name": format!("{h} (name)"), "phone": phone(h), "chat": chat(h),
            "timezone": "America/New_York" });
        let path = format!("/api/v1/people/{h}");
        let (s, v) = first
            .call(Method::PUT, &path, Some(&first.admin.clone()), Some(body))
            .await;
        assert!(s.is_success(), "{v}");
    }
    // dave holds primary in the week of 30 Nov.
    let dave = first.token("responder", &[], Some("dave")).await;
    let alice = first.token("responder", &[], Some("alice")).await;
    let offer = json!({ "layer": "primary", "start": "2026-12-02T14:00:00Z",
        "end": "2026-12-03T14:00:00Z", "note": "dentist" });
    let (s, v) = first
        .call(
            Method::POST,
            &format!("{ROTA}/swaps"),
            Some(&dave),
            Some(offer),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().expect("id").to_string();
    // (The handler sends nothing itself.)
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        swap_msgs(&fake, "alice").is_empty(),
        "no dispatcher, no send"
    );

    // A restart with a dispatcher: the offer's notices go out, once each,
    // to everyone else on the layer, with names, times in the rota's zone
    // and the note.
    let db = first.db_url.clone();
    let _old = first.stop_keeping_data().await;
    let dir = std::env::temp_dir().join(format!("vigil-it-swap-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).expect("dir");
    let notify = notify_for(&fake);
    let app = TestApp::spawn_on_with(&db, dir, |c| c.notify = notify).await;
    app.dispatch.settle().await;
    for p in ["alice", "bob", "carol", "erin"] {
        let got = swap_msgs(&fake, p);
        assert_eq!(got.len(), 1, "{p}: {got:?}");
        assert!(
            got[0].contains("dave (name) offers their shift on payments/payments-weekly (primary) from Wed 2 Dec 09:00 to Thu 3 Dec 09:00 America/New_York. Note: “dentist”. Take it"),
            "{}",
            got[0]
        );
    }
    assert!(
        swap_msgs(&fake, "dave").is_empty(),
        "the offerer is not told of their own offer"
    );

    // alice takes it (the team wants no approval): both hear the swap is on, once.
    let (s, v) = app
        .call(
            Method::POST,
            &format!("{ROTA}/swaps/{id}/accept"),
            Some(&alice),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "applied", "{v}");
    app.dispatch.settle().await;
    app.dispatch.settle().await;
    for p in ["dave", "alice"] {
        let on: Vec<String> = swap_msgs(&fake, p)
            .into_iter()
            .filter(|t| t.contains("the swap is on: alice (name) holds dave (name)'s shift"))
            .collect();
        assert_eq!(on.len(), 1, "{p}: {on:?}");
    }
    assert_eq!(
        swap_msgs(&fake, "bob").len(),
        1,
        "bob heard only of the offer"
    );
    app.stop().await;
}

both!(
    a_swaps_people_are_told_after_a_restart_sqlite,
    a_swaps_people_are_told_after_a_restart_postgres,
    story
);
