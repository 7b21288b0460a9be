//! Why settings could not be resolved.

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
