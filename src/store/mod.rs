//! Storage (IO): the only module that imports sea_orm. Plain, portable SQL
//! (`?` placeholders rewritten to `$n` for PostgreSQL) returning domain rows.
//! Writes go through `Tx`: one transaction that also bumps the `generation`
//! counter, so every instance (several may share one PostgreSQL) can tell
//! cheaply whether anything changed. SQLite allows one writer at a time and a
//! deferred transaction that later writes can fail with SQLITE_BUSY, so on
//! SQLite writes are also serialised in-process by a mutex; WAL mode lets
//! reads go on meanwhile.

mod alerts;
mod console;
mod handoffs;
mod reads;
mod rows;
mod sends;
mod writes;

pub use alerts::*;
pub use console::{ConsoleReads, ContactCodeRow, SessionRow};
pub use handoffs::{HandoffLogRow, HandoffRow};
pub use reads::Reads;
pub use rows::*;

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, QueryResult, Statement, TransactionTrait, Value,
};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    /// A task that holds a transaction asked the pool for another
    /// connection (debug builds and tests only): with every pooled
    /// connection held by such a task, each waits for the others forever.
    #[error(
        "a second database connection was taken while this task holds a transaction: read through the transaction"
    )]
    Nested,
    /// The database refuses writes for now (read-only, or locked past the
    /// wait): callers answer 503 so senders retry.
    #[error("the database refuses writes for now: {0}")]
    Unavailable(String),
    /// A stored value that does not read as its type (a hand-edited or
    /// damaged database): said, never defaulted.
    #[error("stored {column} \"{value}\" does not read")]
    Corrupt { column: &'static str, value: String },
}

impl StoreError {
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
            || matches!(self, StoreError::Db(DbErr::ConnectionAcquire(_)))
    }
}

