//! Two `vigil serve` processes on one PostgreSQL database share 500 alerts,
//! and one is stopped halfway; the other finishes. Stopped with SIGTERM, the
//! stopping instance finishes its sends in flight, and every notification
//! is sent exactly once. Killed with SIGKILL, a send in flight at the kill
//! may go once more (same idempotency key) after its lease runs out.

use super::Fake;
use super::procs::{Serve, duplicates, post_until_accepted, received, setup};
use crate::server::{Backend, fresh_database};
use serde_json::json;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, PartialEq)]
enum Stop {
    Term,
    Kill,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_send_each_page_exactly_once_when_one_is_stopped() {
    share(Stop::Term).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_the_work_and_one_finishes_when_the_other_dies() {
    share(Stop::Kill).await;
}

async fn share(stop: Stop) {
    if !crate::helpers::chaos("share") {
        return;
    }
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let fake = Fake::start().await;
    let dir_a = std::env::temp_dir().join(format!("vigil-two-a-{}", rand::random::<u64>()));
    let dir_b = std::env::temp_dir().join(format!("vigil-two-b-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir_a).expect("dir");
    std::fs::create_dir_all(&dir_b).expect("dir");
    let (db_url, pg) = fresh_database(&backend, &dir_a).await;
    let mut a = Serve::start(&db_url, &dir_a, "instance-a", &fake);
    let b = Serve::start(&db_url, &dir_b, "instance-b", &fake);
    let http = reqwest::Client::new();
    let stages = json!([{ "timeout": "10m", "targets": [format!("webhook:{}/vendor", fake.url)] }]);
    let (key, _, _) = setup(&http, &a.base, &a.admin(), stages).await;
    let n = 500;
    let names: Vec<String> = (0..n).map(|i| format!("shared-{i:03}")).collect();
    let bases = vec![a.base.clone(), b.base.clone()];
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in names.chunks(50) {
        let (http, key, bases, chunk) = (http.clone(), key.clone(), bases.clone(), chunk.to_vec());
        tasks.spawn(async move {
            for (i, name) in chunk.iter().enumerate() {
                // Alternate between the instances.
                let order = if i % 2 == 0 {
                    bases.clone()
                } else {
                    bases.iter().rev().cloned().collect()
                };
                post_until_accepted(&http, &order, &key, name).await;
            }
        });
    }
    // Kill instance A once half the pages went out.
    let start = Instant::now();
    while fake.count() < n / 2 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "half the pages within a minute"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before_kill = duplicates(&fake).0;
    match stop {
        Stop::Term => a.terminate(),
        Stop::Kill => a.kill(),
    }
    tasks.join_all().await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let missing = loop {
        let missing: Vec<&String> = names
            .iter()
            .filter(|nm| received(&fake, "/vendor", nm) == 0)
            .collect();
        if missing.is_empty() || Instant::now() > deadline {
            break missing.len();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let (dups, worst) = duplicates(&fake);
    eprintln!(
        "two instances: {} requests for {n} pages; {before_kill} duplicates while both ran, {dups} in all",
        fake.count()
    );
    assert_eq!(missing, 0, "every page was sent");
    assert_eq!(
        before_kill, 0,
        "while both instances ran, no page went twice"
    );
    if stop == Stop::Term {
        assert_eq!(dups, 0, "every notification was sent exactly once");
    }
    assert!(
        worst <= 2 && dups <= 64,
        "after the kill only pages in flight may repeat: {dups} (worst {worst})"
    );
    drop(a);
    drop(b);
    if let Some((admin, name)) = pg {
        let _ = vigil::store::postgres_database(&admin, &name, false).await;
    }
    let _ = std::fs::remove_dir_all(&dir_a);
    let _ = std::fs::remove_dir_all(&dir_b);
}
