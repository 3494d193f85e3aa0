//! `vigil serve` as a process: signals, logs.

/// `vigil serve` as an operator runs it: it answers, logs, and on SIGTERM
/// finishes and exits 0.
#[test]
fn serve_stops_cleanly_on_sigterm() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let dir = std::env::temp_dir().join(format!("vigil-it-serve-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).expect("dir");
    // A random port may be taken (by another test's server, or as the
    // local end of some connection): a server that exits at start is
    // started again on another.
    let spawn = |port: u16| {
        Command::new(env!("CARGO_BIN_EXE_vigil"))
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--database-url",
                &format!("sqlite://{}/v.db", dir.display()),
            ])
            .current_dir(&dir)
            .env("RUST_LOG", "debug")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("vigil serve starts")
    };
    let start = Instant::now();
    let mut attempt = 0;
    let (mut child, port, up) = loop {
        attempt += 1;
        let port = crate::helpers::unused_port();
        let mut child = KillOnDrop(spawn(port));
        let up = loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break Some(true);
            }
            if child.0.try_wait().ok().flatten().is_some() {
                break None;
            }
            if start.elapsed() > Duration::from_secs(20) {
                break Some(false);
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        match up {
            Some(up) => break (child, port, up),
            None if attempt < 5 => continue,
            None => break (child, port, false),
        }
    };
    assert!(up, "vigil serve listens");
    assert!(
        dir.join("vigil-admin-token").exists(),
        "first start wrote the admin token file"
    );
    let token = std::fs::read_to_string(dir.join("vigil-admin-token")).unwrap_or_default();
    // Fetch a calendar feed by its secret URL: the log must not show the secret.
    let (code, _) = http(
        port,
        "PUT",
        "/api/v1/people/zoe",
        token.trim(),
        Some(r#"{"name":"Zoe"}"#),
    );
    assert_eq!(code, 201);
    let (code, body) = http(
        port,
        "POST",
        "/api/v1/feeds",
        token.trim(),
        Some(r#"{"person":"zoe"}"#),
    );
    assert_eq!(code, 201, "{body}");
    let url: serde_json::Value = serde_json::from_str(&body).expect("json");
    let secret = url["url"]
        .as_str()
        .expect("url")
        .rsplit('/')
        .next()
        .expect("secret")
        .to_string();
    let (code, _) = http(port, "GET", &format!("/ics/{secret}"), "", None);
    assert_eq!(code, 200);
    let status = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let stopped = loop {
        if let Some(s) = child.0.try_wait().expect("wait") {
            break Some(s);
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.0.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let status = stopped.expect("vigil serve exits after SIGTERM");
    assert_eq!(status.code(), Some(0));
    let mut log = String::new();
    use std::io::Read;
    let _ = child
        .0
        .stderr
        .take()
        .map(|mut e| e.read_to_string(&mut log));
    assert!(log.contains("shutting down"), "{log}");
    assert!(
        !log.contains(token.trim()),
        "the admin token never appears in the log"
    );
    assert!(
        !log.contains(&secret),
        "the feed secret never appears in the log"
    );
    assert!(
        log.contains(&format!("/ics/{}…", &secret[..8])),
        "the feed path is logged redacted: {log}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A bare HTTP/1.1 request (the test above is synchronous): (status, body).
fn http(port: u16, method: &str, path: &str, token: &str, body: Option<&str>) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let body = body.unwrap_or("");
    let auth = if token.is_empty() {
        String::new()
    } else {
        format!("Authorization: Bearer {token}\r\n")
    };
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).expect("write");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let code = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (code, body)
}

/// A child process that is killed if the test fails before it stops it.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Runs `vigil serve` with `env`, lets `work(port, admin token)` act on it,
/// stops it with SIGTERM and returns (stdout, stderr).
fn serve_and_capture(env: &[(&str, &str)], work: impl FnOnce(u16, &str)) -> (String, String) {
    use std::io::Read;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let dir = std::env::temp_dir().join(format!("vigil-it-logs-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).expect("dir");
    let spawn = |port: u16| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigil"));
        cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args([
                "--database-url",
                &format!("sqlite://{}/v.db", dir.display()),
            ])
            .current_dir(&dir)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        KillOnDrop(cmd.spawn().expect("vigil serve starts"))
    };
    let start = Instant::now();
    let mut attempt = 0;
    let (mut child, port) = 'start: loop {
        attempt += 1;
        let port = crate::helpers::unused_port();
        let mut child = spawn(port);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            // An exit fails at once, with what it said, unless the port
            // was taken between picking and binding: then another port.
            // A slow start under a loaded machine gets a minute.
            if let Ok(Some(status)) = child.0.try_wait() {
                let mut err = String::new();
                if let Some(e) = child.0.stderr.as_mut() {
                    let _ = e.read_to_string(&mut err);
                }
                if err.contains("Address already in use") && attempt < 5 {
                    continue 'start;
                }
                panic!("vigil serve exited ({status}) before listening:\n{err}");
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "vigil serve listens"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        break (child, port);
    };
    let token = std::fs::read_to_string(dir.join("vigil-admin-token")).unwrap_or_default();
    work(port, token.trim());
    let _ = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status();
    let _ = child.0.wait();
    let (mut out, mut err) = (String::new(), String::new());
    let _ = child
        .0
        .stdout
        .take()
        .map(|mut o| o.read_to_string(&mut out));
    let _ = child
        .0
        .stderr
        .take()
        .map(|mut e| e.read_to_string(&mut err));
    let _ = std::fs::remove_dir_all(&dir);
    (out, err)
}

/// An alert whose summary tries to forge a page line and recolour the
/// terminal: the console page stays on one line with its control
/// characters escaped, and the log (not a terminal here) has no colour.
#[test]
fn log_lines_carry_no_colour_and_no_forged_lines() {
    let (out, err) = serve_and_capture(&[], |port, token| {
        for (path, body) in [
            ("/api/v1/teams/ops", r#"{"timezone":"UTC"}"#),
            ("/api/v1/people/zoe", r#"{"name":"Zoe"}"#),
        ] {
            let (code, body) = http(port, "PUT", path, token, Some(body));
            assert_eq!(code, 201, "{body}");
        }
        let (code, body) = http(
            port,
            "PUT",
            "/api/v1/services/web",
            token,
            Some(
                r#"{"team":"ops","ladder":{"stages":[{"timeout":"5m","targets":["person:zoe"]}]}}"#,
            ),
        );
        assert_eq!(code, 200, "{body}");
        let (code, body) = http(port, "POST", "/api/v1/services/web/keys", token, Some("{}"));
        assert_eq!(code, 201, "{body}");
        let key: serde_json::Value = serde_json::from_str(&body).expect("json");
        let alert = serde_json::json!({
            "routing_key": key["key"], "event_action": "trigger",
            "payload": { "summary": "disk full\nPAGE [sms → mallory] forged \u{1b}[31mred", "source": "db", "severity": "critical" }
        });
        let (code, body) = http(port, "POST", "/v2/enqueue", "", Some(&alert.to_string()));
        assert_eq!(code, 202, "{body}");
        std::thread::sleep(std::time::Duration::from_millis(800));
    });
    assert!(!err.contains('\u{1b}'), "colour codes in the log: {err:?}");
    assert!(
        !out.contains('\u{1b}'),
        "escape sequences on the console: {out:?}"
    );
    assert!(
        !out.lines().any(|l| l.starts_with("PAGE [sms → mallory]")),
        "a forged line: {out}"
    );
    assert!(
        out.contains("disk full\\nPAGE [sms → mallory] forged \\u{1b}[31mred"),
        "{out}"
    );
}

/// `VIGIL_LOG_FORMAT=json`: every log line is a JSON object.
#[test]
fn json_log_lines_parse() {
    let (_, err) = serve_and_capture(&[("VIGIL_LOG_FORMAT", "json")], |port, _| {
        let (code, _) = http(port, "GET", "/healthz", "", None);
        assert_eq!(code, 200);
    });
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() >= 2, "{err}");
    for l in lines {
        let v: serde_json::Value =
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
        assert!(v["level"].is_string() && v["fields"].is_object(), "{l}");
    }
}
