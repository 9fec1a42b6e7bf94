//! Contacts lists: named sets of accounts (the contacts) that are given to
//! accounts (the subscribers), who download them as vCards.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use sea_orm::sea_query::{Expr, Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::entities::{account, account_contacts_list, contacts_list, contacts_list_contact};

/// A list with the number of its contacts.
pub struct ListView {
    pub list: contacts_list::Model,
    pub contacts_count: u64,
}

/// Every list with its contact count, in two queries.
pub async fn all(conn: &impl ConnectionTrait) -> Result<Vec<ListView>, DbErr> {
    let lists = contacts_list::Entity::find()
        .order_by_asc(contacts_list::Column::Id)
        .all(conn)
        .await?;
    let counts = counts(conn, &lists.iter().map(|l| l.id).collect::<Vec<_>>()).await?;
    Ok(lists
        .into_iter()
        .map(|list| ListView {
            contacts_count: counts.get(&list.id).copied().unwrap_or(0),
            list,
        })
        .collect())
}

async fn counts(conn: &impl ConnectionTrait, ids: &[i32]) -> Result<HashMap<i32, u64>, DbErr> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i32, i64)> = contacts_list_contact::Entity::find()
        .select_only()
        .column(contacts_list_contact::Column::ContactsListId)
        .column_as(contacts_list_contact::Column::Id.count(), "count")
        .filter(contacts_list_contact::Column::ContactsListId.is_in(ids.iter().copied()))
        .group_by(contacts_list_contact::Column::ContactsListId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, count)| (id, count.max(0) as u64))
        .collect())
}

pub async fn find(conn: &impl ConnectionTrait, id: i32) -> Result<Option<ListView>, DbErr> {
    let Some(list) = contacts_list::Entity::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    let contacts_count = contacts_list_contact::Entity::find()
        .filter(contacts_list_contact::Column::ContactsListId.eq(id))
        .count(conn)
        .await?;
    Ok(Some(ListView {
        list,
        contacts_count,
    }))
}

