//! `vigil serve` as real processes (SystemClock), for the crash test and
//! the two-instance test: killed with SIGKILL and started again.

use super::{Fake, PEOPLE, TWILIO_TOKEN, phone};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Serve {
    child: Option<Child>,
    pub port: u16,
    pub base: String,
    db_url: String,
    dir: std::path::PathBuf,
    instance: String,
    fake_url: String,
    /// Set after the defaults (so they may override them).
    env: Vec<(String, String)>,
}

impl Serve {
    pub fn start(db_url: &str, dir: &std::path::Path, instance: &str, fake: &Fake) -> Serve {
        Serve::start_with(db_url, dir, instance, fake, &[])
    }

    /// `start`, with environment variables of the test's own.
    pub fn start_with(
        db_url: &str,
        dir: &std::path::Path,
        instance: &str,
        fake: &Fake,
        env: &[(&str, &str)],
    ) -> Serve {
        // The test's own HTTP client needs a TLS provider installed, as `main` does.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let port = crate::helpers::unused_port();
        let mut s = Serve {
            child: None,
            port,
            base: format!("http://127.0.0.1:{port}"),
            db_url: db_url.into(),
            dir: dir.to_path_buf(),
            instance: instance.into(),
            fake_url: fake.url.clone(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        // The port may be taken between picking and binding: the first
        // start moves to another one then (later starts keep the port:
        // clients of a restarted instance use the same address).
        for attempt in 1.. {
            match s.spawn_and_wait() {
                Ok(()) => break,
                Err(log) if log.contains("Address already in use") && attempt < 5 => {
                    s.port = crate::helpers::unused_port();
                    s.base = format!("http://127.0.0.1:{}", s.port);
                }
                Err(log) => panic!("vigil serve did not listen; its log:\n{log}"),
            }
        }
        s
    }

    /// Starts the process again and waits until it listens.
    pub fn restart(&mut self) {
        if let Err(log) = self.spawn_and_wait() {
            panic!("vigil serve did not listen; its log:\n{log}");
        }
    }

    /// Starts the process and waits until it listens; its log if it exits
    /// or does not listen within 30 s.
    fn spawn_and_wait(&mut self) -> Result<(), String> {
        let cfg = self.dir.join("vigil.toml");
        std::fs::write(
            &cfg,
            format!(
                "schedules_dir = \"{}/schedules\"\nadmin_token_file = \"{}/admin-token\"\n",
                env!("CARGO_MANIFEST_DIR"),
                self.dir.display()
            ),
        )
        .expect("config");
        let child = Command::new(env!("CARGO_BIN_EXE_vigil"))
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{}", self.port),
                "--database-url",
                &self.db_url,
            ])
            .arg("--config")
            .arg(&cfg)
            .current_dir(&self.dir)
            .env("RUST_LOG", "warn")
            .env("VIGIL_TWILIO_API_URL", &self.fake_url)
            .env("VIGIL_ALLOW_PRIVATE_WEBHOOKS", "1")
            .env("VIGIL_TWILIO_ACCOUNT_SID", "AC1")
            .env("VIGIL_TWILIO_AUTH_TOKEN", TWILIO_TOKEN)
            .env("VIGIL_TWILIO_FROM", "+15550000000")
            .env("VIGIL_INSTANCE_ID", &self.instance)
            .env("VIGIL_RETRY_SCHEDULE", "200ms,400ms,800ms,800ms")
            .env("VIGIL_SEND_TIMEOUT", "1s")
            .env("VIGIL_LEASE", "3s")
            .env("VIGIL_SWEEP", "250ms")
            .env("VIGIL_THROTTLE", "sms=10000")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::null())
            .stderr(
                std::fs::File::create(self.dir.join(format!("serve-{}.log", self.instance)))
                    .map(Stdio::from)
                    .unwrap_or_else(|_| Stdio::null()),
            )
            .spawn()
            .expect("vigil serve starts");
        self.child = Some(child);
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            let exited = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
                .is_some();
            if exited || start.elapsed() > Duration::from_secs(30) {
                let log =
                    std::fs::read_to_string(self.dir.join(format!("serve-{}.log", self.instance)))
                        .unwrap_or_default();
                if let Some(mut c) = self.child.take() {
                    let _ = c.kill();
                    let _ = c.wait();
                }
                return Err(format!("(exited: {exited})\n{log}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// SIGTERM, and wait for the process to exit (it finishes its sends).
    pub fn terminate(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
            let _ = c.wait();
        }
    }

    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill(); // SIGKILL
            let _ = c.wait();
        }
    }

