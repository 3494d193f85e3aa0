//! Settings: defaults, the TOML file, the environment and flags, in that
//! order; secrets from files; every error names its key; `--print-config`
//! shows the effective settings with secrets redacted.

use std::process::Command;
use vigil::config::Config;
use vigil::config::settings::{Flat, Text, merge};

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn resolve(file: Option<&str>, vars: &[(&str, &str)], flags: &Flat) -> Result<Config, String> {
    let merged = merge(file.map(|t| ("vigil.toml", t)), env(vars), flags)?;
    Config::from_settings(&merged)
}

#[test]
fn the_file_the_environment_and_flags_layer_in_that_order() {
    let file = r#"
        listen = "127.0.0.1:9000"
        public_url = "https://vigil.example.com"
        [db]
        pool = 8
        intake_timeout = "3s"
        [dispatch]
        retry_schedule = ["1s", "2s"]
        throttle = { sms = 3 }
        [twilio]
        account_sid = "AC123"
        from = "+15550000000"
        auth_token = "from-the-file"
    "#;
    let mut flags = Flat::new();
    flags.insert("listen".into(), Text::Str("127.0.0.1:9100".into()));
    let c = resolve(
        Some(file),
        &[
            ("VIGIL_DB_POOL", "32"),
            ("VIGIL_THROTTLE", "voice=1"),
            ("PATH", "/bin"),
        ],
        &flags,
    )
    .expect("resolves");
    assert_eq!(c.listen, "127.0.0.1:9100", "a flag beats the file");
    assert_eq!(c.pool.size, 32, "the environment beats the file");
    assert_eq!(c.intake_timeout, std::time::Duration::from_secs(3));
    assert_eq!(c.public_url, "https://vigil.example.com");
    assert_eq!(
        c.dispatch.retry,
        vec![
            std::time::Duration::from_secs(1),
            std::time::Duration::from_secs(2)
        ]
    );
    // VIGIL_THROTTLE replaces the file's table as a whole (one value per key).
    assert_eq!(c.dispatch.throttle.get("voice"), Some(&1));
    assert_eq!(
        c.notify.twilio_from.as_deref(),
        Some("+15550000000"),
        "a phone number stays text"
    );
    assert_eq!(c.notify.twilio_token(), Some("from-the-file"));
    // Defaults where nothing is said.
    assert_eq!(c.http.max_connections, 1024);
    assert_eq!(c.notify.smtp_port, 587);
}

#[test]
fn secrets_come_from_files_and_never_both_ways() {
    let dir = std::env::temp_dir().join(format!("vigil-cfg-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).expect("dir");
    let token = dir.join("twilio-token");
    std::fs::write(&token, "s3cret-from-file\n").expect("write");
    let t = token.display().to_string();
    let c = resolve(None, &[("VIGIL_TWILIO_AUTH_TOKEN_FILE", &t)], &Flat::new()).expect("resolves");
    assert_eq!(
        c.notify.twilio_token(),
        Some("s3cret-from-file"),
        "the trailing newline is dropped"
    );
    let file = format!("[slack]\nsigning_secret_file = \"{t}\"\n");
    let c = resolve(Some(&file), &[], &Flat::new()).expect("resolves");
    assert_eq!(c.notify.slack_secret(), Some("s3cret-from-file"));
    let e = resolve(
        None,
        &[
            ("VIGIL_TWILIO_AUTH_TOKEN", "x"),
            ("VIGIL_TWILIO_AUTH_TOKEN_FILE", &t),
        ],
        &Flat::new(),
    )
    .expect_err("both is an error");
    assert!(e.contains("twilio.auth_token") && e.contains("both"), "{e}");
    let missing = dir.join("nope").display().to_string();
    let e = resolve(
        None,
        &[("VIGIL_SMTP_PASSWORD_FILE", &missing)],
        &Flat::new(),
    )
    .expect_err("a missing file is an error");
    assert!(e.contains("smtp.password_file"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_error_names_its_key() {
    type Case<'a> = (Option<&'a str>, &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        (Some("[db]\npool = 1\n"), &[], "db.pool"),
        (
            Some("[http]\nbody_timeout = \"soon\"\n"),
            &[],
            "http.body_timeout",
        ),
        (Some("[smtp]\nport = 70000\n"), &[], "smtp.port"),
        (Some("[smtp]\ntls = \"maybe\"\n"), &[], "smtp.tls"),
        (
            Some("[twilio]\nauthtoken = \"x\"\n"),
            &[],
            "twilio.authtoken",
        ),
        (Some("colour = \"red\"\n"), &[], "colour"),
        (None, &[("VIGIL_THROTTLE", "pigeon=3")], "dispatch.throttle"),
        (
            None,
            &[("VIGIL_RETRY_SCHEDULE", "5s,soon")],
            "dispatch.retry_schedule",
        ),
        (None, &[("VIGIL_LOG_FORMAT", "xml")], "log.format"),
        (
            None,
            &[("VIGIL_ALLOW_PRIVATE_WEBHOOKS", "perhaps")],
            "allow_private_webhooks",
        ),
        (
            None,
            &[("VIGIL_PUBLIC_URL", "vigil.example.com")],
            "public_url",
        ),
        (Some("listen = [\n"), &[], "vigil.toml"),
    ];
    for (file, vars, key) in cases {
        let e = resolve(*file, vars, &Flat::new())
            .err()
            .unwrap_or_else(|| panic!("{file:?} {vars:?} should fail"));
        assert!(e.contains(key), "{key}: {e}");
    }
}

#[test]
fn print_config_shows_every_section_with_secrets_redacted() {
    let dir = std::env::temp_dir().join(format!("vigil-cfg-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("vigil.toml");
    std::fs::write(
        &file,
        "database_url = \"postgres://vigil:hunter2@db.internal/vigil\"\n[slack]\nbot_token = \"xoxb-very-secret\"\n",
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["serve", "--print-config", "--config"])
        .arg(&file)
        .env("VIGIL_TWILIO_AUTH_TOKEN", "tw-secret-token")
        .env("VIGIL_DB_POOL", "24")
        .env_remove("VIGIL_DATABASE_URL")
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for secret in ["hunter2", "xoxb-very-secret", "tw-secret-token"] {
        assert!(!text.contains(secret), "{secret} leaked:\n{text}");
    }
    assert!(text.contains("[redacted]"), "{text}");
    assert!(text.contains("pool = 24"), "{text}");
    for section in [
        "[db]",
        "[http]",
        "[dispatch]",
        "[twilio]",
        "[slack]",
        "[smtp]",
        "[log]",
    ] {
        assert!(text.contains(section), "{section} in\n{text}");
    }
    // What it prints is a settings file Vigil reads back.
    let printed = dir.join("printed.toml");
    std::fs::write(&printed, text.replace("\"[redacted]\"", "\"x\"")).expect("write");
    let again = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["serve", "--print-config", "--config"])
        .arg(&printed)
        .output()
        .expect("runs");
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
