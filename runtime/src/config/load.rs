//! The spec the runtime serves, loaded through the generator (its one reader), and the
//! settings of one of its environments.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use generator::model::Model;

use super::error::ConfigError;
use super::settings::{
    CacheSettings, ClientTimeouts, DatabaseEngine, RateLimit, RouteSettings, Settings,
};
use super::vars::{Vars, database_from_vars, redis_from_vars, tracing_from_vars};

/// Where the runtime reads its spec when neither `--spec` nor `PLATFORM_SPEC` is given.
pub const DEFAULT_SPEC_PATH: &str = "specs/expense.toml";
/// The environment used when neither `--env` nor `ENVIRONMENT` is given.
pub const DEFAULT_ENVIRONMENT: &str = "dev";

/// The spec compiled into the binary, used when no spec file is found at the default path,
/// so `cargo run -p runtime` works on a bare machine.
pub const EMBEDDED_SPEC: &str = include_str!("../../../specs/expense.toml");

/// Where the spec came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpecSource {
    File(PathBuf),
    Embedded,
}

/// Loads the spec through the generator (the one reader of the spec): from `path` when given
/// or when the default file exists, else the embedded copy.
pub fn load_model(path: Option<&Path>) -> Result<(Model, SpecSource), ConfigError> {
    let (path, explicit) = match path {
        Some(path) => (path.to_path_buf(), true),
        None => (PathBuf::from(DEFAULT_SPEC_PATH), false),
    };
    if explicit || path.exists() {
        let model = Model::load(&path).map_err(|error| ConfigError::Spec(error.to_string()))?;
        return Ok((model, SpecSource::File(path)));
    }
    let model = Model::load_str(DEFAULT_SPEC_PATH, EMBEDDED_SPEC)
        .map_err(|error| ConfigError::Spec(error.to_string()))?;
    Ok((model, SpecSource::Embedded))
}

