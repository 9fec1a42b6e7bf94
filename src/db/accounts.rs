//! The account aggregate: an account with its passwords, alias, admin flag,
//! activation expiry and pending e-mail change — loaded in batches (never one
//! query per account) and written in the caller's transaction.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use sea_orm::sea_query::{Alias, Expr, Func, LikeExpr, Order, Query, SelectStatement, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QueryResult, QuerySelect, Set,
};

use super::entities::{
    account, account_account_type, account_action, account_contacts_list, account_creation_token,
    account_dictionary_entry, account_recovery_token, activation_expiration, admin, alias, api_key,
    auth_token, contacts_list_contact, email_changed, external_account, nonce, panel_session,
    password, phone_change_code, phone_login_code, provisioning_token, recovery_code,
    reset_password_token,
};
use crate::auth::digest::Algorithm;
use crate::config::Config;

/// An account with what its JSON shows.
#[derive(Clone, Debug)]
pub struct AccountView {
    pub account: account::Model,
    /// Algorithms of the stored passwords, in storage order.
    pub algorithms: Vec<String>,
    pub admin: bool,
    pub confirmation_key_expires: Option<NaiveDateTime>,
    pub email_changed: Option<PendingEmail>,
}

/// An e-mail change waiting for confirmation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingEmail {
    pub new_email: String,
    pub created_at: NaiveDateTime,
}

/// Loads the views of `accounts` with one query per related table.
pub async fn views(
    conn: &impl ConnectionTrait,
    accounts: Vec<account::Model>,
) -> Result<Vec<AccountView>, DbErr> {
    if accounts.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i32> = accounts.iter().map(|a| a.id).collect();

    let mut algorithms: HashMap<i32, Vec<String>> = HashMap::new();
    for row in password::Entity::find()
        .filter(password::Column::AccountId.is_in(ids.clone()))
        .order_by_asc(password::Column::Id)
        .all(conn)
        .await?
    {
        algorithms
            .entry(row.account_id)
            .or_default()
            .push(row.algorithm);
    }
    let admins: HashSet<i32> = admin::Entity::find()
        .filter(admin::Column::AccountId.is_in(ids.clone()))
        .all(conn)
        .await?
        .into_iter()
        .map(|row| row.account_id)
        .collect();
    let mut expirations: HashMap<i32, NaiveDateTime> = activation_expiration::Entity::find()
        .filter(activation_expiration::Column::AccountId.is_in(ids.clone()))
        .all(conn)
        .await?
        .into_iter()
        .map(|row| (row.account_id, row.expires))
        .collect();
    let mut changes: HashMap<i32, PendingEmail> = email_changed::Entity::find()
        .filter(email_changed::Column::AccountId.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|row| {
            let pending = PendingEmail {
                new_email: row.new_email,
                created_at: row.created_at,
            };
            (row.account_id, pending)
        })
        .collect();

    Ok(accounts
        .into_iter()
        .map(|account| AccountView {
            algorithms: algorithms.remove(&account.id).unwrap_or_default(),
            admin: admins.contains(&account.id),
            confirmation_key_expires: expirations.remove(&account.id),
            email_changed: changes.remove(&account.id),
            account,
        })
        .collect())
}

/// Selects, from `accounts`, what an account's view adds to it: the
/// activation expiry and the pending e-mail change (both one row at most)
/// and, left-joined, the passwords (a row each). Read with [`view_extras`].
pub(super) fn with_view_tables(query: &mut SelectStatement) -> &mut SelectStatement {
    query
        .expr_as(
            Expr::col((
                activation_expiration::Entity,
                activation_expiration::Column::Expires,
            )),
            Alias::new("expires"),
        )
        .expr_as(
            Expr::col((email_changed::Entity, email_changed::Column::NewEmail)),
            Alias::new("new_email"),
        )
        .expr_as(
            Expr::col((email_changed::Entity, email_changed::Column::CreatedAt)),
            Alias::new("email_created_at"),
        )
        .from(account::Entity)
        .left_join(
            password::Entity,
            Expr::col((password::Entity, password::Column::AccountId))
                .equals((account::Entity, account::Column::Id)),
        )
        .left_join(
            activation_expiration::Entity,
            Expr::col((
                activation_expiration::Entity,
                activation_expiration::Column::AccountId,
            ))
            .equals((account::Entity, account::Column::Id)),
        )
        .left_join(
            email_changed::Entity,
            Expr::col((email_changed::Entity, email_changed::Column::AccountId))
                .equals((account::Entity, account::Column::Id)),
        )
}

