//! Durable state: SQLite (a file, the default) or PostgreSQL (by URL), one set of queries for
//! both (`$n` placeholders work in both), schema by migrations per backend.

mod model;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use confirm::{verdict, Verdict};
pub use events::{new_event_id, Event};
pub use model::{
    Audit, ConfirmItem, Confirmation, Delivery, EventRow, NewRegistration, OutboxItem, PushIn,
    PushOutcome, PushPolicy, QuarantinedPush, RegState, Registration,
};
pub use pushes::{decide, Decision};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database URL must start with sqlite: or postgres:// (got {0:?})")]
    Url(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The configured database.
#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Run the same statement on whichever pool is configured.
macro_rules! on_pool {
    ($store:expr, |$p:ident| $body:expr) => {
        match $store {
            Store::Sqlite($p) => $body,
            Store::Postgres($p) => $body,
        }
    };
}

/// Begin a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`): a transaction that reads first and writes later could not upgrade its
/// lock under contention and would fail with "database is locked" instead of waiting.
macro_rules! begin {
    ($p:expr) => {
        $crate::store::Begin::begin_write($p).await?
    };
}

/// [`begin!`] for each pool type.
pub(crate) trait Begin {
    type Db: sqlx::Database;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>;
}

impl Begin for SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl Begin for PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.begin().await
    }
}

mod confirm;
mod events;
mod pushes;

impl Store {
    /// Connect and migrate. `sqlite:path/to/file.db` (created if missing) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let store = if url.starts_with("sqlite:") {
            // WAL lets readers run beside the writer; synchronous=FULL makes every commit
            // durable across power loss, not just across a crash of this process.
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true);
            Store::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(8)
                    .connect_with(opts)
                    .await?,
            )
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Store::Postgres(
                PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect(url)
                    .await?,
            )
        } else {
            return Err(StoreError::Url(url.chars().take(16).collect()));
        };
        store.migrate().await?;
        Ok(store)
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(p) => SQLITE_MIGRATIONS.run(p).await?,
            Store::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// For `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(self, |p| sqlx::query("SELECT 1")
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    pub async fn close(&self) {
        on_pool!(self, |p| p.close().await)
    }

    pub async fn insert_registration(&self, r: &NewRegistration) -> Result<(), StoreError> {
        const SQL: &str = "INSERT INTO registrations (busi_seq, card_field, card_value, url_type, url, state, created_at, updated_at)
                           VALUES ($1, $2, $3, $4, $5, $7, $6, $6) ON CONFLICT (busi_seq) DO NOTHING";
        on_pool!(self, |p| sqlx::query(SQL)
            .bind(&r.busi_seq)
            .bind(&r.card_field)
            .bind(&r.card_value)
            .bind(i64::from(r.url_type))
            .bind(&r.url)
            .bind(r.created_at)
            .bind(r.state.as_str())
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    pub async fn registration(&self, busi_seq: &str) -> Result<Option<Registration>, StoreError> {
        const SQL: &str = "SELECT * FROM registrations WHERE busi_seq = $1";
        Ok(on_pool!(self, |p| sqlx::query_as::<_, Registration>(SQL)
            .bind(busi_seq)
            .fetch_optional(p)
            .await)?)
    }

    /// The newest registration of a card.
    pub async fn latest_for_card(
        &self,
        field: &str,
        value: &str,
    ) -> Result<Option<Registration>, StoreError> {
        const SQL: &str = "SELECT * FROM registrations WHERE card_field = $1 AND card_value = $2 ORDER BY created_at DESC, busi_seq DESC LIMIT 1";
        Ok(on_pool!(self, |p| sqlx::query_as::<_, Registration>(SQL)
            .bind(field)
            .bind(value)
            .fetch_optional(p)
            .await)?)
    }

    /// Registrations by state and creation time, newest first.
    pub async fn list(
        &self,
        state: Option<RegState>,
        since: i64,
        until: i64,
        limit: i64,
    ) -> Result<Vec<Registration>, StoreError> {
        const SQL: &str = "SELECT * FROM registrations WHERE ($1 IS NULL OR state = $1) AND created_at >= $2 AND created_at < $3
                           ORDER BY created_at DESC, busi_seq DESC LIMIT $4";
        let state = state.map(|s| s.as_str());
        Ok(on_pool!(self, |p| sqlx::query_as::<_, Registration>(SQL)
            .bind(state)
            .bind(since)
            .bind(until)
            .bind(limit)
            .fetch_all(p)
            .await)?)
    }

    /// Pending and disputed registrations created before `cutoff` (for reconciliation: the
    /// push may never come, or a forged one may have come first).
    pub async fn pending_before(
        &self,
        cutoff: i64,
        limit: i64,
    ) -> Result<Vec<Registration>, StoreError> {
        const SQL: &str = "SELECT * FROM registrations WHERE state IN ('pending', 'disputed', 'lost') AND created_at < $1 ORDER BY created_at LIMIT $2";
        Ok(on_pool!(self, |p| sqlx::query_as::<_, Registration>(SQL)
            .bind(cutoff)
            .bind(limit)
            .fetch_all(p)
            .await)?)
    }

    /// Write audit rows in one transaction (the audit log's group commit).
    pub async fn record_audits(&self, batch: &[Audit]) -> Result<(), StoreError> {
        const SQL: &str = "INSERT INTO audits (at, kind, app_id, phone_masked, client_ip, code, latency_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)";
        on_pool!(self, |p| {
            let mut tx = begin!(p);
            for a in batch {
                sqlx::query(SQL)
                    .bind(a.at)
                    .bind(&a.kind)
                    .bind(&a.app_id)
                    .bind(&a.phone_masked)
                    .bind(&a.client_ip)
                    .bind(&a.code)
                    .bind(a.latency_ms)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Write one audit row.
    pub async fn record_audit(&self, a: &Audit) -> Result<(), StoreError> {
        self.record_audits(std::slice::from_ref(a)).await
    }

    /// Newest audits first.
    pub async fn audits(&self, limit: i64) -> Result<Vec<Audit>, StoreError> {
        const SQL: &str = "SELECT at, kind, app_id, phone_masked, client_ip, code, latency_ms FROM audits ORDER BY at DESC, id DESC LIMIT $1";
        Ok(on_pool!(self, |p| sqlx::query_as::<_, Audit>(SQL)
            .bind(limit)
            .fetch_all(p)
            .await)?)
    }
}

impl Store {
    /// Lease the rows an `UPDATE … WHERE id IN ({pick}{lock}) RETURNING …` statement picks, in one
    /// statement: `$1` owner, `$2` lease end, `$3` now, `$4` limit. `sql` is given the lock clause:
    /// none on SQLite (one writer at a time), `FOR UPDATE SKIP LOCKED` on PostgreSQL, so instances
    /// never wait on each other's rows. Both work queues (confirmations, webhook outbox) lease this
    /// way.
    pub(super) async fn lease<T>(
        &self,
        sql: impl Fn(&str) -> String,
        owner: &str,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<T>, StoreError>
    where
        T: Send
            + Unpin
            + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        Ok(match self {
            Store::Sqlite(p) => {
                sqlx::query_as::<_, T>(&sql(""))
                    .bind(owner)
                    .bind(now + lease_ms)
                    .bind(now)
                    .bind(limit)
                    .fetch_all(p)
                    .await?
            }
            Store::Postgres(p) => {
                sqlx::query_as::<_, T>(&sql(" FOR UPDATE SKIP LOCKED"))
                    .bind(owner)
                    .bind(now + lease_ms)
                    .bind(now)
                    .bind(limit)
                    .fetch_all(p)
                    .await?
            }
        })
    }
}
