//! The `idempotency_keys` table: which transaction a client's `Idempotency-Key` created, and
//! from what request, so a retried POST returns the original result instead of a duplicate.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// `{amount_cents}:{description}` of the request that used the key first.
    pub fingerprint: String,
    pub transaction_id: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