/// The activation expiry and pending e-mail change of a row of a query
/// made with [`with_view_tables`].
pub(super) fn view_extras(
    row: &QueryResult,
) -> Result<(Option<NaiveDateTime>, Option<PendingEmail>), DbErr> {
    let new_email: Option<String> = row.try_get("", "new_email")?;
    let created_at: Option<NaiveDateTime> = row.try_get("", "email_created_at")?;
    let pending = new_email
        .zip(created_at)
        .map(|(new_email, created_at)| PendingEmail {
            new_email,
            created_at,
        });
    Ok((row.try_get("", "expires")?, pending))
}

/// The view of one account whose admin role is already known, in one
/// query for the hot paths: a row per password (at least one row, thanks
/// to the left joins), each carrying the activation expiry and the pending
/// e-mail change.
pub async fn view_of(
    conn: &impl ConnectionTrait,
    account: account::Model,
    admin: bool,
) -> Result<AccountView, DbErr> {
    let mut query = Query::select();
    query.expr_as(
        Expr::col((password::Entity, password::Column::Algorithm)),
        Alias::new("algorithm"),
    );
    with_view_tables(&mut query)
        .and_where(Expr::col((account::Entity, account::Column::Id)).eq(account.id))
        .order_by((password::Entity, password::Column::Id), Order::Asc);
    let rows = conn
        .query_all(conn.get_database_backend().build(&query))
        .await?;
    let mut algorithms = Vec::with_capacity(rows.len());
    for row in &rows {
        if let Some(algorithm) = row.try_get::<Option<String>>("", "algorithm")? {
            algorithms.push(algorithm);
        }
    }
    let (expires, email_changed) = match rows.first() {
        Some(row) => view_extras(row)?,
        None => (None, None),
    };
    Ok(AccountView {
        account,
        algorithms,
        admin,
        confirmation_key_expires: expires,
        email_changed,
    })
}

pub async fn view(
    conn: &impl ConnectionTrait,
    account: account::Model,
) -> Result<AccountView, DbErr> {
    let admin = is_admin(conn, account.id).await?;
    view_of(conn, account, admin).await
}

pub async fn find_by_id(
    conn: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<account::Model>, DbErr> {
    account::Entity::find_by_id(id).one(conn).await
}

pub async fn find_by_address(
    conn: &impl ConnectionTrait,
    username: &str,
    domain: &str,
) -> Result<Option<account::Model>, DbErr> {
    account::Entity::find()
        .filter(account::Column::Username.eq(username))
        .filter(account::Column::Domain.eq(domain))
        .one(conn)
        .await
}

static ACTIVATED_SQL: super::cached_sql::CachedSql = super::cached_sql::CachedSql::new();

fn activated_query() -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .columns([
            account::Column::FlexisipActivated,
            account::Column::Blocked,
            account::Column::ActivatedOnUnblock,
        ])
        .from(account::Entity)
        .and_where(account::Column::Username.eq(""))
        .and_where(account::Column::Domain.eq(""))
        .to_owned()
}

/// The SQLite text of the query of [`activated_by_address`].
pub(super) fn activated_sqlite_sql() -> &'static str {
    ACTIVATED_SQL.text(sea_orm::DbBackend::Sqlite, activated_query)
}

