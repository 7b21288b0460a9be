//! Runtime settings: the spec's service, routes and environment, plus connection settings
//! from environment variables, resolved into one `Settings` value.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use generator::model::Model;
use generator::spec::{self, Engine, Handler, LogLevel, Method};

use crate::cache::FillGate;

/// Where the runtime reads its spec when neither `--spec` nor `PLATFORM_SPEC` is given.
pub const DEFAULT_SPEC_PATH: &str = "specs/expense.toml";
/// The environment used when neither `--env` nor `ENVIRONMENT` is given.
pub const DEFAULT_ENVIRONMENT: &str = "dev";
/// The SQLite file used when no database is configured.
pub const DEFAULT_SQLITE_PATH: &str = "expense.sqlite3";

/// Everything the running service needs, already validated.
#[derive(Clone, Debug)]
pub struct Settings {
    pub service_name: String,
    pub environment: String,
    pub listen: SocketAddr,
    pub routes: Vec<RouteSettings>,
    pub max_page_size: u32,
    pub shutdown_grace: Duration,
    pub log_level: LogLevel,
    pub database: DatabaseSettings,
    pub cache: CacheSettings,
    pub redis: Option<RedisSettings>,
    /// Use the last `X-Forwarded-For` hop (the one the load balancer saw) as the client for
    /// rate limiting, instead of the TCP peer.
    pub trust_forwarded_for: bool,
    /// How long a client may take to send a request, so slow or stalled clients cannot hold
    /// connections open.
    pub client_timeouts: ClientTimeouts,
}

/// Limits on slow clients (a Slowloris client sends its request a byte at a time and never
/// finishes): past them the connection is closed, or the request answered with a 4xx.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientTimeouts {
    /// The request line and headers must arrive within this after the connection opens (or
    /// after the previous response on a kept-alive connection); else the connection is closed.
    pub header_read: Duration,
    /// Longest pause between two pieces of a request body; past it the request fails as a 400.
    pub body_read: Duration,
}

impl Default for ClientTimeouts {
    /// Far above what a real client needs (a whole request head is one packet), far below
    /// what lets a few thousand idle sockets pin the process.
    fn default() -> Self {
        Self {
            header_read: Duration::from_secs(10),
            body_read: Duration::from_secs(10),
        }
    }
}

/// One served route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteSettings {
    pub method: Method,
    /// Route template as the spec writes it, for example `/transaction/{id}`.
    pub path: String,
    pub handler: Handler,
    pub cached: bool,
    pub rate_limit: Option<RateLimit>,
    pub body_limit_bytes: u64,
}

/// A request budget per client and route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub window: Duration,
}

#[derive(Clone, Debug)]
pub struct DatabaseSettings {
    pub url: SecretUrl,
    pub engine: DatabaseEngine,
    pub pool: PoolSettings,
    /// Attempts at start-up before giving up, with exponential backoff between them.
    pub connect_attempts: u32,
    pub acquire_timeout: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatabaseEngine {
    Sqlite,
    Mysql,
    Postgres,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolSettings {
    /// Connections kept open (the spec's `pool.size`).
    pub size: u32,
    /// Largest number of connections: `pool.size + pool.max_overflow`.
    pub max_connections: u32,
    pub recycle: Duration,
    pub pre_ping: bool,
}

#[derive(Clone, Debug)]
pub struct CacheSettings {
    pub ttl: Duration,
    /// Prefix of every Redis key this replica writes (cache, versions and rate limits).
    pub key_prefix: String,
    /// Whether a cache in this process's memory may stand in for Redis: only when no other
    /// replica can write the same data behind its back (SQLite, or a single replica).
    pub in_process: bool,
    /// Test seam: when set, a cache fill waits here between the database read and the write
    /// to the cache, so a test can make a slow reader race a writer deterministically.
    pub fill_gate: Option<Arc<FillGate>>,
}

#[derive(Clone, Debug)]
pub struct RedisSettings {
    /// One URL, or the seed nodes of a cluster.
    pub urls: Vec<SecretUrl>,
    pub cluster: bool,
    pub timeout: Duration,
}

/// A connection URL whose password never shows in `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl(String);

impl SecretUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL with its password, for the driver only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with any password replaced by `***`.
    pub fn redacted(&self) -> String {
        let Some((scheme, rest)) = self.0.split_once("://") else {
            return self.0.clone();
        };
        let authority_end = rest.find('/').unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        match authority.rsplit_once('@') {
            Some((user_info, host)) => {
                let user = user_info
                    .split_once(':')
                    .map_or(user_info, |(user, _)| user);
                if user_info.contains(':') {
                    format!("{scheme}://{user}:***@{host}{tail}")
                } else {
                    format!("{scheme}://{user}@{host}{tail}")
                }
            }
            None => self.0.clone(),
        }
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment `{name}` is not defined in the spec (defined: {defined})")]
    UnknownEnvironment { name: String, defined: String },
    #[error("{name}=`{value}` is not {expected}")]
    BadVariable {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("{name}=`{value}` is not a TCP port: {source}")]
    BadPort {
        name: &'static str,
        value: String,
        #[source]
        source: std::num::ParseIntError,
    },
    #[error("DATABASE_URL must start with sqlite:, mysql:, mariadb: or postgres: (got `{0}`)")]
    UnknownDatabaseScheme(String),
    #[error("DB_HOST is set but {0} is not")]
    MissingDatabaseVariable(&'static str),
    #[error("{0}")]
    Spec(String),
}

/// A snapshot of environment variables, so settings can be resolved from a test's own map.
#[derive(Clone, Debug, Default)]
pub struct Vars(BTreeMap<String, String>);

impl Vars {
    pub fn from_process() -> Self {
        Self(std::env::vars().collect())
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        )
    }

    /// A variable's value; an empty value counts as unset.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    fn flag(&self, name: &'static str) -> Result<bool, ConfigError> {
        match self.get(name) {
            None => Ok(false),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "0" | "false" | "no" | "off" => Ok(false),
                _ => Err(ConfigError::BadVariable {
                    name,
                    value: v.to_owned(),
                    expected: "a boolean (true/false)",
                }),
            },
        }
    }
}

