//! The `audit_log` table. What goes in a row (actor, target, the stable
//! action names) is decided by `src/audit.rs`.

use chrono::NaiveDateTime;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::db::entities::audit_log;

/// One entry, its texts already cut to their columns.
pub struct NewEntry {
    pub created_at: NaiveDateTime,
    pub actor_id: Option<i32>,
    pub actor: String,
    pub target_id: Option<i32>,
    pub target: String,
    pub action: String,
    pub client_address: String,
    pub detail: Option<String>,
}

/// Inserts `entry`, in the caller's transaction.
pub async fn insert(conn: &impl ConnectionTrait, entry: NewEntry) -> Result<(), DbErr> {
    let row = audit_log::ActiveModel {
        created_at: Set(entry.created_at),
        actor_id: Set(entry.actor_id),
        actor: Set(entry.actor),
        target_id: Set(entry.target_id),
        target: Set(entry.target),
        action: Set(entry.action),
        client_address: Set(entry.client_address),
        detail: Set(entry.detail),
        ..Default::default()
    };
    // Nothing reads the row back: a plain INSERT (MariaDB would SELECT it).
    audit_log::Entity::insert(row)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Page `page` (from 1) of the entries, newest first, and their total.
pub async fn page(
    conn: &impl ConnectionTrait,
    page: u64,
    per_page: u64,
) -> Result<(Vec<audit_log::Model>, u64), DbErr> {
    let total = audit_log::Entity::find().count(conn).await?;
    let rows = audit_log::Entity::find()
        .order_by_desc(audit_log::Column::CreatedAt)
        .order_by_desc(audit_log::Column::Id)
        .offset(page.saturating_sub(1).saturating_mul(per_page))
        .limit(per_page)
        .all(conn)
        .await?;
    Ok((rows, total))
}

/// At most `limit` entries from `since` (all when `None`), oldest first.
pub async fn since(
    conn: &impl ConnectionTrait,
    since: Option<NaiveDateTime>,
    limit: u64,
) -> Result<Vec<audit_log::Model>, DbErr> {
    let mut query = audit_log::Entity::find();
    if let Some(since) = since {
        query = query.filter(audit_log::Column::CreatedAt.gte(since));
    }
    query
        .order_by_asc(audit_log::Column::CreatedAt)
        .order_by_asc(audit_log::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

/// Deletes the entries older than `before`; returns how many went.
pub async fn delete_before(
    conn: &impl ConnectionTrait,
    before: NaiveDateTime,
) -> Result<u64, DbErr> {
    let deleted = audit_log::Entity::delete_many()
        .filter(audit_log::Column::CreatedAt.lt(before))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected)
}