impl Settings {
    /// Settings for environment `environment` of a loaded spec.
    pub fn from_model(
        model: &Model,
        environment: &str,
        listen: Option<SocketAddr>,
        vars: &Vars,
    ) -> Result<Self, ConfigError> {
        let Some(resolved) = model.environments.get(environment) else {
            return Err(ConfigError::UnknownEnvironment {
                name: environment.to_owned(),
                defined: model
                    .environments
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        let (service, api) = model
            .runtime_service(vars.get("SERVICE"))
            .map_err(|error| ConfigError::Spec(error.to_string()))?;
        let app = &resolved.app;
        // Its own sizing in this environment: how many replicas may share the cache and limits.
        let sizing = resolved.settings_of(service);
        let routes = api
            .routes
            .iter()
            .map(|route| RouteSettings {
                method: route.method,
                path: route.path.as_str().to_owned(),
                handler: route.handler,
                cached: route.cached,
                rate_limit: route.rate_limit.as_ref().map(|limit| RateLimit {
                    requests: limit.requests,
                    window: limit.window.value(),
                }),
                body_limit_bytes: route.body_limit_bytes,
            })
            .collect();
        let listen = match listen {
            Some(addr) => addr,
            // Loopback unless told otherwise: a developer's run is not on the network. The chart
            // and the image set LISTEN_ADDR to every interface.
            None => SocketAddr::from(([127, 0, 0, 1], sizing.port)),
        };
        let redis_timeout = Duration::from_millis(u64::from(app.redis_timeout_ms));
        let redis = redis_from_vars(vars, redis_timeout)?;
        let default_prefix = if redis.as_ref().is_some_and(|r| r.cluster) {
            // One hash slot for every key, so multi-key scripts work on a cluster.
            format!("{{{}}}:", service.name)
        } else {
            String::new()
        };
        let database = database_from_vars(vars, &resolved.database)?;
        let in_process = database.engine == DatabaseEngine::Sqlite
            || (sizing.replicas <= 1 && sizing.autoscaling.max_replicas <= 1);
        Ok(Settings {
            service_name: service.name.clone(),
            environment: environment.to_owned(),
            listen,
            routes,
            max_page_size: api.max_page_size,
            shutdown_grace: Duration::from_secs(u64::from(service.shutdown_grace_seconds)),
            log_level: app.log_level,
            database,
            cache: CacheSettings {
                ttl: Duration::from_secs(u64::from(app.cache_ttl_seconds)),
                key_prefix: match vars.get("REDIS_KEY_PREFIX") {
                    // On a cluster every key of a script must share a slot: force a hash tag.
                    Some(prefix)
                        if redis.as_ref().is_some_and(|r| r.cluster) && !prefix.contains('{') =>
                    {
                        format!("{{{prefix}}}")
                    }
                    Some(prefix) => prefix.to_owned(),
                    None => default_prefix,
                },
                fill_gate: None,
                in_process,
            },
            redis,
            trust_forwarded_for: vars.flag("TRUST_X_FORWARDED_FOR")?,
            client_timeouts: ClientTimeouts::default(),
            max_replicas: sizing.replicas.max(sizing.autoscaling.max_replicas).max(1),
            tracing: tracing_from_vars(vars, &service.name)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use generator::spec::{Handler, Method};

    use crate::config::SecretUrl;

    use super::*;

    #[test]
    fn the_embedded_spec_resolves_for_every_environment() {
        let model =
            Model::load_str(DEFAULT_SPEC_PATH, EMBEDDED_SPEC).expect("the committed spec is valid");
        for name in model.environments.keys() {
            let settings =
                Settings::from_model(&model, name, None, &Vars::default()).expect("settings");
            assert!(
                settings
                    .routes
                    .iter()
                    .any(|r| r.handler == Handler::ListTransactions)
            );
            assert_eq!(settings.database.engine, DatabaseEngine::Sqlite);
        }
    }

    #[test]
    fn each_environment_takes_its_own_ttl_pool_and_limits_from_the_spec() {
        let model = Model::load_str(DEFAULT_SPEC_PATH, EMBEDDED_SPEC).expect("spec");
        let settings = |env: &str| {
            Settings::from_model(&model, env, None, &Vars::default()).expect("settings")
        };
        let (dev, prod) = (settings("dev"), settings("prod"));
        assert_eq!(dev.cache.ttl, Duration::from_secs(60));
        assert_eq!(prod.cache.ttl, Duration::from_secs(300));
        assert_eq!(prod.database.pool.size, 10);
        assert_eq!(prod.database.pool.max_connections, 30);
        assert_eq!(prod.listen, SocketAddr::from(([127, 0, 0, 1], 8080)));
        assert_eq!(prod.shutdown_grace, Duration::from_secs(20));
        let route = |method: Method, handler: Handler| {
            prod.routes
                .iter()
                .find(|r| r.method == method && r.handler == handler)
                .cloned()
                .expect("route")
        };
        let default_limit = Some(RateLimit {
            requests: 100,
            window: Duration::from_secs(60),
        });
        assert_eq!(
            route(Method::Get, Handler::ListTransactions).rate_limit,
            default_limit
        );
        assert_eq!(route(Method::Get, Handler::Health).rate_limit, None);
        // The document and the docs page are not limited like the API, though the spec writes
        // no `rate_limit` for them.
        assert_eq!(route(Method::Get, Handler::Openapi).rate_limit, None);
        assert_eq!(route(Method::Get, Handler::Docs).rate_limit, None);
        assert_eq!(
            route(Method::Delete, Handler::DeleteAllTransactions)
                .rate_limit
                .map(|l| l.requests),
            Some(10)
        );
        assert_eq!(
            route(Method::Post, Handler::CreateTransaction).body_limit_bytes,
            4096
        );
        assert!(route(Method::Get, Handler::GetTransaction).cached);
        assert!(!route(Method::Delete, Handler::DeleteTransaction).cached);
    }

    #[test]
    fn an_in_process_cache_stands_in_for_redis_only_where_no_other_replica_writes() {
        let model = Model::load_str(DEFAULT_SPEC_PATH, EMBEDDED_SPEC).expect("spec");
        let in_process = |pairs: Vec<(&str, &str)>| {
            Settings::from_model(&model, "dev", None, &Vars::from_pairs(pairs))
                .expect("settings")
                .cache
                .in_process
        };
        assert!(in_process(vec![]));
        assert!(!in_process(vec![("DATABASE_URL", "mysql://u@db/x")]));
    }

    #[test]
    fn an_unknown_environment_names_the_defined_ones() {
        let model =
            Model::load_str(DEFAULT_SPEC_PATH, EMBEDDED_SPEC).expect("the committed spec is valid");
        let error =
            Settings::from_model(&model, "nope", None, &Vars::default()).expect_err("unknown");
        assert!(error.to_string().contains("dev"), "{error}");
    }

    #[test]
    fn the_service_served_is_the_one_named_by_service_and_must_be_the_runtimes() {
        let model =
            Model::load_str(DEFAULT_SPEC_PATH, EMBEDDED_SPEC).expect("the committed spec is valid");
        let named = |name: &'static str| {
            Settings::from_model(
                &model,
                "dev",
                None,
                &Vars::from_pairs(vec![("SERVICE", name)]),
            )
        };
        let settings = named("expense-backend").expect("the runtime's service");
        assert_eq!(settings.service_name, "expense-backend");
        let error = named("billing").expect_err("not in the spec");
        assert_eq!(
            error.to_string(),
            "no runtime-backed service is named `billing` (the spec's runtime-backed services: \
             expense-backend)"
        );
    }

    #[test]
    fn a_cluster_key_prefix_always_carries_a_hash_tag() {
        let model = Model::load_str(DEFAULT_SPEC_PATH, EMBEDDED_SPEC).expect("spec");
        let cluster = |prefix: Option<&'static str>| {
            let mut pairs = vec![
                ("REDIS_URL", "redis://a:6379,redis://b:6379"),
                ("REDIS_CLUSTER", "true"),
            ];
            if let Some(prefix) = prefix {
                pairs.push(("REDIS_KEY_PREFIX", prefix));
            }
            Settings::from_model(&model, "dev", None, &Vars::from_pairs(pairs))
                .expect("settings")
                .cache
                .key_prefix
        };
        assert_eq!(cluster(None), "{expense-backend}:");
        assert_eq!(cluster(Some("app:")), "{app:}");
        assert_eq!(cluster(Some("{app}:")), "{app}:");
        let single = Settings::from_model(
            &model,
            "dev",
            None,
            &Vars::from_pairs([("REDIS_URL", "redis://a")]),
        )
        .expect("settings");
        assert_eq!(single.cache.key_prefix, "");
        assert_eq!(single.redis.expect("redis").urls.len(), 1);
    }

    /// The wiring end to end: the values the generator renders for the guide's prod (a Redis
    /// Cluster), with the host and token the ExternalSecret adds, start the cluster client over
    /// TLS with every key under the service's hash tag.
    #[test]
    fn the_chart_values_of_a_cluster_cache_start_the_cluster_client() {
        let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs/money-tracking.toml");
        let model = Model::load(&spec).expect("the guide's spec is valid");
        let prod = &model.environments["prod"];
        let service = model
            .service("transaction-service")
            .expect("the runtime's service");
        let values = generator::render::helm_values::values(&model, prod, service);
        let mut pairs: Vec<(&str, &str)> = values
            .config
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        // What the ExternalSecret adds from the Redis secret (the configuration endpoint) and
        // the database's (the credentials; its address is PgBouncer's, in the values).
        pairs.extend([
            ("REDIS_HOST", "clustercfg.money-tracking-prod.example"),
            ("REDIS_AUTH_TOKEN", "token"),
            ("DB_USER", "money_tracking"),
            ("DB_PWD", "secret"),
        ]);
        let settings =
            Settings::from_model(&model, "prod", None, &Vars::from_pairs(pairs)).expect("settings");
        // Prod's database is behind PgBouncer in transaction mode: the runtime connects to its
        // Service, as its own entry, and keeps no more statements than PgBouncer tracks.
        assert!(
            settings.database.url.redacted().ends_with(
                "@pgbouncer.money-tracking-prod.svc.cluster.local:6432/transaction-service"
            ),
            "{}",
            settings.database.url.redacted()
        );
        assert_eq!(settings.database.pooled_statement_cache, Some(100));
        let redis = settings.redis.expect("redis is configured");
        assert!(redis.cluster, "the cluster client");
        assert_eq!(
            redis
                .urls
                .iter()
                .map(SecretUrl::redacted)
                .collect::<Vec<_>>(),
            ["rediss://:***@clustercfg.money-tracking-prod.example:6379"]
        );
        assert_eq!(settings.cache.key_prefix, "{transaction-service}:");
        let metrics = crate::telemetry::Metrics::new().expect("metrics");
        crate::redis_client::RedisClient::new(&redis, metrics)
            .expect("the cluster client takes a TLS seed node");
    }
}