/// The spec compiled into the binary, used when no spec file is found at the default path,
/// so `cargo run -p runtime` works on a bare machine.
pub const EMBEDDED_SPEC: &str = include_str!("../../specs/expense.toml");

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
        let service = &model.service;
        let app = &resolved.app;
        let routes = model
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
            None => SocketAddr::from(([127, 0, 0, 1], service.port)),
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
            || (app.replicas <= 1 && app.autoscaling.max_replicas <= 1);
        Ok(Settings {
            service_name: service.name.clone(),
            environment: environment.to_owned(),
            listen,
            routes,
            max_page_size: service.max_page_size,
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
        })
    }
}

fn pool_settings(pool: &spec::Pool) -> PoolSettings {
    PoolSettings {
        size: pool.size,
        max_connections: pool.size.saturating_add(pool.max_overflow).max(1),
        recycle: Duration::from_secs(u64::from(pool.recycle_seconds)),
        pre_ping: pool.pre_ping,
    }
}

fn database_from_vars(
    vars: &Vars,
    database: &spec::Database,
) -> Result<DatabaseSettings, ConfigError> {
    let (url, engine) = if let Some(url) = vars.get("DATABASE_URL") {
        let engine = engine_of_url(url)
            .ok_or_else(|| ConfigError::UnknownDatabaseScheme(SecretUrl::new(url).redacted()))?;
        (SecretUrl::new(url), engine)
    } else if let Some(host) = vars.get("DB_HOST") {
        let user = vars
            .get("DB_USER")
            .ok_or(ConfigError::MissingDatabaseVariable("DB_USER"))?;
        let name = vars.get("DB_DATABASE").unwrap_or(&database.name);
        let (scheme, engine, default_port) = match database.engine {
            Engine::Mysql => ("mysql", DatabaseEngine::Mysql, 3306),
            Engine::Postgres => ("postgres", DatabaseEngine::Postgres, 5432),
        };
        let port = match vars.get("DB_PORT") {
            None => default_port,
            Some(p) => p.parse::<u16>().map_err(|source| ConfigError::BadPort {
                name: "DB_PORT",
                value: p.to_owned(),
                source,
            })?,
        };
        let credentials = match vars.get("DB_PWD") {
            Some(pwd) => format!("{}:{}", percent_encode(user), percent_encode(pwd)),
            None => percent_encode(user),
        };
        (
            SecretUrl::new(format!(
                "{scheme}://{credentials}@{host}:{port}/{}",
                percent_encode(name)
            )),
            engine,
        )
    } else {
        let path = vars.get("SQLITE_PATH").unwrap_or(DEFAULT_SQLITE_PATH);
        (
            SecretUrl::new(format!("sqlite://{path}?mode=rwc")),
            DatabaseEngine::Sqlite,
        )
    };
    let connect_attempts =
        match vars.get("DB_CONNECT_ATTEMPTS") {
            None => 5,
            Some(v) => v.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
                ConfigError::BadVariable {
                    name: "DB_CONNECT_ATTEMPTS",
                    value: v.to_owned(),
                    expected: "a positive integer",
                }
            })?,
        };
    Ok(DatabaseSettings {
        url,
        engine,
        pool: pool_settings(&database.pool),
        connect_attempts,
        acquire_timeout: Duration::from_secs(5),
    })
}