    pub fn admin(&self) -> String {
        std::fs::read_to_string(self.dir.join("admin-token"))
            .unwrap_or_default()
            .trim()
            .to_string()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.kill();
    }
}

/// People reachable by SMS only, and a one-stage or two-stage service.
pub async fn setup(
    http: &reqwest::Client,
    base: &str,
    admin: &str,
    stages: Value,
) -> (String, String, String) {
    for h in PEOPLE {
        let r = http
            .put(format!("{base}/api/v1/people/{h}"))
            .bearer_auth(admin)
            .json(&json!({ "name": h, "phone": phone(h), "rules": { "P2": ["sms"] } }))
            .send()
            .await
            .expect("sent");
        assert!(r.status().is_success());
    }
    let r = http
        .put(format!("{base}/api/v1/services/svc"))
        .bearer_auth(admin)
        .json(&json!({ "team": "payments", "ladder": { "stages": stages } }))
        .send()
        .await
        .expect("sent");
    assert!(r.status().is_success(), "{:?}", r.text().await);
    let k: Value = http
        .post(format!("{base}/api/v1/services/svc/keys"))
        .bearer_auth(admin)
        .json(&json!({}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let who: Value = http
        .get(format!(
            "{base}/api/v1/teams/payments/rotas/payments-weekly/oncall"
        ))
        .bearer_auth(admin)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let person = |layer: &str| {
        who["layers"]
            .as_array()
            .expect("layers")
            .iter()
            .find(|l| l["layer"] == layer)
            .and_then(|l| l["on_call"][0]["person"].as_str())
            .expect("on call")
            .to_string()
    };
    (
        k["key"].as_str().expect("key").to_string(),
        person("primary"),
        person("secondary"),
    )
}

/// Posts alert `name` until a server accepts it (a monitoring tool retries;
/// the dedup key makes a retry after a lost answer harmless).
pub async fn post_until_accepted(http: &reqwest::Client, bases: &[String], key: &str, name: &str) {
    for attempt in 0.. {
        let base = &bases[attempt % bases.len()];
        let r = http
            .post(format!("{base}/api/v1/alerts"))
            .header("X-Vigil-Integration-Key", key)
            .timeout(Duration::from_secs(5))
            .json(
                &json!({ "service": "svc", "summary": name, "priority": "P2", "dedup_key": name }),
            )
            .send()
            .await;
        if let Ok(r) = r
            && r.status().is_success()
        {
            return;
        }
        assert!(attempt < 500, "{name} was never accepted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// How many distinct webhook calls to `path` carried alert `name` (a
/// webhook carries one alert, so bundling cannot hide one).
pub fn received(fake: &Fake, path: &str, name: &str) -> usize {
    let mut keys: Vec<String> = fake
        .all()
        .into_iter()
        .filter(|r| r.kind == "webhook" && r.to == path && r.body["alerts"][0]["summary"] == name)
        .map(|r| r.idempotency_key)
        .collect();
    keys.sort();
    keys.dedup();
    keys.len()
}

pub fn duplicates(fake: &Fake) -> (usize, usize) {
    let mut counts: std::collections::HashMap<String, usize> = Default::default();
    for r in fake.all() {
        *counts.entry(r.idempotency_key).or_default() += 1;
    }
    let dup = counts.values().map(|n| n - 1).sum();
    let worst = counts.values().copied().max().unwrap_or(0);
    (dup, worst)
}
