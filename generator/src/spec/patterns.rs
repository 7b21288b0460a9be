//! The text patterns the schema holds spec values to.

/// A Prometheus duration such as `30s`, `5m`, `1h30m` or `30d`.
pub const DURATION_PATTERN: &str = r"^([0-9]+(ms|y|w|d|h|m|s))+$";
/// An IPv4 CIDR block such as `10.0.0.0/16` (host bits are checked semantically).
pub const CIDR_PATTERN: &str = r"^[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}$";
/// Lower-case identifiers used for names that become resource names.
pub const NAME_PATTERN: &str = r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$";

/// Pattern of environment names.
pub const ENVIRONMENT_NAME_PATTERN: &str = r"^[a-z][a-z0-9-]{0,15}$";
/// A path prefix of the ingress host: `/`, or `/` and segments (`/v1/users`).
pub const INGRESS_PATH_PATTERN: &str = r"^/([A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*)?$";
/// An ECR repository name (`expense-backend`, `team/service`).
pub const IMAGE_REPOSITORY_PATTERN: &str = r"^[a-z0-9]+([._/-][a-z0-9]+)*$";
/// An HTTP path a probe or a scrape requests (`/health`, `/metrics`).
pub const HTTP_PATH_PATTERN: &str = r"^/[A-Za-z0-9/_-]*$";
/// An environment variable's name (`LOG_LEVEL`, `DB_PASSWORD`).
pub const VARIABLE_NAME_PATTERN: &str = r"^[A-Z_][A-Z0-9_]*$";
/// What a variable reads from the platform's `[secrets]`: `<secret>` or `<secret>.<key>`.
pub const SECRET_REFERENCE_PATTERN: &str =
    r"^[a-z][a-z0-9-]{0,30}[a-z0-9](\.[A-Za-z0-9_-]{1,64})?$";
