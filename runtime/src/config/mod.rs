//! Runtime settings: the spec's service, routes and environment (`load`), and connection
//! settings from environment variables (`vars`), resolved into one [`Settings`] value.

mod error;
mod load;
mod settings;
mod vars;

pub use error::ConfigError;
pub use load::{DEFAULT_ENVIRONMENT, DEFAULT_SPEC_PATH, EMBEDDED_SPEC, SpecSource, load_model};
pub use settings::{
    CacheSettings, ClientTimeouts, DatabaseEngine, DatabaseSettings, PoolSettings, RateLimit,
    RedisSettings, RouteSettings, Sampling, SecretUrl, Settings, TracingSettings,
};
pub use vars::{DEFAULT_SQLITE_PATH, Vars};
