//! Several instances on one database, and the operator's commands.

use super::{Backend, TestApp, fresh_database};
use crate::both;
use crate::cli::vigil;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn an_edit_through_one_instance_is_served_by_another(b: Backend) {
    let a = TestApp::spawn(b).await;
    let second = std::env::temp_dir().join(format!("vigil-it-second-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&second).expect("dir");
    let bi = TestApp::spawn_on(&a.db_url, second, None).await;
    let admin = a.admin.clone();
    let at = "/api/v1/teams/payments/rotas/payments-weekly/oncall?at=2026-12-02T12:00:00Z";
    // Warm the second instance's cache first, so a stale cache would show.
    let (_, v) = bi.call(Method::GET, at, Some(&admin), None).await;
    // Week 47 of [alice, bob, carol, dave]: dave.
    assert_eq!(v["layers"][0]["on_call"][0]["person"], "dave");
    let o = json!({ "layer": "primary", "person": "carol", "start": "2026-12-02T09:00:00Z", "end": "2026-12-02T17:00:00Z" });
    let (s, v) = a
        .call(
            Method::POST,
            "/api/v1/teams/payments/rotas/payments-weekly/overrides",
            Some(&admin),
            Some(o),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // The other instance hears of the write (PostgreSQL: a notification at
    // commit; SQLite: the write-ahead log moved) before its next read, or
    // within a few milliseconds of it.
    let mut v = json!(null);
    for _ in 0..100 {
        v = bi.call(Method::GET, at, Some(&admin), None).await.1;
        if v["layers"][0]["on_call"][0]["person"] == "carol" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(v["layers"][0]["on_call"][0]["person"], "carol", "{v}");
    // And in a feed served by the second instance.
    let (_, f) = bi
        .call(
            Method::POST,
            "/api/v1/feeds",
            Some(&admin),
            Some(json!({ "person": "carol" })),
        )
        .await;
    let ics = feed_text(&bi, f["url"].as_str().expect("url")).await;
    assert!(
        ics.contains("DTSTART:20261202T090000Z"),
        "the edit is in the other instance's feed"
    );
    // A person's new name reaches the other instance's cached rotas too.
    let (s, _) = a
        .call(
            Method::PUT,
            "/api/v1/people/carol",
            Some(&admin),
            Some(json!({ "name": "Carol Renamed" })),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let mut ics = String::new();
    for _ in 0..100 {
        ics = feed_text(&bi, f["url"].as_str().expect("url")).await;
        if ics.contains("On call: Carol Renamed") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        ics.contains("On call: Carol Renamed"),
        "the rename is in the other instance's feed"
    );
    bi.stop().await;
    a.stop().await;
}
both!(
    two_instances_sqlite,
    two_instances_postgres,
    an_edit_through_one_instance_is_served_by_another
);

async fn schedules_apply_is_idempotent(b: Backend) {
    let dir = std::env::temp_dir().join(format!("vigil-it-apply-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).expect("dir");
    let (url, pg) = fresh_database(&b, &dir).await;
    let schedules = concat!(env!("CARGO_MANIFEST_DIR"), "/schedules");
    let out = vigil(&["migrate", "--database-url", &url]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let dry = vigil(&[
        "schedules",
        "apply",
        schedules,
        "--dry-run",
        "--database-url",
        &url,
    ]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        dry.stdout
            .contains("add       rota payments/payments-weekly"),
        "{}",
        dry.stdout
    );
    let first = vigil(&["schedules", "apply", schedules, "--database-url", &url]);
    assert_eq!(
        first.stdout.replace("(dry run: nothing was written)\n", ""),
        dry.stdout.replace("(dry run: nothing was written)\n", ""),
        "the dry run wrote nothing"
    );
    let second = vigil(&["schedules", "apply", schedules, "--database-url", &url]);
    assert_eq!(second.code, 0);
    assert!(
        second.stdout.lines().all(|l| l.starts_with("unchanged")),
        "{}",
        second.stdout
    );
    assert_eq!(second.stdout.lines().count(), 5);
    assert!(
        second.stdout.contains("unchanged service checkout"),
        "services in rota files are applied too: {}",
        second.stdout
    );
    // Export writes files that preview exactly like the originals.
    let exported = dir.join("export");
    let out = vigil(&[
        "schedules",
        "export",
        exported.to_str().expect("utf-8"),
        "--database-url",
        &url,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for name in ["sre-day-night", "follow-the-sun", "support-business-hours"] {
        let a = vigil(&[
            "rota",
            "preview",
            &format!("{schedules}/{name}.toml"),
            "--from",
            "2026-03-01",
            "--to",
            "2026-04-15",
            "--format",
            "json",
        ]);
        let e = vigil(&[
            "rota",
            "preview",
            exported
                .join(format!("{name}.toml"))
                .to_str()
                .expect("utf-8"),
            "--from",
            "2026-03-01",
            "--to",
            "2026-04-15",
            "--format",
            "json",
        ]);
        assert_eq!(a.stdout, e.stdout, "{name} round-trips");
    }
    // The exported files (services included) apply as no change at all.
    let again = vigil(&[
        "schedules",
        "apply",
        exported.to_str().expect("utf-8"),
        "--database-url",
        &url,
    ]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stdout.lines().all(|l| l.starts_with("unchanged")),
        "{}",
        again.stdout
    );
    assert!(again.stdout.contains("unchanged service checkout"));
    // A mistake in a service is reported with its file and field, and nothing is written.
    let bad = dir.join("bad");
    std::fs::create_dir_all(&bad).expect("dir");
    let text = std::fs::read_to_string(format!("{schedules}/payments-weekly.toml"))
        .expect("example")
        .replace("holidays_ics = \"holidays/us-2026.ics\"", "")
        .replace("targets = [\"lead\"]", "targets = [\"leader\"]");
    std::fs::write(bad.join("payments-weekly.toml"), text).expect("write");
    let refused = vigil(&[
        "schedules",
        "apply",
        bad.to_str().expect("utf-8"),
        "--database-url",
        &url,
    ]);
    assert_eq!(refused.code, 2, "{}", refused.stdout);
    assert!(
        refused
            .stderr
            .contains("service checkout: ladder.stages[2].targets[0]"),
        "{}",
        refused.stderr
    );
    // A token printed alone on standard output.
    let t = vigil(&[
        "token",
        "create",
        "--role",
        "lead",
        "--team",
        "sre",
        "--database-url",
        &url,
    ]);
    assert_eq!(t.code, 0, "{}", t.stderr);
    assert!(
        t.stdout.starts_with("vgl_") && t.stdout.trim().lines().count() == 1,
        "{}",
        t.stdout
    );
    let bad = vigil(&[
        "token",
        "create",
        "--role",
        "lead",
        "--team",
        "nosuch",
        "--database-url",
        &url,
    ]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("unknown team"), "{}", bad.stderr);
    if let Some((admin, name)) = pg {
        let _ = vigil::store::postgres_database(&admin, &name, false).await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}
both!(
    schedules_apply_sqlite,
    schedules_apply_postgres,
    schedules_apply_is_idempotent
);

/// The calendar feed at `url` as `app` serves it.
async fn feed_text(app: &TestApp, url: &str) -> String {
    app.http
        .get(url)
        .send()
        .await
        .expect("feed")
        .text()
        .await
        .unwrap_or_default()
}