/// The SQLSTATE of a database error, if it carries one.
fn sqlstate(e: &DbErr) -> Option<String> {
    use sea_orm::RuntimeErr;
    match e {
        DbErr::Exec(RuntimeErr::SqlxError(x))
        | DbErr::Query(RuntimeErr::SqlxError(x))
        | DbErr::Conn(RuntimeErr::SqlxError(x)) => match x.as_ref() {
            sea_orm::sqlx::Error::Database(d) => d.code().map(|c| c.to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// Remembers when the database last refused a write as read-only, so that
/// every connection opened before then is closed instead of reused: a
/// PostgreSQL session keeps the `default_transaction_read_only` it started
/// with, so connections made while the database was read-only would refuse
/// writes for good after it is writable again.
#[derive(Clone)]
struct ReadOnly {
    /// When the last refusal was, in ms after `base` (0: never).
    mark: Arc<std::sync::atomic::AtomicI64>,
    base: std::time::Instant,
}

impl Default for ReadOnly {
    fn default() -> Self {
        ReadOnly {
            mark: Default::default(),
            base: std::time::Instant::now(),
        }
    }
}

impl ReadOnly {
    // Monotonic time is enough: only connection ages are compared with it.
    fn now_ms(&self) -> i64 {
        self.base.elapsed().as_millis() as i64 + 1
    }
    fn seen(&self) {
        self.mark
            .store(self.now_ms(), std::sync::atomic::Ordering::SeqCst);
    }
    /// Whether a connection of this age predates the last refusal.
    fn stale(&self, age: Duration) -> bool {
        let mark = self.mark.load(std::sync::atomic::Ordering::SeqCst);
        mark > 0 && self.now_ms() - age.as_millis() as i64 <= mark
    }
    /// Turns read-only (25006) and lock (SQLite busy) refusals into
    /// `Unavailable`, recording the former.
    fn classify(&self, e: DbErr) -> StoreError {
        let code = sqlstate(&e);
        if code.as_deref() == Some("25006") {
            self.seen();
            tracing::warn!(error = %e, "the database refused a write as read-only; connections opened before now will be replaced");
            return StoreError::Unavailable(e.to_string());
        }
        // SQLite: SQLITE_BUSY (5) and SQLITE_LOCKED (6), past the busy timeout.
        if matches!(code.as_deref(), Some("5" | "6" | "517" | "262")) {
            return StoreError::Unavailable(e.to_string());
        }
        StoreError::Db(e)
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// How the pool is sized and how long a caller waits for a connection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoolConfig {
    /// Connections to PostgreSQL (VIGIL_DB_POOL; SQLite uses its own small pool).
    pub size: u32,
    /// How long to wait for a free connection (VIGIL_DB_ACQUIRE_TIMEOUT).
    pub acquire_timeout: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            size: 16,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    backend: DbBackend,
    writer: Arc<tokio::sync::Mutex<()>>,
    held: guard::Holders,
    read_only: ReadOnly,
    changes: Arc<changes::Changes>,
}

impl Store {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://…`).
    pub async fn connect(url: &str) -> Result<Store> {
        Self::connect_with(url, PoolConfig::default()).await
    }

    pub async fn connect_with(url: &str, pool: PoolConfig) -> Result<Store> {
        let mut opts = ConnectOptions::new(url.to_string());
        opts.sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(pool.acquire_timeout);
        if url.starts_with("sqlite:") {
            opts.max_connections(4)
                .min_connections(1)
                .map_sqlx_sqlite_opts(|o: SqliteConnectOptions| {
                    o.journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Normal)
                        .busy_timeout(Duration::from_secs(10))
                        .create_if_missing(true)
                });
        }
        let read_only = ReadOnly::default();
        if !url.starts_with("sqlite:") {
            opts.max_connections(pool.size.max(2)).min_connections(1);
            let (a, b) = (read_only.clone(), read_only.clone());
            opts.map_sqlx_postgres_pool_opts(move |o| {
                let (a, b) = (a.clone(), b.clone());
                o.before_acquire(move |_, meta| {
                    let keep = !a.stale(meta.age);
                    Box::pin(async move { Ok(keep) })
                })
                .after_release(move |_, meta| {
                    let keep = !b.stale(meta.age);
                    Box::pin(async move { Ok(keep) })
                })
            });
        }
        let db = Database::connect(opts).await?;
        let backend = db.get_database_backend();
        let changes = Arc::new(changes::Changes::new(url));
        if backend == DbBackend::Postgres {
            changes.listen(db.get_postgres_connection_pool().clone());
        }
        Ok(Store {
            db,
            backend,
            writer: Arc::new(tokio::sync::Mutex::new(())),
            held: guard::Holders::default(),
            read_only,
            changes,
        })
    }

    /// What other writers changed (the dispatcher waits on its `work`).
    pub fn changes(&self) -> &changes::Changes {
        &self.changes
    }

    pub async fn migrate(&self) -> Result<()> {
        use migration::MigratorTrait;
        migration::Migrator::up(&self.db, None).await?;
        Ok(())
    }

    /// Whether the database answers and takes writes: a write in a
    /// transaction that is then rolled back. (Migrations are applied before
    /// the server starts; checking them here would run DDL.) A write lock
    /// held elsewhere makes the probe wait (behind this process's own
    /// writes too, which take milliseconds), so the caller bounds it.
    pub async fn ready(&self) -> std::result::Result<(), String> {
        let tx = self.tx_quiet().await.map_err(|e| e.to_string())?;
        tx.exec("UPDATE meta SET value = value WHERE key = 'probe'", vec![])
            .await
            .map_err(|e| e.to_string())?;
        drop(tx);
        Ok(())
    }

    pub fn is_postgres(&self) -> bool {
        self.backend == DbBackend::Postgres
    }

    fn stmt(&self, sql: &str, values: Vec<Value>) -> Statement {
        stmt(self.backend, sql, values)
    }

    /// Starts a write transaction.
    pub async fn tx(&self) -> Result<Tx> {
        self.held.check()?;
        let guard = if self.backend == DbBackend::Sqlite {
            Some(self.writer.clone().lock_owned().await)
        } else {
            None
        };
        let tx = self.db.begin().await?;
        Ok(Tx {
            tx,
            backend: self.backend,
            bump: true,
            changes: self.changes.clone(),
            seen: std::sync::Mutex::new(None),
            read_only: self.read_only.clone(),
            deferred: Default::default(),
            _held: self.held.hold(),
            _guard: guard,
        })
    }

    /// A write transaction that leaves the change counter alone (alerts and
    /// paging, which no cache watches). On PostgreSQL it takes no lock on
    /// the counter row, so such transactions run in parallel.
    pub async fn tx_quiet(&self) -> Result<Tx> {
        let mut tx = self.tx().await?;
        tx.bump = false;
        Ok(tx)
    }

    pub async fn close(self) {
        let _ = self.db.close().await;
    }
}

/// The raw queries `Reads` and `AlertReads` are written over: the pool
/// (`Store`) or an open transaction (`Tx`). Sealed, so only the store
/// speaks SQL.
pub(crate) mod sealed {
    use super::Result;
    use sea_orm::{DbBackend, QueryResult, Value};
    use std::future::Future;

    pub trait Conn: Sync {
        fn backend(&self) -> DbBackend;
        fn all(
            &self,
            sql: &str,
            values: Vec<Value>,
        ) -> impl Future<Output = Result<Vec<QueryResult>>> + Send;
        fn one(
            &self,
            sql: &str,
            values: Vec<Value>,
        ) -> impl Future<Output = Result<Option<QueryResult>>> + Send;
        /// The change counter without a query, when it is known not to
        /// have moved (`changes`); then what to note before a read and
        /// the value read.
        fn generation_known(&self) -> Option<i64> {
            None
        }
        fn generation_before(&self) -> super::changes::Before {
            None
        }
        fn generation_read(&self, _value: i64, _before: super::changes::Before) {}
    }
}

impl sealed::Conn for Store {
    fn backend(&self) -> DbBackend {
        self.backend
    }
    fn generation_known(&self) -> Option<i64> {
        self.changes.cached()
    }
    fn generation_before(&self) -> changes::Before {
        Some(self.changes.before_read())
    }
    fn generation_read(&self, value: i64, before: changes::Before) {
        if let Some(b) = before {
            self.changes.remember(value, b);
        }
    }
    async fn all(&self, sql: &str, values: Vec<Value>) -> Result<Vec<QueryResult>> {
        self.held.check()?;
        Ok(self.db.query_all_raw(self.stmt(sql, values)).await?)
    }
    async fn one(&self, sql: &str, values: Vec<Value>) -> Result<Option<QueryResult>> {
        self.held.check()?;
        Ok(self.db.query_one_raw(self.stmt(sql, values)).await?)
    }
}

impl sealed::Conn for Tx {
    fn backend(&self) -> DbBackend {
        self.backend
    }
    fn generation_known(&self) -> Option<i64> {
        *self.seen.lock().ok()?
    }
    fn generation_read(&self, value: i64, _before: changes::Before) {
        if let Ok(mut s) = self.seen.lock() {
            *s = Some(value);
        }
    }
    async fn all(&self, sql: &str, values: Vec<Value>) -> Result<Vec<QueryResult>> {
        self.write_deferred(self.deferred.before(sql)).await?;
        Ok(self
            .tx
            .query_all_raw(stmt(self.backend, sql, values))
            .await?)
    }
    async fn one(&self, sql: &str, values: Vec<Value>) -> Result<Option<QueryResult>> {
        self.write_deferred(self.deferred.before(sql)).await?;
        Ok(self
            .tx
            .query_one_raw(stmt(self.backend, sql, values))
            .await?)
    }
}

pub mod changes;
mod guard;

pub struct Tx {
    tx: DatabaseTransaction,
    backend: DbBackend,
    bump: bool,
    changes: Arc<changes::Changes>,
    /// The change counter as this transaction first read it.
    seen: std::sync::Mutex<Option<i64>>,
    read_only: ReadOnly,
    deferred: alerts::deferred::Deferred,
    // Dropped after the transaction (fields drop in order).
    _held: guard::Held,
    _guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Tx {
    async fn exec(&self, sql: &str, values: Vec<Value>) -> Result<u64> {
        self.write_deferred(self.deferred.before(sql)).await?;
        self.exec_now(sql, values).await
    }

    async fn exec_now(&self, sql: &str, values: Vec<Value>) -> Result<u64> {
        match self.tx.execute_raw(stmt(self.backend, sql, values)).await {
            Ok(r) => Ok(r.rows_affected()),
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(e.to_string())),
            Err(e) => Err(self.read_only.classify(e)),
        }
    }

    /// Commits, bumping the change counter in the same transaction. On
    /// PostgreSQL it tells the other instances (`NOTIFY vigil` at commit:
    /// `g` when the counter moved, `w` for new work).
    pub async fn commit(self) -> Result<()> {
        self.write_deferred(self.deferred.take()).await?;
        if self.bump {
            self.exec(
                "UPDATE meta SET value = value + 1 WHERE key = 'generation'",
                vec![],
            )
            .await?;
        }
        if self.backend == DbBackend::Postgres {
            let what = if self.bump { "g" } else { "w" };
            self.exec("SELECT pg_notify('vigil', ?)", vec![what.into()])
                .await?;
        }
        let changes = self.changes.clone();
        let bumped = self.bump;
        self.tx
            .commit()
            .await
            .map_err(|e| self.read_only.classify(e))?;
        if bumped {
            changes.forget();
        }
        Ok(())
    }

    pub async fn audit(
        &self,
        at: i64,
        actor: &str,
        action: &str,
        target: &str,
        detail: serde_json::Value,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
            vec![
                at.into(),
                actor.into(),
                action.into(),
                target.into(),
                detail.to_string().into(),
            ],
        )
        .await
        .map(|_| ())
    }
}

fn stmt(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    if backend != DbBackend::Postgres {
        return Statement::from_sql_and_values(backend, sql, values);
    }
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    Statement::from_sql_and_values(backend, out, values)
}

fn is_unique_violation(e: &DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

fn opt(v: &Option<String>) -> Value {
    Value::String(v.clone())
}

/// Creates (or drops) a PostgreSQL database through an existing one, for
/// test isolation and operators' scripts. `name` must be a plain identifier.
pub async fn postgres_database(admin_url: &str, name: &str, create: bool) -> Result<()> {
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(StoreError::Conflict(format!(
            "\"{name}\" is not a plain database name"
        )));
    }
    let db = Database::connect(admin_url).await?;
    let sql = if create {
        format!("CREATE DATABASE {name}")
    } else {
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    };
    db.execute_unprepared(&sql).await?;
    let _ = db.close().await;
    Ok(())
}
