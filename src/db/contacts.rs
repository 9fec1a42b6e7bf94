//! Direct contacts: accounts an admin gave to another account as its
//! contacts, one by one (the `contacts` table), besides contacts lists.

use chrono::NaiveDateTime;
use sea_orm::sea_query::{Expr, Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

use super::entities::{account, contact};

/// The ids of `account_id`'s direct contacts, as a subquery.
pub fn contact_ids(account_id: i32) -> SelectStatement {
    Query::select()
        .column(contact::Column::ContactId)
        .from(contact::Entity)
        .and_where(Expr::col(contact::Column::AccountId).eq(account_id))
        .to_owned()
}

/// `account_id`'s direct contacts, ordered by id; with `contact_id`, only
/// that one.
pub async fn of_account(
    conn: &impl ConnectionTrait,
    account_id: i32,
    contact_id: Option<i32>,
) -> Result<Vec<account::Model>, DbErr> {
    let mut query = account::Entity::find()
        .filter(account::Column::Id.in_subquery(contact_ids(account_id)))
        .order_by_asc(account::Column::Id);
    if let Some(contact_id) = contact_id {
        query = query.filter(account::Column::Id.eq(contact_id));
    }
    query.all(conn).await
}

pub async fn is_contact(
    conn: &impl ConnectionTrait,
    account_id: i32,
    contact_id: i32,
) -> Result<bool, DbErr> {
    Ok(contact::Entity::find()
        .filter(contact::Column::AccountId.eq(account_id))
        .filter(contact::Column::ContactId.eq(contact_id))
        .one(conn)
        .await?
        .is_some())
}

pub async fn add(
    conn: &impl ConnectionTrait,
    account_id: i32,
    contact_id: i32,
    now: NaiveDateTime,
) -> Result<(), DbErr> {
    contact::ActiveModel {
        account_id: Set(account_id),
        contact_id: Set(contact_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Removes a direct contact; false when it was none.
pub async fn remove(
    conn: &impl ConnectionTrait,
    account_id: i32,
    contact_id: i32,
) -> Result<bool, DbErr> {
    let deleted = contact::Entity::delete_many()
        .filter(contact::Column::AccountId.eq(account_id))
        .filter(contact::Column::ContactId.eq(contact_id))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected > 0)
}