/// [`activated_by_address`], read in place on a SQLite file when it can
/// be.
pub async fn activated(
    db: &super::Db,
    username: &str,
    domain: &str,
) -> Result<Option<bool>, DbErr> {
    if let Some(found) = db.direct().and_then(|r| r.activated(username, domain)) {
        return Ok(found);
    }
    activated_by_address(db, username, domain).await
}

/// Whether `username@domain` is activated; `None` when there is no such
/// account. The public `info` route's one query.
pub async fn activated_by_address(
    conn: &impl ConnectionTrait,
    username: &str,
    domain: &str,
) -> Result<Option<bool>, DbErr> {
    let statement = ACTIVATED_SQL.statement(
        conn.get_database_backend(),
        activated_query,
        vec![username.into(), domain.into()],
    );
    match conn.query_one(statement).await? {
        Some(row) => Ok(Some(account::activation(
            row.try_get("", "activated")?,
            row.try_get("", "blocked")?,
            row.try_get("", "activated_on_unblock")?,
        ))),
        None => Ok(None),
    }
}

pub async fn is_admin(conn: &impl ConnectionTrait, account_id: i32) -> Result<bool, DbErr> {
    Ok(admin::Entity::find()
        .filter(admin::Column::AccountId.eq(account_id))
        .count(conn)
        .await?
        > 0)
}

/// True once any account has the admin role.
pub async fn any_admin(conn: &impl ConnectionTrait) -> Result<bool, DbErr> {
    Ok(admin::Entity::find().count(conn).await? > 0)
}

/// A page of accounts ordered by id, and the total count.
pub async fn page(
    conn: &impl ConnectionTrait,
    page: u64,
    per_page: u64,
) -> Result<(Vec<account::Model>, u64), DbErr> {
    let total = account::Entity::find().count(conn).await?;
    let offset = (page - 1) * per_page;
    let mut accounts = account::Entity::find().order_by_asc(account::Column::Id);
    accounts = if conn.get_database_backend() == sea_orm::DbBackend::Sqlite {
        // The page's ids first, skipped along the narrow id index
        // (`accounts_id_index`), then their rows.
        let ids = Query::select()
            .column(account::Column::Id)
            .from(account::Entity)
            .order_by(account::Column::Id, Order::Asc)
            .offset(offset)
            .limit(per_page)
            .to_owned();
        accounts.filter(account::Column::Id.in_subquery(ids))
    } else {
        accounts.offset(offset).limit(per_page)
    };
    Ok((accounts.all(conn).await?, total))
}

/// A page of accounts ordered by id whose username, domain, e-mail, phone
/// or alias contains `search` literally (`%`, `_` and `\` are escaped)
/// whatever the case, and the number of matches. `None` lists every account.
pub async fn search_page(
    conn: &impl ConnectionTrait,
    search: Option<&str>,
    page: u64,
    per_page: u64,
) -> Result<(Vec<account::Model>, u64), DbErr> {
    let Some(search) = search else {
        return self::page(conn, page, per_page).await;
    };
    // Case-insensitive on every backend (PostgreSQL's LIKE is not).
    let pattern = format!("%{}%", escape_like(&search.to_lowercase()));
    let contains = |column: Expr| {
        Expr::expr(Func::lower(column)).like(LikeExpr::new(pattern.clone()).escape('\\'))
    };
    let aliased = Query::select()
        .column(alias::Column::AccountId)
        .from(alias::Entity)
        .and_where(contains(Expr::col(alias::Column::Alias)))
        .to_owned();
    let matching = Condition::any()
        .add(contains(Expr::col(account::Column::Username)))
        .add(contains(Expr::col(account::Column::Domain)))
        .add(contains(Expr::col(account::Column::Email)))
        .add(contains(Expr::col(account::Column::Phone)))
        .add(account::Column::Id.in_subquery(aliased));
    let total = account::Entity::find()
        .filter(matching.clone())
        .count(conn)
        .await?;
    let accounts = account::Entity::find()
        .filter(matching)
        .order_by_asc(account::Column::Id)
        .offset(page.saturating_sub(1).saturating_mul(per_page))
        .limit(per_page)
        .all(conn)
        .await?;
    Ok((accounts, total))
}

