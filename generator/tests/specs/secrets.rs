//! The fixtures of the platform's secrets: the store's naming, the declared secrets, the
//! variables services read from them and what their roles reach by name. Listed in `INVALID`,
//! `WARNINGS` and `VALID` of `specs/mod.rs` by name.

use super::Edit::{self, InsertAfter, Replace};
use super::{AFTER_THE_SERVICE, CACHE_END, Fixture, fixture};

/// The starter's dashboard, which must name its service once there are two.
const DASHBOARD_EDIT: Edit = InsertAfter(r#"uid = "myapp-api""#, r#"service = "myapp-backend""#);

/// A worker on its own image after the starter's service, then `[secrets]` tables: `api-key`
/// (one value) and `plaid` (keys `client_id` and `secret`), each followed by `$extra` lines.
macro_rules! with_secrets {
    ($worker:literal $(, $extra:literal)*) => {
        concat!(
            "\n[services.myapp-worker]\nport = 8081\nimage_repository = \"myapp-worker\"\n",
            "source = \"services/worker\"\ningress_paths = []\nhealth_path = \"/health\"\n",
            "readiness_path = \"/ready\"\nmetrics_path = \"/metrics\"\nshutdown_grace_seconds = 20\n",
            $worker,
            "\n\n[secrets.api-key]\ndescription = \"The partner API's key\"\n",
            "\n[secrets.plaid]\ndescription = \"Plaid API credentials\"\nkeys = [\"client_id\", \"secret\"]\n"
            $(, "\n", $extra)*
        )
    };
}

pub(super) const READS_THAT_DO_NOT_FIT: Fixture = fixture(
    "secret_reads_that_do_not_fit",
    "a worker reading a key of a one-value secret, a keyed secret whole, an undeclared secret, \
     a variable its config sets too, and a database key Terraform does not write",
    &[
        DASHBOARD_EDIT,
        InsertAfter(
            AFTER_THE_SERVICE,
            with_secrets!(
                r#"config = { PARTNER = "https://partner.example.com" }
secrets = { API_KEY = "api-key.token", PLAID = "plaid", GONE = "nowhere", PARTNER = "api-key", DB_URL = "database.url" }"#
            ),
        ),
    ],
);

pub(super) const PLATFORM_VARIABLE: Fixture = fixture(
    "secret_read_into_a_platform_variable",
    "the runtime's service reading a secret into a variable the platform sets for it",
    &[
        DASHBOARD_EDIT,
        InsertAfter(
            r#"image_repository = "myapp-backend""#,
            r#"secrets = { DB_HOST = "api-key" }"#,
        ),
        InsertAfter(
            AFTER_THE_SERVICE,
            with_secrets!(r#"secrets = { PLAID_SECRET = "plaid.secret" }"#),
        ),
    ],
);

pub(super) const STORE_AND_NAMES: Fixture = fixture(
    "secret_store_and_names",
    "a store prefix every environment shares, a refresh that never comes, a secret named like \
     the platform's own, a key listed twice",
    &[
        DASHBOARD_EDIT,
        InsertAfter(
            AFTER_THE_SERVICE,
            with_secrets!(
                r#"secrets = { API_KEY = "api-key", PLAID_ID = "plaid.client_id", DB = "database.host" }"#,
                "[secrets.database]\ndescription = \"The app's own database\"\nkeys = [\"url\", \"url\"]\n",
                "[secret_store]\nprefix = \"{project}/shared\"\nrefresh_interval = \"0s\""
            ),
        ),
    ],
);

pub(super) const ACCESS_BEYOND_THE_SPEC: Fixture = fixture(
    "access_beyond_the_spec",
    "a worker whose role reaches a bucket prod lacks and an undeclared secret, and reads the \
     Redis token no environment writes",
    &[
        DASHBOARD_EDIT,
        InsertAfter(
            AFTER_THE_SERVICE,
            with_secrets!(
                r#"secrets = { REDIS_TOKEN = "redis.auth_token", API_KEY = "api-key", PLAID_ID = "plaid.secret" }
access = { buckets = { documents = "read-write", exports = "read" }, secrets = ["plaid", "stripe"] }"#,
                "[environments.dev.buckets.documents]\nversioned = true\n",
                "[defaults.buckets.exports]\nexpire_after_days = 30"
            ),
        ),
    ],
);

pub(super) const UNUSED: Fixture = fixture(
    "unused_secret",
    "a declared secret no service reads",
    &[
        InsertAfter(
            AFTER_THE_SERVICE,
            with_secrets!(r#"secrets = { API_KEY = "api-key" }"#),
        ),
        DASHBOARD_EDIT,
    ],
);

pub(super) const READ_AND_REACHED: Fixture = fixture(
    "secrets_read_and_reached",
    "a worker reading declared secrets, the database's and Redis' keys, and reaching a bucket \
     and a secret with its role",
    &[
        InsertAfter(
            AFTER_THE_SERVICE,
            with_secrets!(
                r#"secrets = { API_KEY = "api-key", PLAID_ID = "plaid.client_id", DB_HOST = "database.host", REDIS_TOKEN = "redis.auth_token" }
access = { buckets = { documents = "read-write" }, secrets = ["plaid"] }"#,
                "[defaults.buckets.documents]\nversioned = true"
            ),
        ),
        Replace(CACHE_END, "auth_token = true"),
        DASHBOARD_EDIT,
        // The role's ARN in the release needs each environment's account.
        InsertAfter(r#"tier = "development""#, r#"account_id = "123456789012""#),
        InsertAfter("\ntier = \"production\"", r#"account_id = "123456789012""#),
    ],
);
