//! Connection settings from environment variables: the database (`DATABASE_URL`, or the seed's
//! `DB_*`), Redis (`REDIS_URL`, or `REDIS_HOST`, ...), and flags.

use std::collections::BTreeMap;
use std::time::Duration;

use generator::model::{Database, Engine, Pool, PoolMode};

use super::error::ConfigError;
use super::settings::{
    DatabaseEngine, DatabaseSettings, PoolSettings, RedisSettings, Sampling, SecretUrl,
    TracingSettings,
};

/// The SQLite file used when no database is configured.
pub const DEFAULT_SQLITE_PATH: &str = "expense.sqlite3";

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

    pub(super) fn flag(&self, name: &'static str) -> Result<bool, ConfigError> {
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

/// Tracing, where `OTEL_EXPORTER_OTLP_ENDPOINT` names a collector: the SDK's sampler names
/// (default `parentbased_always_on`), its ratio, the service name and resource attributes.
pub(super) fn tracing_from_vars(
    vars: &Vars,
    service: &str,
) -> Result<Option<TracingSettings>, ConfigError> {
    let Some(endpoint) = vars.get("OTEL_EXPORTER_OTLP_ENDPOINT") else {
        return Ok(None);
    };
    if let Some(protocol) = vars.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        && protocol != "http/protobuf"
    {
        return Err(ConfigError::BadVariable {
            name: "OTEL_EXPORTER_OTLP_PROTOCOL",
            value: protocol.to_owned(),
            expected: "`http/protobuf`, the protocol the runtime exports spans with",
        });
    }
    let ratio = || -> Result<f64, ConfigError> {
        let Some(arg) = vars.get("OTEL_TRACES_SAMPLER_ARG") else {
            return Ok(1.0);
        };
        arg.parse::<f64>()
            .ok()
            .filter(|ratio| (0.0..=1.0).contains(ratio))
            .ok_or_else(|| ConfigError::BadVariable {
                name: "OTEL_TRACES_SAMPLER_ARG",
                value: arg.to_owned(),
                expected: "a ratio from 0 to 1",
            })
    };
    let sampler = vars
        .get("OTEL_TRACES_SAMPLER")
        .unwrap_or("parentbased_always_on");
    let (ratio, parent_based) = match sampler {
        "always_on" => (1.0, false),
        "always_off" => (0.0, false),
        "traceidratio" => (ratio()?, false),
        "parentbased_always_on" => (1.0, true),
        "parentbased_always_off" => (0.0, true),
        "parentbased_traceidratio" => (ratio()?, true),
        other => {
            return Err(ConfigError::BadVariable {
                name: "OTEL_TRACES_SAMPLER",
                value: other.to_owned(),
                expected: "one of always_on, always_off, traceidratio, parentbased_always_on, \
                           parentbased_always_off, parentbased_traceidratio",
            });
        }
    };
    let resource = match vars.get("OTEL_RESOURCE_ATTRIBUTES") {
        None => Vec::new(),
        Some(pairs) => pairs
            .split(',')
            .map(|pair| match pair.split_once('=') {
                Some((key, value)) if !key.trim().is_empty() => {
                    Ok((key.trim().to_owned(), value.trim().to_owned()))
                }
                _ => Err(ConfigError::BadVariable {
                    name: "OTEL_RESOURCE_ATTRIBUTES",
                    value: pairs.to_owned(),
                    expected: "comma-separated key=value pairs",
                }),
            })
            .collect::<Result<_, _>>()?,
    };
    Ok(Some(TracingSettings {
        endpoint: endpoint.trim_end_matches('/').to_owned(),
        service_name: vars.get("OTEL_SERVICE_NAME").unwrap_or(service).to_owned(),
        resource,
        sampling: Sampling {
            ratio,
            parent_based,
        },
    }))
}

fn pool_settings(pool: &Pool) -> PoolSettings {
    PoolSettings {
        size: pool.size,
        max_connections: pool.size.saturating_add(pool.max_overflow).max(1),
        recycle: Duration::from_secs(u64::from(pool.recycle_seconds)),
        pre_ping: pool.pre_ping,
    }
}

pub(super) fn database_from_vars(
    vars: &Vars,
    database: &Database,
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
        pooled_statement_cache: pooled_statement_cache(database),
    })
}

/// The prepared statements sqlx caches per connection unless told otherwise.
const SQLX_STATEMENT_CACHE: usize = 100;

