//! Wiring: connect and migrate the database, prepare Redis, bind the listener, serve until a
//! signal (or a test) asks to stop, then drain in-flight requests and close the pools.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use salvo::conn::{Acceptor, TcpListener};
use salvo::fuse::FuseConfig;
use salvo::prelude::*;
use salvo::server::ServerHandle;

use crate::cache::Cache;
use crate::config::Settings;
use crate::rate_limit::RateLimiter;
use crate::redis_client::{RedisClient, RedisError};
use crate::routes::{self, AppState};
use crate::store::{Store, StoreError};
use crate::telemetry::{Metrics, TelemetryError};
use crate::traces::{Traces, TracesError};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Telemetry(#[from] TelemetryError),
    #[error(transparent)]
    Traces(#[from] TracesError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("invalid Redis settings: {0}")]
    Redis(#[from] RedisError),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: SocketAddr,
        #[source]
        source: salvo::Error,
    },
    #[error("the listener reports no local address")]
    NoAddress,
}

/// A bound, ready server.
pub struct App {
    address: SocketAddr,
    server: Server<salvo::conn::tcp::TcpAcceptor>,
    service: Service,
    state: Arc<AppState>,
}

/// Stops a running `App` gracefully: stop accepting, finish in-flight requests.
#[derive(Clone)]
pub struct Shutdown {
    handle: ServerHandle,
    grace: std::time::Duration,
}

impl Shutdown {
    pub fn stop(&self) {
        self.handle.stop_graceful(self.grace);
    }
}

impl App {
    /// Connects (with retries), migrates, and binds `settings.listen` (port 0 picks a free port).
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let settings = Arc::new(settings);
        let metrics = Metrics::new()?;
        let store = Store::connect(&settings.database, metrics.clone()).await?;
        store.migrate().await?;
        let redis = match &settings.redis {
            Some(redis) => Some(RedisClient::new(redis, metrics.clone())?),
            None => None,
        };
        let cache = match &redis {
            Some(client) => Cache::redis(client.clone(), settings.cache.clone(), metrics.clone()),
            None if settings.cache.in_process => {
                Cache::in_process(settings.cache.clone(), metrics.clone())
            }
            None => {
                tracing::warn!(
                    "no Redis configured and the database is shared by several replicas: \
                     caching is off, so no replica can serve another's stale data"
                );
                Cache::off(settings.cache.clone(), metrics.clone())
            }
        };
        let limiter = RateLimiter::new(
            redis.clone(),
            settings.cache.key_prefix.clone(),
            metrics.clone(),
        );
        let traces = match &settings.tracing {
            Some(tracing) => Some(Traces::start(tracing.clone()).await?),
            None => None,
        };
        let state = Arc::new(AppState {
            settings: settings.clone(),
            store,
            cache,
            limiter,
            metrics,
            redis,
            traces,
            openapi: OnceLock::new(),
        });
        let service = routes::service(&state);
        let acceptor = TcpListener::new(settings.listen)
            .try_bind()
            .await
            .map_err(|source| StartupError::Bind {
                address: settings.listen,
                source,
            })?;
        let address = acceptor
            .holdings()
            .first()
            .and_then(|holding| holding.local_addr.clone().into_std())
            .ok_or(StartupError::NoAddress)?;
        let timeouts = settings.client_timeouts;
        // Salvo's default fuse already bounds the header read (30 s); ours is tighter, and also
        // bounds a body that stalls half-way.
        let server = Server::new(acceptor).fuse_config(
            FuseConfig::default()
                .with_http1_header_timeout(timeouts.header_read)
                .with_request_body_timeout(timeouts.body_read),
        );
        tracing::info!(
            address = %address,
            environment = %settings.environment,
            database = %settings.database.url,
            cache = state.cache.kind(),
            "listening"
        );
        Ok(Self {
            address,
            server,
            service,
            state,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn shutdown(&self) -> Shutdown {
        Shutdown {
            handle: self.server.handle(),
            grace: self.state.settings.shutdown_grace,
        }
    }

    /// Serves until `shutdown` is used or, with `signals`, SIGTERM/SIGINT arrives; then waits up
    /// to the spec's grace period for in-flight requests and closes the pools.
    pub async fn run(self, signals: bool) {
        let shutdown = self.shutdown();
        if signals {
            tokio::spawn(async move {
                wait_for_signal().await;
                tracing::info!("shutdown signal received, draining in-flight requests");
                shutdown.stop();
            });
        }
        self.server.serve(self.service).await;
        self.state.store.close().await;
        self.state.metrics.shutdown();
        if let Some(traces) = &self.state.traces {
            traces.shutdown().await;
        }
        tracing::info!("stopped");
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {},
                    _ = int.recv() => {},
                }
            }
            _ => {
                let _ctrl_c = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ctrl_c = tokio::signal::ctrl_c().await;
    }
}
