//! What authenticating a request reads of its account, in one query: the
//! account, its admin role, its API key, its passwords, and what the
//! account's own JSON adds (activation expiry, pending e-mail change), so
//! that `GET /api/accounts/me` needs no other query.

use chrono::NaiveDateTime;
use sea_orm::sea_query::{Alias, Asterisk, Expr, Order, Query, SelectStatement, SimpleExpr};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult, Iterable};

use super::Db;
use super::accounts::{PendingEmail, view_extras, with_view_tables};
use super::cached_sql::CachedSql;
use super::entities::{account, admin, api_key, password};

/// What authentication needs of an account.
#[derive(Clone, Debug, PartialEq)]
pub struct AuthRecord {
    pub account: account::Model,
    pub admin: bool,
    /// The account's API key, if it has one.
    pub api_key: Option<ApiKeyRecord>,
    /// The stored passwords, oldest first.
    pub passwords: Vec<password::Model>,
    pub confirmation_key_expires: Option<NaiveDateTime>,
    pub email_changed: Option<PendingEmail>,
}

/// What checking an API key needs of its row.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiKeyRecord {
    pub id: i32,
    /// SHA-256 of the key.
    pub hash: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub expires_after_last_used_minutes: Option<i32>,
}

static SQL: CachedSql = CachedSql::new();

/// The SQLite text of the query of [`find_for_auth`] (username, domain).
pub(super) fn sqlite_sql() -> &'static str {
    SQL.text(DbBackend::Sqlite, || by_address("", ""))
}

/// The record of `username@domain`, read in place on a SQLite file when
/// it can be.
pub async fn find(db: &Db, username: &str, domain: &str) -> Result<Option<AuthRecord>, DbErr> {
    if let Some(found) = db.direct().and_then(|r| r.auth_record(username, domain)) {
        return Ok(found);
    }
    find_for_auth(db, username, domain).await
}

/// The record of `username@domain`: one row per password (at least one,
/// the joins being left joins), each repeating the account's columns.
pub async fn find_for_auth(
    conn: &impl ConnectionTrait,
    username: &str,
    domain: &str,
) -> Result<Option<AuthRecord>, DbErr> {
    let statement = SQL.statement(
        conn.get_database_backend(),
        || by_address("", ""),
        vec![username.into(), domain.into()],
    );
    let rows = conn.query_all(statement).await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let admin_rows: i64 = first.try_get("", "admin_rows")?;
    let api_key_id: Option<i32> = first.try_get("", "api_key_id")?;
    let api_key = match api_key_id {
        Some(id) => Some(ApiKeyRecord {
            id,
            hash: first.try_get("", "api_key_hash")?,
            created_at: first.try_get("", "api_key_created_at")?,
            last_used_at: first.try_get("", "api_key_last_used_at")?,
            expires_after_last_used_minutes: first.try_get("", "api_key_expires_after")?,
        }),
        None => None,
    };
    let (confirmation_key_expires, email_changed) = view_extras(first)?;
    let mut passwords: Vec<password::Model> = Vec::with_capacity(rows.len());
    for row in &rows {
        let Some(id) = row.try_get::<Option<i32>>("", "password_id")? else {
            continue;
        };
        // A second key or pending e-mail row would repeat the passwords.
        if passwords.iter().any(|p| p.id == id) {
            continue;
        }
        passwords.push(password::Model {
            id,
            account_id: row.try_get("", "id")?,
            password: row.try_get("", "password_value")?,
            algorithm: row.try_get("", "password_algorithm")?,
        });
    }
    Ok(Some(AuthRecord {
        account: account::Model::from_query_result(first, "")?,
        admin: admin_rows > 0,
        api_key,
        passwords,
        confirmation_key_expires,
        email_changed,
    }))
}

fn by_address(username: &str, domain: &str) -> SelectStatement {
    let admins = Query::select()
        .expr(Expr::col(Asterisk).count())
        .from(admin::Entity)
        .and_where(
            Expr::col((admin::Entity, admin::Column::AccountId))
                .equals((account::Entity, account::Column::Id)),
        )
        .to_owned();
    let mut query = Query::select();
    query.columns(account::Column::iter().map(|c| (account::Entity, c)));
    for (expr, alias) in [
        (
            Expr::col((api_key::Entity, api_key::Column::Id)),
            "api_key_id",
        ),
        (
            Expr::col((api_key::Entity, api_key::Column::Key)),
            "api_key_hash",
        ),
        (
            Expr::col((api_key::Entity, api_key::Column::CreatedAt)),
            "api_key_created_at",
        ),
        (
            Expr::col((api_key::Entity, api_key::Column::LastUsedAt)),
            "api_key_last_used_at",
        ),
        (
            Expr::col((
                api_key::Entity,
                api_key::Column::ExpiresAfterLastUsedMinutes,
            )),
            "api_key_expires_after",
        ),
        (
            Expr::col((password::Entity, password::Column::Id)),
            "password_id",
        ),
        (
            Expr::col((password::Entity, password::Column::Password)),
            "password_value",
        ),
        (
            Expr::col((password::Entity, password::Column::Algorithm)),
            "password_algorithm",
        ),
    ] {
        query.expr_as(expr, Alias::new(alias));
    }
    query
        .expr_as(
            SimpleExpr::SubQuery(None, Box::new(admins.into_sub_query_statement())),
            Alias::new("admin_rows"),
        )
        .left_join(
            api_key::Entity,
            Expr::col((api_key::Entity, api_key::Column::AccountId))
                .equals((account::Entity, account::Column::Id)),
        );
    with_view_tables(&mut query)
        .and_where(Expr::col((account::Entity, account::Column::Username)).eq(username))
        .and_where(Expr::col((account::Entity, account::Column::Domain)).eq(domain))
        .order_by((password::Entity, password::Column::Id), Order::Asc)
        .to_owned()
}
