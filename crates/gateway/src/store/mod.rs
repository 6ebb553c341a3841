//! Durable state: SQLite (a file, the default) or PostgreSQL (by URL), one set of queries for
//! both (`$n` placeholders work in both), schema by migrations per backend.

mod model;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use model::{Audit, NewRegistration, OutboxItem, PushIn, PushOutcome, RegState, Registration};

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
                           VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6) ON CONFLICT (busi_seq) DO NOTHING";
        on_pool!(self, |p| sqlx::query(SQL)
            .bind(&r.busi_seq)
            .bind(&r.card_field)
            .bind(&r.card_value)
            .bind(i64::from(r.url_type))
            .bind(&r.url)
            .bind(r.created_at)
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

    /// Pending registrations created before `cutoff` (for reconciliation).
    pub async fn pending_before(
        &self,
        cutoff: i64,
        limit: i64,
    ) -> Result<Vec<Registration>, StoreError> {
        const SQL: &str = "SELECT * FROM registrations WHERE state = 'pending' AND created_at < $1 ORDER BY created_at LIMIT $2";
        Ok(on_pool!(self, |p| sqlx::query_as::<_, Registration>(SQL)
            .bind(cutoff)
            .bind(limit)
            .fetch_all(p)
            .await)?)
    }

    /// Settle a pending registration from a status query. Returns whether it changed.
    pub async fn settle(
        &self,
        busi_seq: &str,
        state: RegState,
        msg: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE registrations SET state = $2, reg_msg = $3, updated_at = $4, settled_at = $4, settled_by = 'reconcile'
                           WHERE busi_seq = $1 AND state = 'pending'";
        let r = on_pool!(self, |p| sqlx::query(SQL)
            .bind(busi_seq)
            .bind(state.as_str())
            .bind(msg)
            .bind(now)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(r == 1)
    }

    /// Write a batch of pushes in ONE transaction (group commit): each new busiSeq is stored in
    /// the inbox, settles its registration (creating it if the push is for one this gateway did
    /// not ask for), and, with `forward`, queues an outbox message. A busiSeq seen before changes
    /// nothing. Only after this returns may the platform be told "ok".
    pub async fn apply_pushes(
        &self,
        batch: &[PushIn],
        forward: bool,
    ) -> Result<Vec<PushOutcome>, StoreError> {
        const INBOX: &str = "INSERT INTO pushes (busi_seq, reg_status, body, received_at) VALUES ($1, $2, $3, $4) ON CONFLICT (busi_seq) DO NOTHING";
        const SETTLE: &str = "UPDATE registrations SET state = $2, reg_status = $3, reg_msg = $4, updated_at = $5, settled_at = $5, settled_by = 'push'
                              WHERE busi_seq = $1";
        const ADOPT: &str = "INSERT INTO registrations (busi_seq, card_field, card_value, url_type, url, state, reg_status, reg_msg, created_at, updated_at, settled_at, settled_by)
                             VALUES ($1, $2, $3, 0, '', $4, $5, $6, $7, $7, $7, 'push') ON CONFLICT (busi_seq) DO NOTHING";
        const OUTBOX: &str =
            "INSERT INTO outbox (busi_seq, payload, next_attempt_at) VALUES ($1, $2, $3)";
        macro_rules! run {
            ($p:expr) => {{
                let mut tx = $p.begin().await?;
                let mut out = Vec::with_capacity(batch.len());
                for push in batch {
                    let inserted = sqlx::query(INBOX)
                        .bind(&push.busi_seq)
                        .bind(&push.reg_status)
                        .bind(&push.body)
                        .bind(push.received_at)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if inserted == 0 {
                        out.push(PushOutcome::Duplicate);
                        continue;
                    }
                    let state = RegState::from_reg_status(&push.reg_status);
                    let updated = sqlx::query(SETTLE)
                        .bind(&push.busi_seq)
                        .bind(state.as_str())
                        .bind(&push.reg_status)
                        .bind(&push.reg_msg)
                        .bind(push.received_at)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if updated == 0 {
                        sqlx::query(ADOPT)
                            .bind(&push.busi_seq)
                            .bind(&push.card_field)
                            .bind(&push.card_value)
                            .bind(state.as_str())
                            .bind(&push.reg_status)
                            .bind(&push.reg_msg)
                            .bind(push.received_at)
                            .execute(&mut *tx)
                            .await?;
                    }
                    if forward {
                        sqlx::query(OUTBOX)
                            .bind(&push.busi_seq)
                            .bind(&push.body)
                            .bind(push.received_at)
                            .execute(&mut *tx)
                            .await?;
                    }
                    out.push(PushOutcome::Stored);
                }
                tx.commit().await?;
                out
            }};
        }
        Ok(match self {
            Store::Sqlite(p) => run!(p),
            Store::Postgres(p) => run!(p),
        })
    }

    pub async fn push_count(&self) -> Result<i64, StoreError> {
        Ok(on_pool!(self, |p| sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM pushes"
        )
        .fetch_one(p)
        .await)?)
    }

    /// Whether a push with this busiSeq is stored.
    pub async fn has_push(&self, busi_seq: &str) -> Result<bool, StoreError> {
        const SQL: &str = "SELECT COUNT(*) FROM pushes WHERE busi_seq = $1";
        Ok(on_pool!(self, |p| sqlx::query_scalar::<_, i64>(SQL)
            .bind(busi_seq)
            .fetch_one(p)
            .await)?
            > 0)
    }

    /// Take up to `limit` due outbox messages, leasing them for `lease_ms` so another instance
    /// does not send them at the same time. At-least-once: a crash after sending and before
    /// [`Store::outbox_done`] sends again after the lease.
    pub async fn outbox_claim(
        &self,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        const PICK: &str = "SELECT id, busi_seq, payload, attempts FROM outbox WHERE delivered_at IS NULL AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2";
        const LEASE: &str = "UPDATE outbox SET next_attempt_at = $2, attempts = attempts + 1 WHERE id = $1 AND delivered_at IS NULL AND next_attempt_at <= $3";
        macro_rules! run {
            ($p:expr) => {{
                let mut tx = $p.begin().await?;
                let items = sqlx::query_as::<_, OutboxItem>(PICK)
                    .bind(now)
                    .bind(limit)
                    .fetch_all(&mut *tx)
                    .await?;
                let mut claimed = Vec::with_capacity(items.len());
                for it in items {
                    let n = sqlx::query(LEASE)
                        .bind(it.id)
                        .bind(now + lease_ms)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if n == 1 {
                        claimed.push(it);
                    }
                }
                tx.commit().await?;
                claimed
            }};
        }
        Ok(match self {
            Store::Sqlite(p) => run!(p),
            Store::Postgres(p) => run!(p),
        })
    }

    pub async fn outbox_done(&self, id: i64, now: i64) -> Result<(), StoreError> {
        on_pool!(self, |p| sqlx::query(
            "UPDATE outbox SET delivered_at = $2, last_error = NULL WHERE id = $1"
        )
        .bind(id)
        .bind(now)
        .execute(p)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    pub async fn outbox_retry(&self, id: i64, next_at: i64, error: &str) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE outbox SET next_attempt_at = $2, last_error = $3 WHERE id = $1";
        on_pool!(self, |p| sqlx::query(SQL)
            .bind(id)
            .bind(next_at)
            .bind(error)
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    pub async fn outbox_pending(&self) -> Result<i64, StoreError> {
        Ok(on_pool!(self, |p| sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL"
        )
        .fetch_one(p)
        .await)?)
    }

    pub async fn record_audit(&self, a: &Audit) -> Result<(), StoreError> {
        const SQL: &str = "INSERT INTO audits (at, kind, app_id, phone_masked, client_ip, code, latency_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)";
        on_pool!(self, |p| sqlx::query(SQL)
            .bind(a.at)
            .bind(&a.kind)
            .bind(&a.app_id)
            .bind(&a.phone_masked)
            .bind(&a.client_ip)
            .bind(&a.code)
            .bind(a.latency_ms)
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
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