/// `value` with the LIKE wildcards and the escape character escaped.
fn escape_like(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// True when `phone` is already a username or an alias/phone of an account,
/// in any domain (phone numbers are unique across the service).
pub async fn phone_in_use(conn: &impl ConnectionTrait, phone: &str) -> Result<bool, DbErr> {
    phone_used_by_another(conn, phone, None).await
}

/// As [`phone_in_use`], not counting the account `except` (an account
/// keeping its own phone does not conflict with itself).
pub async fn phone_used_by_another(
    conn: &impl ConnectionTrait,
    phone: &str,
    except: Option<i32>,
) -> Result<bool, DbErr> {
    let mut accounts = account::Entity::find().filter(
        Condition::any()
            .add(account::Column::Username.eq(phone))
            .add(account::Column::Phone.eq(phone)),
    );
    let mut aliases = alias::Entity::find().filter(alias::Column::Alias.eq(phone));
    if let Some(id) = except {
        accounts = accounts.filter(account::Column::Id.ne(id));
        aliases = aliases.filter(alias::Column::AccountId.ne(id));
    }
    if accounts.count(conn).await? > 0 {
        return Ok(true);
    }
    Ok(aliases.count(conn).await? > 0)
}

/// The first account (by id) whose e-mail is `email` up to the case of
/// ASCII letters — the same answer on every backend. The database picks
/// candidates from its index (PostgreSQL and SQLite: `lower(email)`; MySQL:
/// `email`, whose collation ignores case and accents), a superset that is
/// then compared here exactly.
pub async fn find_by_email(
    conn: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<account::Model>, DbErr> {
    let candidates = if conn.get_database_backend() == sea_orm::DbBackend::MySql {
        Condition::all().add(account::Column::Email.eq(email))
    } else {
        Condition::all().add(
            Expr::expr(Func::lower(Expr::col(account::Column::Email)))
                .eq(SimpleExpr::from(Func::lower(Expr::val(email)))),
        )
    };
    Ok(account::Entity::find()
        .filter(candidates)
        .order_by_asc(account::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .find(|account| {
            account
                .email
                .as_deref()
                .is_some_and(|stored| stored.eq_ignore_ascii_case(email))
        }))
}

/// The account that has the alias `alias` in `domain`.
pub async fn find_by_alias(
    conn: &impl ConnectionTrait,
    alias: &str,
    domain: &str,
) -> Result<Option<account::Model>, DbErr> {
    let aliased = Query::select()
        .column(alias::Column::AccountId)
        .from(alias::Entity)
        .and_where(Expr::col(alias::Column::Alias).eq(alias))
        .and_where(Expr::col(alias::Column::Domain).eq(domain))
        .to_owned();
    account::Entity::find()
        .filter(account::Column::Id.in_subquery(aliased))
        .order_by_asc(account::Column::Id)
        .one(conn)
        .await
}

/// The activated, unblocked account whose phone (the `phone` column or an
/// alias) is `phone`, if any.
pub async fn find_activated_by_phone(
    conn: &impl ConnectionTrait,
    phone: &str,
) -> Result<Option<account::Model>, DbErr> {
    let aliased = Query::select()
        .column(alias::Column::AccountId)
        .from(alias::Entity)
        .and_where(Expr::col(alias::Column::Alias).eq(phone))
        .to_owned();
    account::Entity::find()
        .filter(account::Column::FlexisipActivated.eq(true))
        .filter(account::Column::Blocked.eq(false))
        .filter(
            Condition::any()
                .add(account::Column::Phone.eq(phone))
                .add(account::Column::Id.in_subquery(aliased)),
        )
        .order_by_asc(account::Column::Id)
        .one(conn)
        .await
}

/// What a new account is made of; validated by the caller.
#[derive(Debug, Default)]
pub struct NewAccount<'a> {
    pub username: &'a str,
    pub domain: &'a str,
    pub password: Option<(&'a str, Algorithm)>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub activated: bool,
    pub admin: bool,
    pub display_name: Option<&'a str>,
    pub dtmf_protocol: Option<&'a str>,
    pub confirmation_key: Option<String>,
    pub confirmation_key_expires: Option<NaiveDateTime>,
    pub ip_address: &'a str,
    pub user_agent: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("username taken")]
    UsernameTaken,
    #[error("phone taken")]
    PhoneTaken,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Inserts an account with its password, alias, admin flag and expiry.
/// Run it inside a transaction: on error the caller rolls everything back.
pub async fn insert(
    conn: &impl ConnectionTrait,
    config: &Config,
    new: NewAccount<'_>,
    now: NaiveDateTime,
) -> Result<account::Model, CreateError> {
    // A taken address is found by the unique index on insert; it is only
    // looked up first when a phone is given, so that a taken address is
    // still the error reported when both are taken.
    if let Some(phone) = new.phone {
        if find_by_address(conn, new.username, new.domain)
            .await?
            .is_some()
        {
            return Err(CreateError::UsernameTaken);
        }
        if phone_in_use(conn, phone).await? {
            return Err(CreateError::PhoneTaken);
        }
    }
    let mut account = account::Model {
        id: 0,
        username: new.username.to_string(),
        domain: new.domain.to_string(),
        email: new.email.map(str::to_string),
        flexisip_activated: new.activated,
        confirmation_key: new.confirmation_key.clone(),
        ip_address: truncate(new.ip_address, 39),
        user_agent: truncate(new.user_agent, 255),
        creation_time: now,
        expire_time: None,
        phone: new.phone.map(str::to_string),
        failed_code_attempts: 0,
        blocked: false,
        display_name: new.display_name.map(str::to_string),
        dtmf_protocol: new.dtmf_protocol.map(str::to_string),
        activated_on_unblock: false,
    };
    let mut row: account::ActiveModel = account.clone().into();
    row.id = NotSet;
    // The row is not read back: the account is what was written.
    account.id = match account::Entity::insert(row).exec(conn).await {
        Ok(inserted) => inserted.last_insert_id,
        Err(err) if super::is_unique_violation(&err) => return Err(CreateError::UsernameTaken),
        Err(err) => return Err(err.into()),
    };

    if let Some((clear, algorithm)) = new.password {
        insert_password(conn, config, &account, clear, algorithm).await?;
    }
    if let Some(phone) = new.phone {
        set_phone(conn, &account, phone).await.map_err(|err| {
            if super::is_unique_violation(&err) {
                CreateError::PhoneTaken
            } else {
                err.into()
            }
        })?;
    }
    // The rows below are not read back: plain INSERTs.
    if new.admin {
        let role = admin::ActiveModel {
            account_id: Set(account.id),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        admin::Entity::insert(role)
            .exec_without_returning(conn)
            .await?;
    }
    if let Some(expires) = new.confirmation_key_expires {
        let expiry = activation_expiration::ActiveModel {
            account_id: Set(account.id),
            expires: Set(expires),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        activation_expiration::Entity::insert(expiry)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(account)
}

/// Makes `phone` the account's only alias and its `phone` column, which
/// Flexisip's phone queries read.
pub async fn set_phone(
    conn: &impl ConnectionTrait,
    account: &account::Model,
    phone: &str,
) -> Result<(), DbErr> {
    alias::Entity::delete_many()
        .filter(alias::Column::AccountId.eq(account.id))
        .exec(conn)
        .await?;
    alias::ActiveModel {
        account_id: Set(account.id),
        alias: Set(phone.to_string()),
        domain: Set(account.domain.clone()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    account::Entity::update_many()
        .col_expr(account::Column::Phone, Expr::value(phone))
        .filter(account::Column::Id.eq(account.id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Replaces every stored password of `account` by one HA1 of `algorithm`,
/// and ends what the old one opened (panel sessions but `keep_session`,
/// reset links, provisioning token). Every password change comes here.
pub async fn set_password(
    conn: &impl ConnectionTrait,
    config: &Config,
    account: &account::Model,
    clear: &str,
    algorithm: Algorithm,
    keep_session: Option<i32>,
) -> Result<(), DbErr> {
    password::Entity::delete_many()
        .filter(password::Column::AccountId.eq(account.id))
        .exec(conn)
        .await?;
    insert_password(conn, config, account, clear, algorithm).await?;
    end_what_the_old_password_opened(conn, account.id, keep_session).await
}

/// Adds a password to an account that has none yet (a new account).
async fn insert_password(
    conn: &impl ConnectionTrait,
    config: &Config,
    account: &account::Model,
    clear: &str,
    algorithm: Algorithm,
) -> Result<(), DbErr> {
    let realm = config.realm_for(&account.domain);
    let row = password::ActiveModel {
        account_id: Set(account.id),
        password: Set(algorithm.ha1(&account.username, realm, clear)),
        algorithm: Set(algorithm.name().to_string()),
        ..Default::default()
    };
    password::Entity::insert(row)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The stored passwords of an account, in storage order.
pub async fn passwords(
    conn: &impl ConnectionTrait,
    account_id: i32,
) -> Result<Vec<password::Model>, DbErr> {
    password::Entity::find()
        .filter(password::Column::AccountId.eq(account_id))
        .order_by_asc(password::Column::Id)
        .all(conn)
        .await
}

/// What an admin update sets; validated by the caller. Absent optional
/// fields are cleared (the update replaces them, as FlexiAPI 2.x does).
#[derive(Debug)]
pub struct AccountUpdate<'a> {
    pub username: &'a str,
    pub domain: &'a str,
    /// A new password; `None` keeps the stored ones.
    pub password: Option<(&'a str, Algorithm)>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub display_name: Option<&'a str>,
    pub dtmf_protocol: Option<&'a str>,
}

/// Updates an account's profile, password and phone. Activation, the admin
/// role and `blocked` are left alone. Run it inside a transaction: on error
/// the caller rolls everything back.
pub async fn update(
    conn: &impl ConnectionTrait,
    config: &Config,
    account: &account::Model,
    change: AccountUpdate<'_>,
) -> Result<account::Model, CreateError> {
    let taken = find_by_address(conn, change.username, change.domain).await?;
    if taken.is_some_and(|other| other.id != account.id) {
        return Err(CreateError::UsernameTaken);
    }
    if let Some(phone) = change.phone
        && phone_used_by_another(conn, phone, Some(account.id)).await?
    {
        return Err(CreateError::PhoneTaken);
    }
    let updated = account::Entity::update_many()
        .col_expr(account::Column::Username, Expr::value(change.username))
        .col_expr(account::Column::Domain, Expr::value(change.domain))
        .col_expr(account::Column::Email, Expr::value(change.email))
        .col_expr(
            account::Column::DisplayName,
            Expr::value(change.display_name),
        )
        .col_expr(
            account::Column::DtmfProtocol,
            Expr::value(change.dtmf_protocol),
        )
        .filter(account::Column::Id.eq(account.id))
        .exec(conn)
        .await;
    match updated {
        Ok(_) => {}
        // Lost a race with a concurrent creation of the same address.
        Err(err) if super::is_unique_violation(&err) => return Err(CreateError::UsernameTaken),
        Err(err) => return Err(err.into()),
    }
    let account = find_by_id(conn, account.id)
        .await?
        .ok_or(DbErr::RecordNotUpdated)?;
    if let Some((clear, algorithm)) = change.password {
        // An admin's change ends every session of the account.
        set_password(conn, config, &account, clear, algorithm, None).await?;
    }
    match change.phone {
        // The alias follows the domain too, so it is rewritten either way.
        Some(phone) => set_phone(conn, &account, phone).await.map_err(|err| {
            if super::is_unique_violation(&err) {
                CreateError::PhoneTaken
            } else {
                err.into()
            }
        })?,
        None => clear_phone(conn, account.id).await?,
    }
    Ok(find_by_id(conn, account.id)
        .await?
        .ok_or(DbErr::RecordNotUpdated)?)
}

/// Removes the account's alias and `phone`.
pub async fn clear_phone(conn: &impl ConnectionTrait, account_id: i32) -> Result<(), DbErr> {
    alias::Entity::delete_many()
        .filter(alias::Column::AccountId.eq(account_id))
        .exec(conn)
        .await?;
    account::Entity::update_many()
        .col_expr(account::Column::Phone, Expr::value(Option::<String>::None))
        .filter(account::Column::Id.eq(account_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Blocks or unblocks an account; its activation is kept. While blocked,
/// the `activated` column Flexisip reads is false and the activation waits
/// in `activated_on_unblock`. Blocking revokes the account's standing
/// tokens, as deactivation does.
pub async fn set_blocked(
    conn: &impl ConnectionTrait,
    account_id: i32,
    blocked: bool,
) -> Result<(), DbErr> {
    let (from, to) = if blocked {
        (
            account::Column::FlexisipActivated,
            account::Column::ActivatedOnUnblock,
        )
    } else {
        (
            account::Column::ActivatedOnUnblock,
            account::Column::FlexisipActivated,
        )
    };
    // Only a change of state moves the activation: blocking twice must not
    // overwrite the remembered value with the held-false column.
    account::Entity::update_many()
        .col_expr(to, Expr::col(from).into())
        .col_expr(from, Expr::value(false))
        .col_expr(account::Column::Blocked, Expr::value(blocked))
        .filter(account::Column::Id.eq(account_id))
        .filter(account::Column::Blocked.eq(!blocked))
        .exec(conn)
        .await?;
    if blocked {
        revoke_standing_tokens(conn, account_id).await?;
    }
    Ok(())
}

/// Activates (clearing the confirmation key: it has served) or deactivates;
/// on a blocked account the activation to restore on unblock is set
/// instead. Deactivation revokes the account's standing tokens, so that
/// none can activate it again.
pub async fn set_activated(
    conn: &impl ConnectionTrait,
    account_id: i32,
    activated: bool,
) -> Result<(), DbErr> {
    for (column, blocked) in [
        (account::Column::FlexisipActivated, false),
        (account::Column::ActivatedOnUnblock, true),
    ] {
        let mut update = account::Entity::update_many()
            .col_expr(column, Expr::value(activated))
            .filter(account::Column::Id.eq(account_id))
            .filter(account::Column::Blocked.eq(blocked));
        if activated {
            update = update
                .col_expr(
                    account::Column::ConfirmationKey,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(account::Column::FailedCodeAttempts, Expr::value(0));
        }
        update.exec(conn).await?;
    }
    if !activated {
        revoke_standing_tokens(conn, account_id).await?;
    }
    Ok(())
}

/// Revokes what could later sign the account in or activate it without an
/// admin: its activation key, provisioning token and auth tokens.
async fn revoke_standing_tokens(conn: &impl ConnectionTrait, account_id: i32) -> Result<(), DbErr> {
    account::Entity::update_many()
        .col_expr(
            account::Column::ConfirmationKey,
            Expr::value(Option::<String>::None),
        )
        .col_expr(account::Column::FailedCodeAttempts, Expr::value(0))
        .filter(account::Column::Id.eq(account_id))
        .exec(conn)
        .await?;
    provisioning_token::Entity::delete_many()
        .filter(provisioning_token::Column::AccountId.eq(account_id))
        .exec(conn)
        .await?;
    auth_token::Entity::delete_many()
        .filter(auth_token::Column::AccountId.eq(account_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// What a password change ends besides the old password: the account's
/// panel sessions but `keep_session` (the one that made the change), its
/// reset links and its provisioning token (whose XML carries the old HA1).
async fn end_what_the_old_password_opened(
    conn: &impl ConnectionTrait,
    account_id: i32,
    keep_session: Option<i32>,
) -> Result<(), DbErr> {
    let mut sessions = panel_session::Entity::delete_many()
        .filter(panel_session::Column::AccountId.eq(account_id));
    if let Some(keep) = keep_session {
        sessions = sessions.filter(panel_session::Column::Id.ne(keep));
    }
    sessions.exec(conn).await?;
    reset_password_token::Entity::delete_many()
        .filter(reset_password_token::Column::AccountId.eq(account_id))
        .exec(conn)
        .await?;
    provisioning_token::Entity::delete_many()
        .filter(provisioning_token::Column::AccountId.eq(account_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Deletes an account and everything that belongs to it, in one
/// transaction. Foreign keys cascade too; the explicit deletes keep it true
/// on databases created without them.
pub async fn delete(conn: &super::Db, account_id: i32) -> Result<bool, DbErr> {
    let txn = super::begin_write(conn).await?;
    let deleted = delete_within(&txn, account_id).await?;
    txn.commit().await?;
    Ok(deleted)
}

/// [`delete`] in the caller's transaction (with the audit entry of an
/// admin's deletion, say).
pub async fn delete_within(txn: &impl ConnectionTrait, account_id: i32) -> Result<bool, DbErr> {
    macro_rules! delete_children {
        ($($entity:ident),*) => {$(
            $entity::Entity::delete_many()
                .filter($entity::Column::AccountId.eq(account_id))
                .exec(txn)
                .await?;
        )*};
    }
    delete_children!(
        password,
        alias,
        admin,
        api_key,
        nonce,
        email_changed,
        phone_change_code,
        phone_login_code,
        activation_expiration,
        panel_session,
        auth_token,
        provisioning_token,
        account_creation_token,
        account_recovery_token,
        recovery_code,
        reset_password_token,
        account_account_type,
        account_action,
        account_dictionary_entry,
        external_account,
        account_contacts_list
    );
    contacts_list_contact::Entity::delete_many()
        .filter(contacts_list_contact::Column::ContactId.eq(account_id))
        .exec(txn)
        .await?;
    let deleted = account::Entity::delete_by_id(account_id).exec(txn).await?;
    Ok(deleted.rows_affected == 1)
}

/// Accounts never activated, created at or before `before`. A blocked
/// account counts by the activation it gets back on unblock.
pub async fn unconfirmed_before(
    conn: &impl ConnectionTrait,
    before: NaiveDateTime,
) -> Result<Vec<account::Model>, DbErr> {
    account::Entity::find()
        .filter(account::Column::FlexisipActivated.eq(false))
        .filter(
            Condition::any()
                .add(account::Column::Blocked.eq(false))
                .add(account::Column::ActivatedOnUnblock.eq(false)),
        )
        .filter(account::Column::CreationTime.lte(before))
        .order_by_asc(account::Column::Id)
        .all(conn)
        .await
}

/// Gives `account_id` the admin role (idempotent).
pub async fn make_admin(
    conn: &impl ConnectionTrait,
    account_id: i32,
    now: NaiveDateTime,
) -> Result<(), DbErr> {
    if !is_admin(conn, account_id).await? {
        admin::ActiveModel {
            account_id: Set(account_id),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}

/// Takes the admin role from `account_id`; false when it had none.
pub async fn remove_admin(conn: &impl ConnectionTrait, account_id: i32) -> Result<bool, DbErr> {
    let deleted = admin::Entity::delete_many()
        .filter(admin::Column::AccountId.eq(account_id))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected > 0)
}

fn truncate(value: &str, max_chars: usize) -> String {
    value.chars().take(max_chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like("a%b_c\\d"), "a\\%b\\_c\\\\d");
        assert_eq!(escape_like("plain"), "plain");
    }
}
