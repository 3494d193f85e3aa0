//! What the bench binaries share: a fresh database (SQLite in a temporary
//! folder, or a new PostgreSQL database when the first argument is a
//! postgres:// URL) and the server's settings for it.

use std::path::PathBuf;
use vigil::config::Config;

/// The bench's folder and database URL.
pub async fn database(name: &str) -> anyhow::Result<(PathBuf, String)> {
    let arg = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let dir = std::env::temp_dir().join(format!("vigil-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let db = match arg.as_deref() {
        Some(url) if url.starts_with("postgres") => {
            let db = format!("vigil_{name}_{}", std::process::id());
            vigil::store::postgres_database(url, &db, true).await?;
            format!("{}/{db}", url.rsplit_once('/').map(|x| x.0).unwrap_or(url))
        }
        _ => format!("sqlite://{}/bench.db", dir.display()),
    };
    Ok((dir, db))
}

/// Settings for a server on `db` with the example rotas, any free port.
pub fn config(dir: &std::path::Path, db: &str) -> anyhow::Result<Config> {
    let mut cfg = Config::resolve(Default::default()).map_err(anyhow::Error::msg)?;
    cfg.listen = "127.0.0.1:0".into();
    cfg.public_url = "http://127.0.0.1:0".into();
    cfg.database_url = db.to_string();
    cfg.schedules_dir = Some(concat!(env!("CARGO_MANIFEST_DIR"), "/schedules").into());
    cfg.admin_token_file = dir.join("admin-token");
    Ok(cfg)
}

/// Removes what `database(name)` made.
pub async fn cleanup(name: &str, dir: &std::path::Path) {
    let arg = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    if let Some(url) = arg.filter(|a| a.starts_with("postgres")) {
        let db = format!("vigil_{name}_{}", std::process::id());
        let _ = vigil::store::postgres_database(&url, &db, false).await;
    }
    let _ = std::fs::remove_dir_all(dir);
}
