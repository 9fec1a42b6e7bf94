use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub username: String,
    pub domain: String,
    pub email: Option<String>,
    /// The `activated` column, the one Flexisip's own queries read: false
    /// while the account is blocked. The account's activation, the one its
    /// JSON shows, is [`Model::is_activated`].
    #[sea_orm(column_name = "activated")]
    pub flexisip_activated: bool,
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
    /// The activation to restore on unblock; meaningful only while blocked.
    pub activated_on_unblock: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// Whether the account may log in or authenticate at all: activated and
    /// not blocked. Every authentication path asks this one question.
    pub fn may_authenticate(&self) -> bool {
        self.flexisip_activated && !self.blocked
    }

    /// The account's activation, blocked or not: what an admin set.
    pub fn is_activated(&self) -> bool {
        activation(
            self.flexisip_activated,
            self.blocked,
            self.activated_on_unblock,
        )
    }
}

/// The account's activation from its three columns: while blocked,
/// `activated` is held false for Flexisip and the remembered value counts.
pub fn activation(activated_column: bool, blocked: bool, activated_on_unblock: bool) -> bool {
    if blocked {
        activated_on_unblock
    } else {
        activated_column
    }
}
