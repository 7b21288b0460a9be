//! The shared Redis connection (one node or a cluster), used by the cache and the rate limiter:
//! every call has a short timeout, and every failure is counted in `redis_errors_total`.

use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{FromRedisValue, Script};

use crate::config::{RedisSettings, SecretUrl};
use crate::probe::Probe;
use crate::telemetry::Metrics;

#[derive(Debug, thiserror::Error)]
pub enum RedisError {
    #[error("redis call timed out after {0:?}")]
    Timeout(Duration),
    #[error("redis call failed: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("redis skipped for {0:?} after a failure")]
    CoolingDown(Duration),
}

/// After a failure Redis is skipped for this long: an outage then costs each replica about one
/// timeout per second instead of one per call, and requests fall back to the database at once.
const COOL_DOWN: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct RedisClient(Arc<Inner>);

struct Inner {
    connection: Connection,
    timeout: Duration,
    metrics: Metrics,
    /// Where it points, password redacted, for logs.
    target: String,
    /// Until when calls are skipped after a failure.
    skip_until: std::sync::Mutex<Option<Instant>>,
    probe: Probe,
}

enum Connection {
    Single(ConnectionManager),
    Cluster(Box<Cluster>),
}

/// A cluster connection is made on first use, so a cluster that is down at start-up is not fatal.
struct Cluster {
    client: ClusterClient,
    connection: tokio::sync::Mutex<Option<ClusterConnection>>,
}

/// One request to Redis: a script (sent as `EVALSHA`, loaded on first use) or a command.
enum Call<'a> {
    Script(redis::ScriptInvocation<'a>),
    Command(redis::Cmd),
}

impl<'a> Call<'a> {
    fn script(script: &'a Script, keys: &[String], args: &[String]) -> Self {
        let mut invocation = script.prepare_invoke();
        for key in keys {
            invocation.key(key);
        }
        for arg in args {
            invocation.arg(arg);
        }
        Self::Script(invocation)
    }

    async fn send<T: FromRedisValue>(
        &self,
        connection: &mut impl redis::aio::ConnectionLike,
    ) -> Result<T, RedisError> {
        Ok(match self {
            Self::Script(invocation) => invocation.invoke_async(connection).await?,
            Self::Command(command) => command.query_async(connection).await?,
        })
    }
}

impl std::fmt::Debug for RedisClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RedisClient({})", self.0.target)
    }
}

impl RedisClient {
    /// Prepares the connection without connecting: a Redis that is down at start-up is not an
    /// error, requests just fall back to the database until it answers.
    pub fn new(settings: &RedisSettings, metrics: Metrics) -> Result<Self, RedisError> {
        let target = settings
            .urls
            .iter()
            .map(SecretUrl::redacted)
            .collect::<Vec<_>>()
            .join(",");
        let connection = if settings.cluster {
            let client =
                ClusterClient::builder(settings.urls.iter().map(|u| u.expose().to_owned()))
                    .connection_timeout(settings.timeout)
                    .response_timeout(settings.timeout)
                    .retries(1)
                    .build()?;
            Connection::Cluster(Box::new(Cluster {
                client,
                connection: tokio::sync::Mutex::new(None),
            }))
        } else {
            let url = settings
                .urls
                .first()
                .map(SecretUrl::expose)
                .unwrap_or("redis://127.0.0.1:6379");
            let client = redis::Client::open(url)?;
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(settings.timeout))
                .set_response_timeout(Some(settings.timeout))
                .set_number_of_retries(1)
                .set_max_delay(Duration::from_millis(200));
            Connection::Single(ConnectionManager::new_lazy_with_config(client, config)?)
        };
        Ok(Self(Arc::new(Inner {
            connection,
            timeout: settings.timeout,
            metrics,
            target,
            skip_until: std::sync::Mutex::new(None),
            probe: Probe::default(),
        })))
    }

    /// Runs a Lua script; all its keys must share a hash slot on a cluster.
    pub async fn invoke<T: FromRedisValue>(
        &self,
        script: &Script,
        keys: &[String],
        args: &[String],
    ) -> Result<T, RedisError> {
        self.run(Call::script(script, keys, args), true).await
    }

    /// Like `invoke`, but tried even during a cool-down: for cache invalidations, which other
    /// replicas rely on, and which a recent failure elsewhere must not suppress.
    pub async fn invoke_now<T: FromRedisValue>(
        &self,
        script: &Script,
        keys: &[String],
        args: &[String],
    ) -> Result<T, RedisError> {
        self.run(Call::script(script, keys, args), false).await
    }

    /// `MGET`: the values of `keys` (nil where missing), which must share a hash slot on a
    /// cluster. A plain command, where a script would cost Redis several times as much.
    pub async fn mget<T: FromRedisValue>(&self, keys: &[String]) -> Result<T, RedisError> {
        let mut command = redis::cmd("MGET");
        for key in keys {
            command.arg(key);
        }
        self.run(Call::Command(command), true).await
    }

    async fn run<T: FromRedisValue>(
        &self,
        call: Call<'_>,
        respect_cool_down: bool,
    ) -> Result<T, RedisError> {
        let call = async {
            match &self.0.connection {
                Connection::Single(manager) => call.send(&mut manager.clone()).await,
                Connection::Cluster(cluster) => {
                    let mut connection = {
                        let mut slot = cluster.connection.lock().await;
                        match slot.as_ref() {
                            Some(existing) => existing.clone(),
                            None => {
                                let fresh = cluster.client.get_async_connection().await?;
                                *slot = Some(fresh.clone());
                                fresh
                            }
                        }
                    };
                    call.send(&mut connection).await
                }
            }
        };
        self.counted(call, respect_cool_down).await
    }

    pub async fn ping(&self) -> Result<(), RedisError> {
        static PING: LazyLock<Script> = LazyLock::new(|| Script::new("return redis.call('PING')"));
        // Always really asked, so /health tells the truth and a success ends a cool-down.
        let _pong: String = self.invoke_now(&PING, &[], &[]).await?;
        Ok(())
    }

    /// Whether Redis answered a ping, at most `PROBE_MAX_AGE` ago.
    pub async fn reachable(&self) -> bool {
        self.0
            .probe
            .check(|| async { self.ping().await.is_ok() })
            .await
    }

    async fn counted<T>(
        &self,
        call: impl Future<Output = Result<T, RedisError>>,
        respect_cool_down: bool,
    ) -> Result<T, RedisError> {
        if respect_cool_down && self.cooling_down() {
            self.0.metrics.redis_error();
            tracing::debug!(redis = %self.0.target, "redis skipped after a recent failure");
            return Err(RedisError::CoolingDown(COOL_DOWN));
        }
        let result = match tokio::time::timeout(self.0.timeout, call).await {
            Ok(result) => result,
            Err(_elapsed) => Err(RedisError::Timeout(self.0.timeout)),
        };
        match &result {
            Err(error) => {
                self.0.metrics.redis_error();
                tracing::warn!(redis = %self.0.target, %error, "redis unavailable, falling back");
                *self.skip_until() = Some(Instant::now() + COOL_DOWN);
            }
            // A call that got through ends any cool-down.
            Ok(_) => *self.skip_until() = None,
        }
        result
    }

    fn cooling_down(&self) -> bool {
        let mut skip_until = self.skip_until();
        match *skip_until {
            Some(until) if Instant::now() < until => true,
            Some(_) => {
                *skip_until = None;
                false
            }
            None => false,
        }
    }

    fn skip_until(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        // The guarded value is a plain timestamp: a poisoned lock still holds a valid one.
        self.0
            .skip_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