fn engine_of_url(url: &str) -> Option<DatabaseEngine> {
    let scheme = url.split_once(':')?.0;
    match scheme {
        "sqlite" => Some(DatabaseEngine::Sqlite),
        "mysql" | "mariadb" => Some(DatabaseEngine::Mysql),
        "postgres" | "postgresql" => Some(DatabaseEngine::Postgres),
        _ => None,
    }
}

fn redis_from_vars(vars: &Vars, timeout: Duration) -> Result<Option<RedisSettings>, ConfigError> {
    let cluster = vars.flag("REDIS_CLUSTER")?;
    let urls = if let Some(urls) = vars.get("REDIS_URL") {
        urls.split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(SecretUrl::new)
            .collect()
    } else if let Some(host) = vars.get("REDIS_HOST") {
        let port = match vars.get("REDIS_PORT") {
            None => 6379,
            Some(p) => p.parse::<u16>().map_err(|source| ConfigError::BadPort {
                name: "REDIS_PORT",
                value: p.to_owned(),
                source,
            })?,
        };
        let scheme = if vars.flag("REDIS_TLS")? {
            "rediss"
        } else {
            "redis"
        };
        let auth = vars
            .get("REDIS_AUTH_TOKEN")
            .map(|token| format!(":{}@", percent_encode(token)))
            .unwrap_or_default();
        vec![SecretUrl::new(format!("{scheme}://{auth}{host}:{port}"))]
    } else {
        return Ok(None);
    };
    Ok(Some(RedisSettings {
        urls,
        cluster,
        timeout,
    }))
}

/// Percent-encodes everything but RFC 3986 unreserved characters (passwords hold `@`, `:`...).
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_never_shows_in_a_redacted_url() {
        let url = SecretUrl::new("mysql://expense:ExpenseApp%401@db.example.com:3306/expense");
        assert_eq!(
            url.redacted(),
            "mysql://expense:***@db.example.com:3306/expense"
        );
        assert!(!format!("{url:?}").contains("ExpenseApp"));
    }

    #[test]
    fn the_seed_variables_build_an_encoded_mysql_url() {
        let vars = Vars::from_pairs([
            ("DB_HOST", "db.internal"),
            ("DB_USER", "expense"),
            ("DB_PWD", "ExpenseApp@1"),
            ("DB_DATABASE", "expense"),
        ]);
        let db =
            database_from_vars(&vars, &crate::config::tests::database_spec()).expect("settings");
        assert_eq!(
            db.url.expose(),
            "mysql://expense:ExpenseApp%401@db.internal:3306/expense"
        );
        assert_eq!(db.engine, DatabaseEngine::Mysql);
        assert_eq!(db.pool.max_connections, 30);
    }

    #[test]
    fn no_database_variables_mean_an_embedded_sqlite_file() {
        let db = database_from_vars(&Vars::default(), &database_spec()).expect("settings");
        assert_eq!(db.engine, DatabaseEngine::Sqlite);
        assert!(db.url.expose().starts_with("sqlite://"));
    }

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
    fn the_seed_variables_follow_the_spec_engine_for_postgres() {
        let mut spec = database_spec();
        spec.engine = Engine::Postgres;
        let vars = Vars::from_pairs([("DB_HOST", "pg"), ("DB_USER", "app")]);
        let db = database_from_vars(&vars, &spec).expect("settings");
        assert_eq!(db.url.expose(), "postgres://app@pg:5432/expense");
        assert_eq!(db.engine, DatabaseEngine::Postgres);
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
    fn redis_host_tls_and_token_become_a_rediss_url() {
        let vars = Vars::from_pairs([
            ("REDIS_HOST", "cache"),
            ("REDIS_TLS", "true"),
            ("REDIS_AUTH_TOKEN", "s3cr:t"),
        ]);
        let redis = redis_from_vars(&vars, Duration::from_millis(50))
            .expect("ok")
            .expect("configured");
        assert_eq!(redis.urls[0].expose(), "rediss://:s3cr%3At@cache:6379");
        assert_eq!(redis.urls[0].redacted(), "rediss://:***@cache:6379");
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

    pub(crate) fn database_spec() -> spec::Database {
        spec::Database {
            engine: Engine::Mysql,
            version: "8.0".into(),
            instance_class: "db.t3.micro".into(),
            allocated_storage_gb: 20,
            max_allocated_storage_gb: 100,
            multi_az: false,
            backup_retention_days: 7,
            deletion_protection: false,
            performance_insights: false,
            name: "expense".into(),
            username: "expense".into(),
            pool: spec::Pool {
                size: 10,
                max_overflow: 20,
                recycle_seconds: 3600,
                pre_ping: true,
            },
            parameters: BTreeMap::new(),
        }
    }
}
