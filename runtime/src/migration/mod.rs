//! Schema migrations, run at start-up and by `expense-backend migrate`.

use sea_orm_migration::prelude::*;

mod m20241117_000001_create_transactions;
mod m20241118_000002_create_idempotency_keys;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20241117_000001_create_transactions::Migration),
            Box::new(m20241118_000002_create_idempotency_keys::Migration),
        ]
    }
}
