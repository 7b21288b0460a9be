//! The seed's `transactions` table (created_at, updated_at, index on created_at), with the
//! amount held as exact integer cents.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_pk_auto, pk_auto, string_len, timestamp_with_time_zone,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Transactions {
    Table,
    Id,
    AmountCents,
    Description,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite only auto-increments an `INTEGER PRIMARY KEY`, which is 64-bit there anyway.
        let id = match manager.get_database_backend() {
            DbBackend::Sqlite => pk_auto(Transactions::Id),
            _ => big_pk_auto(Transactions::Id),
        };
        manager
            .create_table(
                Table::create()
                    .table(Transactions::Table)
                    .if_not_exists()
                    .col(id)
                    .col(big_integer(Transactions::AmountCents))
                    .col(string_len(Transactions::Description, 255))
                    .col(
                        timestamp_with_time_zone(Transactions::CreatedAt)
                            .default(Expr::current_timestamp()),
                    )
                    .col(
                        timestamp_with_time_zone(Transactions::UpdatedAt)
                            .default(Expr::current_timestamp()),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_created_at")
                    .table(Transactions::Table)
                    .col(Transactions::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(Transactions::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}
