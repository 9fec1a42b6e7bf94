use sea_orm::entity::prelude::*;

/// One admin action; see `crate::audit`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// UTC, to the second.
    pub created_at: DateTime,
    /// The acting account; None for the console.
    pub actor_id: Option<i32>,
    /// `user@domain` of the acting account, or `console`.
    pub actor: String,
    /// The target account's id, None when the target is not an account.
    /// No foreign key: the row outlives the account.
    pub target_id: Option<i32>,
    /// `user@domain` of an account, or e.g. `account type 3 (premium)`.
    pub target: String,
    pub action: String,
    /// The client's IP address, or `console`.
    pub client_address: String,
    /// What the action changed on its target, e.g. `key color`.
    pub detail: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
