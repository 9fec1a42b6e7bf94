//! Tokens pushed to a device: the queries on the tables that keep them
//! (`tokens`, the legacy one, here; the creation and recovery tables
//! describe themselves in `src/creation_tokens.rs`). The limits and the
//! push are the flow of `src/service/push_tokens.rs`.

use chrono::NaiveDateTime;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, PrimaryKeyTrait, QueryFilter,
    QuerySelect, Select, Set,
};

use crate::db::Db;
use crate::db::entities::token::{self, Column};

/// The push address of one app installation.
#[derive(Clone, Debug)]
pub struct Device {
    pub provider: String,
    pub param: String,
    pub prid: String,
}

/// A table of pushed tokens: which of its columns name the device, and
/// how a new row is made (the legacy table keeps the token, the newer
/// ones its SHA-256). `sender` is the client's address and user agent.
pub trait TokenTable: EntityTrait
where
    <Self::PrimaryKey as PrimaryKeyTrait>::ValueType: Into<i32>,
{
    fn id() -> Self::Column;
    fn pn_provider() -> Self::Column;
    fn pn_param() -> Self::Column;
    fn pn_prid() -> Self::Column;
    fn used() -> Self::Column;
    fn created_at() -> Self::Column;
    fn new_row(
        device: &Device,
        token: &str,
        sender: (&str, Option<&str>),
        now: NaiveDateTime,
    ) -> Self::ActiveModel;
}

fn of_device<T>(device: &Device) -> Select<T>
where
    T: TokenTable,
    <T::PrimaryKey as PrimaryKeyTrait>::ValueType: Into<i32>,
{
    T::find()
        .filter(T::pn_provider().eq(&device.provider))
        .filter(T::pn_param().eq(&device.param))
        .filter(T::pn_prid().eq(&device.prid))
}

/// The creation time of the device's newest used token created at or
/// after `since`.
pub async fn last_used_since<T>(
    db: &Db,
    device: &Device,
    since: NaiveDateTime,
) -> Result<Option<NaiveDateTime>, DbErr>
where
    T: TokenTable,
    T::Model: Sync,
    <T::PrimaryKey as PrimaryKeyTrait>::ValueType: Into<i32>,
{
    Ok(of_device::<T>(device)
        .filter(T::used().eq(true))
        .filter(T::created_at().gte(since))
        .select_only()
        .column(T::created_at())
        .into_tuple::<NaiveDateTime>()
        .all(db)
        .await?
        .into_iter()
        .max())
}

/// How many tokens the device was ever issued.
pub async fn count_of_device<T>(db: &Db, device: &Device) -> Result<u64, DbErr>
where
    T: TokenTable,
    T::Model: Sync,
    <T::PrimaryKey as PrimaryKeyTrait>::ValueType: Into<i32>,
{
    of_device::<T>(device).count(db).await
}

/// How many unused tokens of the device were created after `live_since`,
/// leaving out the row `except`.
pub async fn count_pending<T>(
    db: &Db,
    device: &Device,
    live_since: NaiveDateTime,
    except: Option<i32>,
) -> Result<u64, DbErr>
where
    T: TokenTable,
    T::Model: Sync,
    <T::PrimaryKey as PrimaryKeyTrait>::ValueType: Into<i32>,
{
    let mut pending = of_device::<T>(device)
        .filter(T::used().eq(false))
        .filter(T::created_at().gt(live_since));
    if let Some(id) = except {
        pending = pending.filter(T::id().ne(id));
    }
    pending.count(db).await
}

/// Inserts `row` (autocommitted); returns its id.
pub async fn insert<T>(db: &Db, row: T::ActiveModel) -> Result<i32, DbErr>
where
    T: TokenTable,
    T::ActiveModel: Send,
    <T::PrimaryKey as PrimaryKeyTrait>::ValueType: Into<i32>,
{
    Ok(T::insert(row).exec(db).await?.last_insert_id.into())
}

/// Deletes the row `id`.
pub async fn delete<T>(db: &Db, id: i32) -> Result<(), DbErr>
where
    T: TokenTable,
    <T::PrimaryKey as PrimaryKeyTrait>::ValueType: Into<i32>,
{
    T::delete_many().filter(T::id().eq(id)).exec(db).await?;
    Ok(())
}

/// The 2021 table keeps the token itself (`with-token` compares it).
impl TokenTable for token::Entity {
    fn id() -> Column {
        Column::Id
    }
    fn pn_provider() -> Column {
        Column::PnProvider
    }
    fn pn_param() -> Column {
        Column::PnParam
    }
    fn pn_prid() -> Column {
        Column::PnPrid
    }
    fn used() -> Column {
        Column::Used
    }
    fn created_at() -> Column {
        Column::CreatedAt
    }
    fn new_row(
        device: &Device,
        token: &str,
        _: (&str, Option<&str>),
        now: NaiveDateTime,
    ) -> token::ActiveModel {
        token::ActiveModel {
            token: Set(token.to_string()),
            pn_provider: Set(device.provider.clone()),
            pn_param: Set(device.param.clone()),
            pn_prid: Set(device.prid.clone()),
            used: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
    }
}

/// The row of the legacy token `given` (`with-token` checks the bytes,
/// its use and its age).
pub async fn find_legacy(db: &Db, given: &str) -> Result<Option<token::Model>, DbErr> {
    token::Entity::find()
        .filter(Column::Token.eq(given))
        .one(db)
        .await
}

/// Marks the legacy token `id` used (or unused again) if it was not
/// already and was created after `live_since`; true when it changed. The
/// conditional update is the claim: of concurrent requests only the one
/// that changed the row goes on.
pub async fn set_legacy_used(
    conn: &impl ConnectionTrait,
    id: i32,
    used: bool,
    live_since: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<bool, DbErr> {
    let changed = token::Entity::update_many()
        .col_expr(Column::Used, Expr::value(used))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::Used.eq(!used))
        .filter(Column::CreatedAt.gt(live_since))
        .exec(conn)
        .await?;
    Ok(changed.rows_affected == 1)
}
