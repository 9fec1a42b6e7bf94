use sea_orm::entity::prelude::*;

/// A request token (SHA-256 of it) that a person validates on the panel
/// (`/creation-request/{token}`), then exchanged once for an account
/// creation token.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_creation_request_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub token_hash: String,
    pub used: bool,
    pub validated_at: Option<DateTime>,
    pub acc_creation_token_id: Option<i32>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::account_creation_token::Entity",
        from = "Column::AccCreationTokenId",
        to = "super::account_creation_token::Column::Id",
        on_delete = "Cascade"
    )]
    AccountCreationToken,
}

impl ActiveModelBehavior for ActiveModel {}
