use sea_orm::entity::prelude::*;

/// An account recovery token (SHA-256 of it) pushed to a device.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_recovery_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub token_hash: String,
    pub pn_provider: Option<String>,
    pub pn_param: Option<String>,
    pub pn_prid: Option<String>,
    pub used: bool,
    pub account_id: Option<i32>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::account::Entity",
        from = "Column::AccountId",
        to = "super::account::Column::Id",
        on_delete = "Cascade"
    )]
    Account,
}

impl ActiveModelBehavior for ActiveModel {}
