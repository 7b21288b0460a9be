//! The shared Redis connection (one node or a cluster), used by the cache and the rate limiter:
//! every call has a short timeout, and every failure is counted in `redis_errors_total`.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{FromRedisValue, Script};

use crate::config::RedisSettings;
use crate::telemetry::Metrics;

#[derive(Debug, thiserror::Error)]
pub enum RedisError {
    #[error("redis call timed out after {0:?}")]
    Timeout(Duration),
    #[error("redis call failed: {0}")]
    Redis(#[from] redis::RedisError),
}

#[derive(Clone)]
pub struct RedisClient(Arc<Inner>);

struct Inner {
    connection: Connection,
    timeout: Duration,
    metrics: Metrics,
    /// Where it points, password redacted, for logs.
    target: String,
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
            .map(|u| u.redacted())
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
                .map(|u| u.expose())
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
        })))
    }

    /// Runs a Lua script; all its keys must share a hash slot on a cluster.
    pub async fn invoke<T: FromRedisValue>(
        &self,
        script: &Script,
        keys: &[String],
        args: &[String],
    ) -> Result<T, RedisError> {
        let mut invocation = script.prepare_invoke();
        for key in keys {
            invocation.key(key);
        }
        for arg in args {
            invocation.arg(arg);
        }
        let call = async {
            match &self.0.connection {
                Connection::Single(manager) => {
                    let mut manager = manager.clone();
                    Ok(invocation.invoke_async(&mut manager).await?)
                }
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
                    Ok(invocation.invoke_async(&mut connection).await?)
                }
            }
        };
        self.counted(call).await
    }

    pub async fn ping(&self) -> Result<(), RedisError> {
        static PING: LazyLock<Script> = LazyLock::new(|| Script::new("return redis.call('PING')"));
        let _pong: String = self.invoke(&PING, &[], &[]).await?;
        Ok(())
    }

    async fn counted<T>(
        &self,
        call: impl Future<Output = Result<T, RedisError>>,
    ) -> Result<T, RedisError> {
        let result = match tokio::time::timeout(self.0.timeout, call).await {
            Ok(result) => result,
            Err(_elapsed) => Err(RedisError::Timeout(self.0.timeout)),
        };
        if let Err(error) = &result {
            self.0.metrics.redis_error();
            tracing::warn!(redis = %self.0.target, %error, "redis unavailable, falling back");
        }
        result
    }
}
