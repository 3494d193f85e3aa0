//! The pure core stays pure: no IO crates, no filesystem or network, no
//! wall clock in `src/rota` or `src/ics` (HOUSE_STYLE: "pure core, IO at the
//! edges"). clippy.toml also forbids reading the clock outside src/clock.rs.

use std::path::Path;

const FORBIDDEN: &[&str] = &[
    "tokio",
    "sea_orm",
    "reqwest",
    "axum",
    "std::fs",
    "std::net",
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

#[test]
fn pure_modules_do_no_io() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for m in ["rota", "ics"] {
        rust_files(&root.join(m), &mut files);
    }
    assert!(files.len() >= 10, "found the pure modules");
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
