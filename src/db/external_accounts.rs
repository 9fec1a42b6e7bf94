//! The external SIP account attached to an account (one at most). Its
//! password is kept as an MD5 HA1 of `username:realm-or-domain:password`,
//! as FlexiAPI does: the app gets the HA1 through provisioning, and nobody
//! ever reads the clear password back.

use chrono::NaiveDateTime;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

use super::entities::external_account as external;

pub async fn of_account(
    conn: &impl ConnectionTrait,
    account_id: i32,
) -> Result<Option<external::Model>, DbErr> {
    external::Entity::find()
        .filter(external::Column::AccountId.eq(account_id))
        .one(conn)
        .await
}

/// True when another account's external account uses this address.
pub async fn address_taken(
    conn: &impl ConnectionTrait,
    account_id: i32,
    username: &str,
    domain: &str,
) -> Result<bool, DbErr> {
    Ok(external::Entity::find()
        .filter(external::Column::Username.eq(username))
        .filter(external::Column::Domain.eq(domain))
        .filter(external::Column::AccountId.ne(account_id))
        .one(conn)
        .await?
        .is_some())
}

/// What an admin sets; `password_ha1` is `None` to keep the stored one.
pub struct ExternalFields {
    pub username: String,
    pub domain: String,
    pub password_ha1: Option<String>,
    pub realm: Option<String>,
    pub registrar: Option<String>,
    pub outbound_proxy: Option<String>,
    pub protocol: String,
}

/// Creates or replaces the account's external account.
pub async fn store(
    conn: &impl ConnectionTrait,
    account_id: i32,
    existing: Option<external::Model>,
    fields: ExternalFields,
    now: NaiveDateTime,
) -> Result<external::Model, DbErr> {
    let mut row = match existing {
        Some(model) => external::ActiveModel::from(model),
        None => external::ActiveModel {
            account_id: Set(account_id),
            created_at: Set(now),
            ..Default::default()
        },
    };
    row.username = Set(fields.username);
    row.domain = Set(fields.domain);
    if let Some(ha1) = fields.password_ha1 {
        row.password = Set(ha1);
        row.algorithm = Set("MD5".to_string());
    }
    row.realm = Set(fields.realm);
    row.registrar = Set(fields.registrar);
    row.outbound_proxy = Set(fields.outbound_proxy);
    row.protocol = Set(fields.protocol);
    row.updated_at = Set(now);
    match row.id {
        sea_orm::ActiveValue::Unchanged(_) | sea_orm::ActiveValue::Set(_) => row.update(conn).await,
        sea_orm::ActiveValue::NotSet => row.insert(conn).await,
    }
}

pub async fn delete(conn: &impl ConnectionTrait, account_id: i32) -> Result<bool, DbErr> {
    let deleted = external::Entity::delete_many()
        .filter(external::Column::AccountId.eq(account_id))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected > 0)
}