/// Behind PgBouncer in transaction mode, each query's server connection is any of the pool's:
/// PgBouncer (1.21 on) prepares on it the named statements sqlx sends, and keeps at most
/// `max_prepared_statements` per server connection. A client cache no larger than that keeps
/// every statement it reuses prepared there, rather than prepared again on each use.
fn pooled_statement_cache(database: &Database) -> Option<usize> {
    let pooler = database.pooler.as_ref()?;
    (pooler.mode == PoolMode::Transaction).then(|| {
        usize::try_from(pooler.max_prepared_statements)
            .unwrap_or(usize::MAX)
            .min(SQLX_STATEMENT_CACHE)
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

pub(super) fn redis_from_vars(
    vars: &Vars,
    timeout: Duration,
) -> Result<Option<RedisSettings>, ConfigError> {
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
    fn the_seed_variables_build_an_encoded_mysql_url() {
        let vars = Vars::from_pairs([
            ("DB_HOST", "db.internal"),
            ("DB_USER", "expense"),
            ("DB_PWD", "ExpenseApp@1"),
            ("DB_DATABASE", "expense"),
        ]);
        let db = database_from_vars(&vars, &database_spec()).expect("settings");
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
    fn the_seed_variables_follow_the_spec_engine_for_postgres() {
        let mut spec = database_spec();
        spec.engine = Engine::Postgres;
        let vars = Vars::from_pairs([("DB_HOST", "pg"), ("DB_USER", "app")]);
        let db = database_from_vars(&vars, &spec).expect("settings");
        assert_eq!(db.url.expose(), "postgres://app@pg:5432/expense");
        assert_eq!(db.engine, DatabaseEngine::Postgres);
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
    fn the_sdks_variables_become_the_tracing_settings() {
        assert_eq!(
            tracing_from_vars(&Vars::default(), "api").expect("ok"),
            None
        );
        let vars = Vars::from_pairs([
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.1"),
            ("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod"),
        ]);
        let tracing = tracing_from_vars(&vars, "api").expect("ok").expect("on");
        assert_eq!(tracing.endpoint, "http://collector:4318");
        assert_eq!(tracing.service_name, "api");
        assert_eq!(
            tracing.resource,
            [("deployment.environment".to_string(), "prod".to_string())]
        );
        assert_eq!(
            tracing.sampling,
            Sampling {
                ratio: 0.1,
                parent_based: true
            }
        );
    }

    #[test]
    fn a_tracing_variable_the_runtime_cannot_follow_is_refused_by_name() {
        let endpoint = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318");
        for (name, value) in [
            ("OTEL_TRACES_SAMPLER", "jaeger_remote"),
            ("OTEL_TRACES_SAMPLER_ARG", "1.5"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_RESOURCE_ATTRIBUTES", "no-equals-sign"),
        ] {
            let mut pairs = vec![endpoint, (name, value)];
            if name == "OTEL_TRACES_SAMPLER_ARG" {
                pairs.push(("OTEL_TRACES_SAMPLER", "traceidratio"));
            }
            let error = tracing_from_vars(&Vars::from_pairs(pairs), "api")
                .expect_err("refused")
                .to_string();
            assert!(error.starts_with(&format!("{name}=`{value}`")), "{error}");
        }
    }

    /// The expense spec's dev database (MySQL, a pool of 10 + 20), its name `expense`.
    #[test]
    fn behind_a_transaction_pooler_the_statement_cache_holds_at_most_what_it_tracks() {
        use generator::model::Pooler;
        let mut database = database_spec();
        assert_eq!(pooled_statement_cache(&database), None, "no pooler");
        let pooler = Pooler {
            mode: PoolMode::Transaction,
            pool_size_per_service: 20,
            max_client_connections: 100,
            max_prepared_statements: 40,
            replicas: 2,
        };
        database.pooler = Some(pooler.clone());
        assert_eq!(pooled_statement_cache(&database), Some(40));
        database.pooler = Some(Pooler {
            max_prepared_statements: 200,
            ..pooler.clone()
        });
        assert_eq!(
            pooled_statement_cache(&database),
            Some(SQLX_STATEMENT_CACHE)
        );
        database.pooler = Some(Pooler {
            mode: PoolMode::Session,
            ..pooler
        });
        assert_eq!(
            pooled_statement_cache(&database),
            None,
            "a session keeps its own"
        );
    }

    fn database_spec() -> Database {
        let model = generator::Model::load_str("expense.toml", crate::config::EMBEDDED_SPEC)
            .expect("the embedded spec is valid");
        let mut database = model.environments["dev"].database.clone();
        database.name = "expense".into();
        database
    }
}