pub async fn insert(
    conn: &impl ConnectionTrait,
    title: &str,
    description: &str,
    now: NaiveDateTime,
) -> Result<contacts_list::Model, DbErr> {
    contacts_list::ActiveModel {
        title: Set(title.to_string()),
        description: Set(description.to_string()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
}

pub async fn update(
    conn: &impl ConnectionTrait,
    id: i32,
    title: &str,
    description: &str,
    now: NaiveDateTime,
) -> Result<(), DbErr> {
    contacts_list::Entity::update_many()
        .col_expr(contacts_list::Column::Title, Expr::value(title))
        .col_expr(contacts_list::Column::Description, Expr::value(description))
        .col_expr(contacts_list::Column::UpdatedAt, Expr::value(now))
        .filter(contacts_list::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Deletes a list with its memberships and subscriptions.
pub async fn delete(conn: &impl ConnectionTrait, id: i32) -> Result<bool, DbErr> {
    contacts_list_contact::Entity::delete_many()
        .filter(contacts_list_contact::Column::ContactsListId.eq(id))
        .exec(conn)
        .await?;
    account_contacts_list::Entity::delete_many()
        .filter(account_contacts_list::Column::ContactsListId.eq(id))
        .exec(conn)
        .await?;
    let deleted = contacts_list::Entity::delete_by_id(id).exec(conn).await?;
    Ok(deleted.rows_affected == 1)
}

pub async fn has_contact(
    conn: &impl ConnectionTrait,
    list_id: i32,
    contact_id: i32,
) -> Result<bool, DbErr> {
    Ok(contacts_list_contact::Entity::find()
        .filter(contacts_list_contact::Column::ContactsListId.eq(list_id))
        .filter(contacts_list_contact::Column::ContactId.eq(contact_id))
        .one(conn)
        .await?
        .is_some())
}

pub async fn add_contact(
    conn: &impl ConnectionTrait,
    list_id: i32,
    contact_id: i32,
    now: NaiveDateTime,
) -> Result<(), DbErr> {
    contacts_list_contact::ActiveModel {
        contacts_list_id: Set(list_id),
        contact_id: Set(contact_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

pub async fn remove_contact(
    conn: &impl ConnectionTrait,
    list_id: i32,
    contact_id: i32,
) -> Result<bool, DbErr> {
    let deleted = contacts_list_contact::Entity::delete_many()
        .filter(contacts_list_contact::Column::ContactsListId.eq(list_id))
        .filter(contacts_list_contact::Column::ContactId.eq(contact_id))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// The contacts (accounts) of a list, ordered by id.
pub async fn contacts(
    conn: &impl ConnectionTrait,
    list_id: i32,
) -> Result<Vec<account::Model>, DbErr> {
    let members = Query::select()
        .column(contacts_list_contact::Column::ContactId)
        .from(contacts_list_contact::Entity)
        .and_where(Expr::col(contacts_list_contact::Column::ContactsListId).eq(list_id))
        .to_owned();
    account::Entity::find()
        .filter(account::Column::Id.in_subquery(members))
        .order_by_asc(account::Column::Id)
        .all(conn)
        .await
}

pub async fn is_subscribed(
    conn: &impl ConnectionTrait,
    account_id: i32,
    list_id: i32,
) -> Result<bool, DbErr> {
    Ok(account_contacts_list::Entity::find()
        .filter(account_contacts_list::Column::AccountId.eq(account_id))
        .filter(account_contacts_list::Column::ContactsListId.eq(list_id))
        .one(conn)
        .await?
        .is_some())
}

pub async fn subscribe(
    conn: &impl ConnectionTrait,
    account_id: i32,
    list_id: i32,
    now: NaiveDateTime,
) -> Result<(), DbErr> {
    account_contacts_list::ActiveModel {
        account_id: Set(account_id),
        contacts_list_id: Set(list_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

pub async fn unsubscribe(
    conn: &impl ConnectionTrait,
    account_id: i32,
    list_id: i32,
) -> Result<bool, DbErr> {
    let deleted = account_contacts_list::Entity::delete_many()
        .filter(account_contacts_list::Column::AccountId.eq(account_id))
        .filter(account_contacts_list::Column::ContactsListId.eq(list_id))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// The ids of the lists an account is given, as a subquery.
fn subscribed_list_ids(account_id: i32) -> SelectStatement {
    Query::select()
        .column(account_contacts_list::Column::ContactsListId)
        .from(account_contacts_list::Entity)
        .and_where(Expr::col(account_contacts_list::Column::AccountId).eq(account_id))
        .to_owned()
}

/// The lists an account is given, ordered by id.
pub async fn lists_of_account(
    conn: &impl ConnectionTrait,
    account_id: i32,
) -> Result<Vec<contacts_list::Model>, DbErr> {
    let subscribed = subscribed_list_ids(account_id);
    contacts_list::Entity::find()
        .filter(contacts_list::Column::Id.in_subquery(subscribed))
        .order_by_asc(contacts_list::Column::Id)
        .all(conn)
        .await
}

/// The contacts of the lists an account is given and its direct contacts
/// (see `super::contacts`), each once, ordered by id; with `address`, only
/// the contact with that username and domain.
pub async fn contacts_of_subscriber(
    conn: &impl ConnectionTrait,
    account_id: i32,
    address: Option<(&str, &str)>,
) -> Result<Vec<account::Model>, DbErr> {
    let subscribed = subscribed_list_ids(account_id);
    let members = Query::select()
        .column(contacts_list_contact::Column::ContactId)
        .from(contacts_list_contact::Entity)
        .and_where(Expr::col(contacts_list_contact::Column::ContactsListId).in_subquery(subscribed))
        .to_owned();
    let mine = sea_orm::Condition::any()
        .add(account::Column::Id.in_subquery(members))
        .add(account::Column::Id.in_subquery(super::contacts::contact_ids(account_id)));
    let mut query = account::Entity::find()
        .filter(mine)
        .order_by_asc(account::Column::Id);
    if let Some((username, domain)) = address {
        query = query
            .filter(account::Column::Username.eq(username))
            .filter(account::Column::Domain.eq(domain));
    }
    query.all(conn).await
}

/// The accounts a list is given to, ordered by id.
pub async fn subscribers(
    conn: &impl ConnectionTrait,
    list_id: i32,
) -> Result<Vec<account::Model>, DbErr> {
    let subscribed = Query::select()
        .column(account_contacts_list::Column::AccountId)
        .from(account_contacts_list::Entity)
        .and_where(Expr::col(account_contacts_list::Column::ContactsListId).eq(list_id))
        .to_owned();
    account::Entity::find()
        .filter(account::Column::Id.in_subquery(subscribed))
        .order_by_asc(account::Column::Id)
        .all(conn)
        .await
}
