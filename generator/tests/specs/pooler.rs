//! The fixtures of PgBouncer in front of the database (`database.pooler`): PostgreSQL only, its
//! pools within `max_connections`, transaction mode only with prepared statements tracked, and
//! a warning where the services' own pools could open more clients than it accepts. Listed in
//! `INVALID`, `WARNINGS` and `VALID` of `specs/mod.rs`.

use super::Edit::{InsertAfter, Replace};
use super::{DATABASE_POOL, DEV_DEPLOY, Fixture, PROD_MYSQL_CLASS, fixture};

/// The pooler of every environment: the guide's pool of 20 per service, 100 clients each.
const POOLER: &str = "pooler = { pool_size_per_service = 20, max_client_connections = 100 }";

pub(super) const POOLER_ON_MYSQL: Fixture = fixture(
    "pooler_on_mysql",
    "PgBouncer in front of a MySQL database",
    &[
        Replace(r#"engine = "postgres""#, r#"engine = "mysql""#),
        Replace(r#"version = "15""#, r#"version = "8.0""#),
        PROD_MYSQL_CLASS,
        InsertAfter(DATABASE_POOL, POOLER),
    ],
);

pub(super) const POOLS_ABOVE_MAX_CONNECTIONS: Fixture = fixture(
    "pooler_pools_above_max_connections",
    "three PgBouncers of 20 per service against a max_connections of 50",
    &[InsertAfter(
        DATABASE_POOL,
        "pooler = { pool_size_per_service = 20, max_client_connections = 100, replicas = 3 }\nparameters = { max_connections = 50 }",
    )],
);

pub(super) const TRANSACTION_MODE_WITHOUT_PREPARED_STATEMENTS: Fixture = fixture(
    "pooler_transaction_mode_without_prepared_statements",
    "transaction pooling with PgBouncer's prepared statement tracking off, under the runtime",
    &[InsertAfter(
        DATABASE_POOL,
        r#"pooler = { mode = "transaction", pool_size_per_service = 20, max_client_connections = 100, max_prepared_statements = 0 }"#,
    )],
);

pub(super) const FEWER_CLIENTS_THAN_THE_POOLS_OPEN: Fixture = fixture(
    "pooler_accepts_fewer_clients_than_the_pools_open",
    "two PgBouncers of 50 clients each, under 6 replicas of 30 connections",
    &[InsertAfter(
        DATABASE_POOL,
        "pooler = { pool_size_per_service = 20, max_client_connections = 50 }",
    )],
);

pub(super) const POOLER_IN_FRONT_OF_POSTGRES: Fixture = fixture(
    "pooler_in_front_of_postgres",
    "PgBouncer in every environment but dev, its pools within max_connections",
    &[
        InsertAfter(DATABASE_POOL, "parameters = { max_connections = 100 }"),
        InsertAfter(DATABASE_POOL, POOLER),
        InsertAfter(DEV_DEPLOY, "database.pooler.enabled = false"),
    ],
);
