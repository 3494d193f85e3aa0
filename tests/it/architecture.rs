//! The pure core stays pure: no IO crates, no filesystem or network, no
//! wall clock in the pure modules (HOUSE_STYLE: "pure core, IO at the
//! edges"); and the layers depend one way: pure core ← store ← engine ←
//! delivery policy ← notify ← dispatch ← api ← cli/app. clippy.toml also
//! forbids reading the clock outside src/clock.rs.

use std::path::Path;

const FORBIDDEN: &[&str] = &[
    "tokio",
    "sea_orm",
    "reqwest",
    "axum",
    "std::fs",
    // Addresses are values; sockets and lookups are IO.
    "std::net::Tcp",
    "std::net::Udp",
    "to_socket_addrs",
    "std::process",
    "Utc::now",
    "Local::now",
    "SystemTime",
    "std::env",
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir)
        .expect("readable source dir")
        .flatten()
    {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The pure modules: whole directories, and the pure halves of the engine.
const PURE: &[&str] = &[
    "rota",
    "ics",
    "escalation",
    "delivery",
    "engine/schedules/plan.rs",
    "engine/services/spec.rs",
];

fn files_of(parts: &[&str]) -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for m in parts {
        let p = root.join(m);
        if p.is_dir() {
            rust_files(&p, &mut files);
        } else {
            assert!(p.is_file(), "{} exists", p.display());
            files.push(p);
        }
    }
    files
}

/// Lines of `files` (comments left out) that contain any of `bad`.
fn offending(files: &[std::path::PathBuf], bad: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(f).expect("readable");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for b in bad {
                if code.contains(b) {
                    out.push(format!("{}:{}: {b}", f.display(), n + 1));
                }
            }
        }
    }
    out
}

#[test]
fn layers_depend_one_way() {
    let rules: &[(&[&str], &[&str])] = &[
        // The pure core knows nothing of the layers above it.
        (
            &["rota", "ics", "escalation", "delivery"],
            &[
                "crate::store",
                "crate::engine",
                "crate::dispatch",
                "crate::notify",
                "crate::api",
                "crate::cli",
                "crate::app",
            ],
        ),
        // The store speaks SQL and nothing above it.
        (
            &["store"],
            &[
                "crate::engine",
                "crate::dispatch",
                "crate::notify",
                "crate::api",
                "crate::cli",
            ],
        ),
        // Domain operations serve every interface and know none of them.
        (
            &["engine"],
            &[
                "crate::dispatch",
                "crate::notify",
                "crate::api",
                "crate::cli",
                "crate::app",
                "axum",
            ],
        ),
        // Providers send; they do not run the dispatcher.
        (
            &["notify"],
            &[
                "crate::dispatch",
                "crate::engine",
                "crate::store",
                "crate::api",
            ],
        ),
        (&["dispatch"], &["crate::api", "crate::cli", "crate::app"]),
        // Handlers parse, authorise, call one operation and render: no
        // queries, no transactions, no SQL.
        (
            &["api"],
            &[
                "Reads",
                "AlertReads",
                ".tx()",
                "tx_quiet",
                "sea_orm",
                "crate::cli",
                "crate::app",
            ],
        ),
        // The console is another interface over the same operations.
        (
            &["console"],
            &[
                "Reads",
                ".tx()",
                "tx_quiet",
                "sea_orm",
                "crate::cli",
                "crate::app",
                "crate::dispatch",
            ],
        ),
    ];
    let mut offences = Vec::new();
    for (dirs, bad) in rules {
        offences.extend(offending(&files_of(dirs), bad));
    }
    assert!(
        offences.is_empty(),
        "a layer reaches the wrong way:\n{}",
        offences.join("\n")
    );
}

#[test]
fn pure_modules_do_no_io() {
    let files = files_of(PURE);
    assert!(files.len() >= 20, "found the pure modules");
    let mut offences = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("readable");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for bad in FORBIDDEN {
                if code.contains(bad) {
                    offences.push(format!("{}:{}: {bad}", f.display(), n + 1));
                }
            }
        }
    }
    assert!(
        offences.is_empty(),
        "IO in the pure core:\n{}",
        offences.join("\n")
    );
}
