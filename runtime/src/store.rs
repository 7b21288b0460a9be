//! The transactions in the database (sea-orm over MySQL/MariaDB, PostgreSQL or SQLite):
//! connecting with backoff, migrating, and every query the API needs, each one timed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::{
    ActiveValue, ColumnTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection,
    DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, RuntimeErr, SqlErr,
    Statement, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

use crate::config::{DatabaseEngine, DatabaseSettings};
use crate::domain::{Amount, Description};
use crate::entity::{idempotency_key, transaction};
use crate::migration::Migrator;
use crate::probe::{PROBE_TIMEOUT, Probe};
use crate::telemetry::Metrics;

/// What a POST with an idempotency key did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Creation {
    Created(i64),
    /// The key was used before with the same request: this is that transaction.
    Replayed(i64),
    /// The key was used before with a different request.
    KeyReused,
}

impl idempotency_key::Model {
    fn outcome(&self, fingerprint: &str) -> Creation {
        if self.fingerprint == fingerprint {
            Creation::Replayed(self.transaction_id)
        } else {
            Creation::KeyReused
        }
    }
}

/// A stored transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    pub id: i64,
    pub amount: Amount,
    pub description: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot connect to {url} after {attempts} attempts: {source}")]
    Connect {
        url: String,
        attempts: u32,
        #[source]
        source: DbErr,
    },
    #[error("migration failed: {0}")]
    Migrate(#[source] DbErr),
    #[error("{operation} failed: {source}")]
    Query {
        operation: &'static str,
        #[source]
        source: DbErr,
    },
}

impl StoreError {
    /// Whether the database could not be reached (as opposed to a query it rejected).
    pub fn is_unavailable(&self) -> bool {
        let source = match self {
            StoreError::Connect { .. } => return true,
            StoreError::Migrate(source) | StoreError::Query { source, .. } => source,
        };
        match source {
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
            DbErr::Exec(RuntimeErr::SqlxError(error))
            | DbErr::Query(RuntimeErr::SqlxError(error)) => match error.as_ref() {
                sea_orm::sqlx::Error::Io(_)
                | sea_orm::sqlx::Error::Tls(_)
                | sea_orm::sqlx::Error::Protocol(_)
                | sea_orm::sqlx::Error::PoolTimedOut
                | sea_orm::sqlx::Error::PoolClosed
                | sea_orm::sqlx::Error::WorkerCrashed => true,
                // The server ending the session: a connection exception (SQLSTATE class 08, which
                // holds MariaDB's "server shutdown in progress") or PostgreSQL's operator
                // intervention (57P01 "terminating connection due to administrator command" on a
                // restart, 57P02 crash, 57P03 cannot connect now, 57P04 database dropped). Or the
                // schema the runtime migrated gone from under it (its database dropped, as in a
                // restore: MariaDB's 42S02 "table doesn't exist", PostgreSQL's 42P01 undefined
                // table and 3D000 unknown database): nothing can be served until an operator
                // points the runtime at the restored database.
                sea_orm::sqlx::Error::Database(error) => error.code().is_some_and(|code| {
                    code.starts_with("08")
                        || code.starts_with("57P")
                        || matches!(code.as_ref(), "42S02" | "42P01" | "3D000")
                }),
                _ => false,
            },
            _ => false,
        }
    }
}

/// With `pool.pre_ping`, a connection idle this long is pinged before it is handed out.
const PRE_PING_AFTER_IDLE: Duration = Duration::from_secs(1);

#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    engine: DatabaseEngine,
    metrics: Metrics,
    probe: Arc<Probe>,
}

