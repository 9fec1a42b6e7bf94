use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub username: String,
    pub domain: String,
    pub email: Option<String>,
    pub activated: bool,
    pub confirmation_key: Option<String>,
    pub ip_address: String,
    pub user_agent: String,
    pub creation_time: DateTime,
    pub expire_time: Option<DateTime>,
    pub phone: Option<String>,
    pub failed_code_attempts: i32,
    pub blocked: bool,
    pub display_name: Option<String>,
    pub dtmf_protocol: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// Whether the account may log in or authenticate at all: activated and
    /// not blocked. Every authentication path asks this one question.
    pub fn may_authenticate(&self) -> bool {
        self.activated && !self.blocked
    }
}
