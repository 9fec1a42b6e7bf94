use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_account_type")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub account_id: i32,
    pub account_type_id: i32,
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
    #[sea_orm(
        belongs_to = "super::account_type::Entity",
        from = "Column::AccountTypeId",
        to = "super::account_type::Column::Id",
        on_delete = "Cascade"
    )]
    AccountType,
}

impl Related<super::account_type::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::AccountType.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