impl Store {
    /// Connects, retrying with exponential backoff (0.5 s, 1 s, 2 s, ... capped at 8 s).
    pub async fn connect(
        settings: &DatabaseSettings,
        metrics: Metrics,
    ) -> Result<Self, StoreError> {
        let mut options = ConnectOptions::new(settings.url.expose().to_owned());
        options
            .max_connections(settings.pool.max_connections)
            .min_connections(settings.pool.size.min(settings.pool.max_connections))
            .max_lifetime(settings.pool.recycle)
            .acquire_timeout(settings.acquire_timeout)
            .connect_timeout(settings.acquire_timeout)
            .idle_timeout(Duration::from_secs(300))
            .sqlx_logging(false);
        if let Some(capacity) = settings.pooled_statement_cache {
            options.map_sqlx_postgres_opts(move |postgres| {
                postgres.statement_cache_capacity(capacity)
            });
        }
        if settings.pool.pre_ping {
            // The spec's pre_ping guards against connections that died while idle (the server's
            // wait_timeout, a failover). A connection used within the last second is alive; a
            // ping before each of its queries would double the round trips of a busy pool.
            options.test_before_acquire_if_idle_for(PRE_PING_AFTER_IDLE);
        } else {
            options.test_before_acquire(false);
        }
        let mut delay = Duration::from_millis(500);
        let mut attempt = 1;
        loop {
            match Database::connect(options.clone()).await {
                Ok(db) => {
                    return Ok(Self {
                        db,
                        engine: settings.engine,
                        metrics,
                        probe: Arc::default(),
                    });
                }
                Err(source) if attempt >= settings.connect_attempts => {
                    return Err(StoreError::Connect {
                        url: settings.url.redacted(),
                        attempts: attempt,
                        source,
                    });
                }
                Err(error) => {
                    tracing::warn!(
                        attempt,
                        url = %settings.url,
                        %error,
                        retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                        "database connection failed"
                    );
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(8));
                    attempt += 1;
                }
            }
        }
    }

    /// Applies pending migrations. Replicas starting together on an empty database race to
    /// create the tables; the loser's attempt fails and is retried, by which time the winner's
    /// work is visible and nothing is left to do.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let mut attempt: u32 = 1;
        loop {
            match Migrator::up(&self.db, None).await {
                Ok(()) => return Ok(()),
                Err(error) if attempt < 3 => {
                    tracing::warn!(attempt, %error, "migration failed, retrying");
                    tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt))).await;
                    attempt += 1;
                }
                Err(error) => return Err(StoreError::Migrate(error)),
            }
        }
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        self.timed("ping", self.db.ping()).await
    }

    /// Whether the database answered a ping, at most `PROBE_MAX_AGE` ago.
    pub async fn reachable(&self) -> bool {
        self.probe
            .check(|| async {
                matches!(
                    tokio::time::timeout(PROBE_TIMEOUT, self.ping()).await,
                    Ok(Ok(()))
                )
            })
            .await
    }

    /// Up to `limit` transactions with an id above `after`, in id order.
    pub async fn list(
        &self,
        after: Option<i64>,
        limit: u64,
    ) -> Result<Vec<Transaction>, StoreError> {
        let mut query = transaction::Entity::find()
            .order_by_asc(transaction::Column::Id)
            .limit(limit);
        if let Some(after) = after {
            query = query.filter(transaction::Column::Id.gt(after));
        }
        let rows = self.timed("select_all", shown(query).all(&self.db)).await?;
        Ok(rows.into_iter().map(Transaction::from).collect())
    }

    pub async fn get(&self, id: i64) -> Result<Option<Transaction>, StoreError> {
        let row = self
            .timed(
                "select_by_id",
                shown(transaction::Entity::find_by_id(id)).one(&self.db),
            )
            .await?;
        Ok(row.map(Transaction::from))
    }

    pub async fn create(
        &self,
        amount: Amount,
        description: Description,
    ) -> Result<i64, StoreError> {
        let inserted = self
            .timed(
                "insert",
                transaction::Entity::insert(new_row(amount, description, Utc::now()))
                    .exec(&self.db),
            )
            .await?;
        Ok(inserted.last_insert_id)
    }

    /// Creates a transaction at most once per idempotency key: a retry with the same key and
    /// the same request gets the first transaction's id back; with another request, `KeyReused`.
    pub async fn create_once(
        &self,
        key: &str,
        amount: Amount,
        description: Description,
    ) -> Result<Creation, StoreError> {
        let fingerprint = format!("{}:{}", amount.cents(), description.as_str());
        if let Some(found) = self.find_key(key).await? {
            return Ok(found.outcome(&fingerprint));
        }
        if uuid::Uuid::new_v4().as_bytes()[0] < 3 {
            self.forget_old_keys().await;
        }
        let now = Utc::now();
        let row = new_row(amount, description, now);
        let attempt = self
            .timed("insert", async {
                let txn = self.db.begin().await?;
                let id = transaction::Entity::insert(row)
                    .exec(&txn)
                    .await?
                    .last_insert_id;
                let claim = idempotency_key::ActiveModel {
                    key: ActiveValue::Set(key.to_owned()),
                    fingerprint: ActiveValue::Set(fingerprint.clone()),
                    transaction_id: ActiveValue::Set(id),
                    created_at: ActiveValue::Set(now),
                };
                idempotency_key::Entity::insert(claim).exec(&txn).await?;
                txn.commit().await?;
                Ok(id)
            })
            .await;
        match attempt {
            Ok(id) => Ok(Creation::Created(id)),
            // A concurrent request with the same key committed first: answer as it did.
            Err(StoreError::Query { source, .. })
                if matches!(source.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) =>
            {
                match self.find_key(key).await? {
                    Some(found) => Ok(found.outcome(&fingerprint)),
                    None => Err(StoreError::Query {
                        operation: "insert",
                        source,
                    }),
                }
            }
            Err(error) => Err(error),
        }
    }

    async fn find_key(&self, key: &str) -> Result<Option<idempotency_key::Model>, StoreError> {
        self.timed(
            "select_idempotency_key",
            idempotency_key::Entity::find_by_id(key.to_owned()).one(&self.db),
        )
        .await
    }

    /// Keys are kept a day, like the usual payment APIs' retry window.
    async fn forget_old_keys(&self) {
        let cutoff = Utc::now() - chrono::Duration::hours(24);
        let purge = idempotency_key::Entity::delete_many()
            .filter(idempotency_key::Column::CreatedAt.lt(cutoff))
            .exec(&self.db);
        if let Err(error) = self.timed("delete_idempotency_keys", purge).await {
            tracing::warn!(%error, "purging old idempotency keys");
        }
    }

    pub async fn delete_all(&self) -> Result<u64, StoreError> {
        let result = self
            .timed(
                "delete_all",
                transaction::Entity::delete_many().exec(&self.db),
            )
            .await?;
        Ok(result.rows_affected)
    }

    pub async fn delete(&self, id: i64) -> Result<bool, StoreError> {
        let result = self
            .timed(
                "delete_by_id",
                transaction::Entity::delete_many()
                    .filter(transaction::Column::Id.eq(id))
                    .exec(&self.db),
            )
            .await?;
        Ok(result.rows_affected > 0)
    }

    /// How many transactions are stored, and the sum of their amounts in cents.
    pub async fn totals(&self) -> Result<(u64, i64), StoreError> {
        let sql = match self.engine {
            DatabaseEngine::Postgres => {
                "SELECT COUNT(*)::BIGINT AS n, COALESCE(SUM(amount_cents), 0)::BIGINT AS total FROM transactions"
            }
            DatabaseEngine::Mysql => {
                "SELECT CAST(COUNT(*) AS SIGNED) AS n, CAST(COALESCE(SUM(amount_cents), 0) AS SIGNED) AS total FROM transactions"
            }
            DatabaseEngine::Sqlite => {
                "SELECT COUNT(*) AS n, COALESCE(SUM(amount_cents), 0) AS total FROM transactions"
            }
        };
        let backend = self.db.get_database_backend();
        let row = self
            .timed(
                "totals",
                self.db.query_one_raw(Statement::from_string(backend, sql)),
            )
            .await?;
        let Some(row) = row else { return Ok((0, 0)) };
        let decode = |source| StoreError::Query {
            operation: "totals",
            source,
        };
        let count: i64 = row.try_get("", "n").map_err(decode)?;
        let total: i64 = row.try_get("", "total").map_err(decode)?;
        Ok((u64::try_from(count).unwrap_or(0), total))
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        if let Err(error) = self.db.close_by_ref().await {
            tracing::warn!(%error, "closing the database pool");
        }
    }

    async fn timed<T>(
        &self,
        operation: &'static str,
        query: impl Future<Output = Result<T, DbErr>>,
    ) -> Result<T, StoreError> {
        let started = Instant::now();
        let result = query.await;
        self.metrics.db_query(operation, started.elapsed());
        let result = result.map_err(|source| StoreError::Query { operation, source });
        if result.as_ref().is_err_and(StoreError::is_unavailable) {
            // /health and /ready tell at once, without waiting for their next probe.
            self.probe.record(false);
        }
        result
    }
}

/// The columns the API shows, read by position: the timestamps stay in the database (a 100-row
/// list decoded two datetimes per row for nothing), and no column is looked up by name.
type Shown = (i64, i64, String);

fn shown(
    query: sea_orm::Select<transaction::Entity>,
) -> sea_orm::Selector<sea_orm::SelectGetableTuple<Shown>> {
    query
        .select_only()
        .columns([
            transaction::Column::Id,
            transaction::Column::AmountCents,
            transaction::Column::Description,
        ])
        .into_tuple()
}

impl From<Shown> for Transaction {
    fn from((id, amount_cents, description): Shown) -> Self {
        Self {
            id,
            amount: Amount::from_cents(amount_cents),
            description,
        }
    }
}

/// A new transaction row, created and updated `now`; the database assigns its id.
fn new_row(
    amount: Amount,
    description: Description,
    now: chrono::DateTime<Utc>,
) -> transaction::ActiveModel {
    transaction::ActiveModel {
        id: ActiveValue::NotSet,
        amount_cents: ActiveValue::Set(amount.cents()),
        description: ActiveValue::Set(description.into_inner()),
        created_at: ActiveValue::Set(now),
        updated_at: ActiveValue::Set(now),
    }
}
