//! Durability: `vigil serve` is killed with SIGKILL at random moments while
//! 200 alerts escalate through two stages, and started again each time. At
//! the end every page that fell due was sent; a page in flight at a kill may
//! be sent once more (same idempotency key), never more.

use super::Fake;
use super::procs::{Serve, duplicates, post_until_accepted, received, setup};
use crate::server::{Backend, fresh_database};
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_page_is_lost_when_the_server_is_killed_at_random_moments() {
    if !crate::helpers::chaos("no_page_is_lost_when_the_server_is_killed_at_random_moments") {
        return;
    }
    let fake = Fake::start().await;
    let dir = std::env::temp_dir().join(format!("vigil-crash-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).expect("dir");
    let (db_url, _) = fresh_database(&Backend::Sqlite, &dir).await;
    let mut srv = Serve::start(&db_url, &dir, "crash-test", &fake);
    let http = reqwest::Client::new();
    // Vendor webhooks carry one alert each, so every page is visible.
    let stages = json!([
        { "timeout": "2s", "targets": [format!("webhook:{}/stage-1", fake.url)] },
        { "timeout": "2s", "targets": [format!("webhook:{}/stage-2", fake.url)] },
    ]);
    let (key, _, _) = setup(&http, &srv.base, &srv.admin(), stages).await;
    let n = 200;
    let names: Vec<String> = (0..n).map(|i| format!("crash-{i:03}")).collect();

    // Post in the background while this task kills and restarts the server.
    let poster = {
        let (http, key, names, base) = (http.clone(), key.clone(), names.clone(), srv.base.clone());
        tokio::spawn(async move {
            for name in &names {
                post_until_accepted(&http, std::slice::from_ref(&base), &key, name).await;
                tokio::time::sleep(Duration::from_millis(15)).await;
            }
        })
    };
    let mut kills = 0;
    let until = Instant::now() + Duration::from_secs(12);
    while Instant::now() < until || !poster.is_finished() {
        let wait = 200 + rand::random::<u64>() % 900;
        tokio::time::sleep(Duration::from_millis(wait)).await;
        srv.kill();
        kills += 1;
        srv.restart();
    }
    poster.await.expect("poster");

    // Everything due is sent: stage 1, then stage 2 after its timeout.
    let deadline = Instant::now() + Duration::from_secs(60);
    let missing = loop {
        let missing: Vec<String> = names
            .iter()
            .filter(|n| received(&fake, "/stage-1", n) == 0 || received(&fake, "/stage-2", n) == 0)
            .cloned()
            .collect();
        if missing.is_empty() || Instant::now() > deadline {
            break missing;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let (dups, worst) = duplicates(&fake);
    eprintln!(
        "crash test: {kills} kills, {} provider requests for {} pages {dups} duplicate sends",
        fake.count(),
        2 * n
    );
    assert!(
        missing.is_empty(),
        "{} alerts lost a page after {kills} kills: {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    assert!(worst <= 2, "a page was sent {worst} times");
    assert!(dups <= kills * 64, "{dups} duplicates after {kills} kills");
    srv.kill();
    let _ = std::fs::remove_dir_all(&dir);
}
