//! Reading a PHP FlexiAPI database of mid-2021: which of its tables are
//! there, the columns we carry over, and values decoded whatever type the
//! backend gave them (Laravel's `increments` is unsigned on MySQL, its
//! booleans are `tinyint(1)`, its SQLite datetimes are text).

use std::collections::BTreeSet;

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, NaiveDateTime, Utc};
use sea_orm::sea_query::{Alias, Asterisk, Expr, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, QueryResult, Statement};

use crate::db::kind::{DatabaseKind, inspect, table_names};
use crate::db::one_line;

/// The PHP tables we read, with the columns each one gives us.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PhpTable {
    Accounts,
    Passwords,
    Aliases,
    Admins,
    ApiKeys,
    EmailChanged,
    PhoneChangeCodes,
    Tokens,
    ActivationExpirations,
    Nonces,
}

impl PhpTable {
    pub const ALL: [PhpTable; 10] = [
        PhpTable::Accounts,
        PhpTable::Passwords,
        PhpTable::Aliases,
        PhpTable::Admins,
        PhpTable::ApiKeys,
        PhpTable::EmailChanged,
        PhpTable::PhoneChangeCodes,
        PhpTable::Tokens,
        PhpTable::ActivationExpirations,
        PhpTable::Nonces,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PhpTable::Accounts => "accounts",
            PhpTable::Passwords => "passwords",
            PhpTable::Aliases => "aliases",
            PhpTable::Admins => "admins",
            PhpTable::ApiKeys => "api_keys",
            PhpTable::EmailChanged => "email_changed",
            PhpTable::PhoneChangeCodes => "phone_change_codes",
            PhpTable::Tokens => "tokens",
            PhpTable::ActivationExpirations => "activation_expirations",
            PhpTable::Nonces => "nonces",
        }
    }

    /// The columns read (those of the mid-2021 schema that we keep).
    fn columns(self) -> &'static [&'static str] {
        match self {
            PhpTable::Accounts => &[
                "id",
                "username",
                "domain",
                "email",
                "activated",
                "confirmation_key",
                "ip_address",
                "user_agent",
                "creation_time",
                "expire_time",
            ],
            PhpTable::Passwords => &["id", "account_id", "password", "algorithm"],
            PhpTable::Aliases => &["id", "account_id", "alias", "domain"],
            PhpTable::Admins => &["id", "account_id", "created_at"],
            PhpTable::ApiKeys => &["id", "account_id", "key", "created_at"],
            PhpTable::EmailChanged => &["id", "account_id", "new_email", "hash", "created_at"],
            PhpTable::PhoneChangeCodes => &["id", "account_id", "code", "phone", "created_at"],
            PhpTable::Tokens => &[
                "id",
                "token",
                "pn_provider",
                "pn_param",
                "pn_prid",
                "used",
                "created_at",
            ],
            PhpTable::ActivationExpirations => &["id", "account_id", "expires", "created_at"],
            PhpTable::Nonces => &["id"],
        }
    }

    /// Tables of the PHP service's "local" Laravel connection (a separate
    /// database in some installs); the others were on its "external" one,
    /// which Flexisip reads.
    fn is_local(self) -> bool {
        !matches!(
            self,
            PhpTable::Accounts | PhpTable::Passwords | PhpTable::Aliases
        )
    }
}

/// The source database (or the two of a split install).
pub struct PhpSource {
    main: DatabaseConnection,
    main_tables: BTreeSet<String>,
    local: Option<(DatabaseConnection, BTreeSet<String>)>,
}

impl PhpSource {
    /// Checks that `main` (and `local`) are the PHP service's, and that
    /// every table we read has the columns we expect; nothing is read yet.
    pub async fn open(
        main: DatabaseConnection,
        local: Option<DatabaseConnection>,
    ) -> anyhow::Result<Self> {
        refuse_unless_php(&main, "--from", true).await?;
        let main_tables = table_names(&main).await?;
        let local = match local {
            Some(conn) => {
                refuse_unless_php(&conn, "--from-local", false).await?;
                let tables = table_names(&conn).await?;
                Some((conn, tables))
            }
            None => None,
        };
        let source = PhpSource {
            main,
            main_tables,
            local,
        };
        for table in PhpTable::ALL {
            source.probe(table).await?;
        }
        Ok(source)
    }

    /// The connection holding `table`, if the source has that table.
    fn conn(&self, table: PhpTable) -> Option<&DatabaseConnection> {
        let (conn, tables) = match &self.local {
            Some((conn, tables)) if table.is_local() => (conn, tables),
            _ => (&self.main, &self.main_tables),
        };
        tables.contains(table.name()).then_some(conn)
    }

    pub fn has(&self, table: PhpTable) -> bool {
        self.conn(table).is_some()
    }

    /// Selects the table's columns, none of its rows: a column missing or
    /// named otherwise stops the import before anything is written.
    async fn probe(&self, table: PhpTable) -> anyhow::Result<()> {
        let Some(conn) = self.conn(table) else {
            return Ok(());
        };
        let not_php = |detail: String| {
            anyhow!(
                "the source's {} table is not PHP FlexiAPI's: {detail}",
                table.name()
            )
        };
        if conn.get_database_backend() == DbBackend::Sqlite {
            // SQLite reads a double-quoted name that is no column as a
            // string literal: ask for the columns instead.
            let rows = conn
                .query_all(Statement::from_sql_and_values(
                    DbBackend::Sqlite,
                    "SELECT name FROM pragma_table_info(?)",
                    [table.name().into()],
                ))
                .await?;
            let names: BTreeSet<String> = rows
                .iter()
                .map(|row| row.try_get::<String>("", "name"))
                .collect::<Result<_, _>>()?;
            if let Some(missing) = table.columns().iter().find(|c| !names.contains(**c)) {
                return Err(not_php(format!("it has no {missing} column")));
            }
            return Ok(());
        }
        let mut select = select(table);
        select.limit(0);
        conn.query_all(conn.get_database_backend().build(&select))
            .await
            .map_err(|err| not_php(one_line(&err.to_string())))?;
        Ok(())
    }

    pub async fn count(&self, table: PhpTable) -> anyhow::Result<u64> {
        let Some(conn) = self.conn(table) else {
            return Ok(0);
        };
        let query = Query::select()
            .expr_as(Expr::col(Asterisk).count(), Alias::new("n"))
            .from(Alias::new(table.name()))
            .to_owned();
        let row = conn
            .query_one(conn.get_database_backend().build(&query))
            .await?
            .context("COUNT answered no row")?;
        Ok(Row { row: &row, table }.int("n")?.max(0) as u64)
    }

    /// Up to `limit` rows of `table` with an id above `after`, by id.
    pub async fn rows_after(
        &self,
        table: PhpTable,
        after: i64,
        limit: u64,
    ) -> anyhow::Result<Vec<QueryResult>> {
        let Some(conn) = self.conn(table) else {
            return Ok(Vec::new());
        };
        let mut select = select(table);
        select
            .and_where(Expr::col(Alias::new("id")).gt(after))
            .order_by(Alias::new("id"), Order::Asc)
            .limit(limit);
        Ok(conn
            .query_all(conn.get_database_backend().build(&select))
            .await?)
    }

    /// The rows of `table` belonging to `account_ids`, by id.
    pub async fn rows_of_accounts(
        &self,
        table: PhpTable,
        account_ids: &[i64],
    ) -> anyhow::Result<Vec<QueryResult>> {
        let Some(conn) = self.conn(table) else {
            return Ok(Vec::new());
        };
        if account_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut select = select(table);
        select
            .and_where(Expr::col(Alias::new("account_id")).is_in(account_ids.iter().copied()))
            .order_by(Alias::new("id"), Order::Asc);
        Ok(conn
            .query_all(conn.get_database_backend().build(&select))
            .await?)
    }
}

fn select(table: PhpTable) -> SelectStatement {
    let mut select = Query::select();
    select.from(Alias::new(table.name()));
    for column in table.columns() {
        select.column(Alias::new(*column));
    }
    select
}

/// Refuses a database that is not the PHP service's; `needs_accounts` for
/// the main source, which must hold the account tables.
async fn refuse_unless_php(
    conn: &DatabaseConnection,
    option: &str,
    needs_accounts: bool,
) -> anyhow::Result<()> {
    match inspect(conn).await? {
        DatabaseKind::Php { accounts, .. } if accounts || !needs_accounts => Ok(()),
        DatabaseKind::Php { .. } => bail!(
            "{option}: a PHP FlexiAPI local database without the accounts and passwords \
             tables; give the database holding them as --from and this one as --from-local"
        ),
        DatabaseKind::Ours { .. } => {
            bail!("{option}: not a PHP FlexiAPI database: it is already a flexiapi database")
        }
        DatabaseKind::Empty => bail!("{option}: not a PHP FlexiAPI database: it has no tables"),
        DatabaseKind::Other { .. } => bail!(
            "{option}: not a PHP FlexiAPI database: no accounts and passwords tables \
             nor Laravel migrations"
        ),
    }
}

/// One source row, decoded leniently by column name.
pub struct Row<'a> {
    pub row: &'a QueryResult,
    pub table: PhpTable,
}

impl Row<'_> {
    fn error(&self, column: &str, err: impl std::fmt::Debug) -> anyhow::Error {
        anyhow!(
            "the source's {}.{column} could not be read: {err:?}",
            self.table.name()
        )
    }

    /// An integer, whatever its width or signedness.
    pub fn int(&self, column: &str) -> anyhow::Result<i64> {
        self.opt_int(column)?
            .ok_or_else(|| self.error(column, "NULL"))
    }

    pub fn opt_int(&self, column: &str) -> anyhow::Result<Option<i64>> {
        let row = self.row;
        if let Ok(v) = row.try_get::<Option<i64>>("", column) {
            return Ok(v);
        }
        if let Ok(v) = row.try_get::<Option<u64>>("", column) {
            return v
                .map(i64::try_from)
                .transpose()
                .map_err(|e| self.error(column, e));
        }
        if let Ok(v) = row.try_get::<Option<i32>>("", column) {
            return Ok(v.map(i64::from));
        }
        row.try_get::<Option<u32>>("", column)
            .map(|v| v.map(i64::from))
            .map_err(|e| self.error(column, e))
    }

    pub fn text(&self, column: &str) -> anyhow::Result<String> {
        self.opt_text(column)?
            .ok_or_else(|| self.error(column, "NULL"))
    }

    pub fn opt_text(&self, column: &str) -> anyhow::Result<Option<String>> {
        self.row
            .try_get::<Option<String>>("", column)
            .map_err(|e| self.error(column, e))
    }

    /// A boolean stored as a boolean, a number or `'1'`/`'true'`.
    pub fn flag(&self, column: &str) -> anyhow::Result<bool> {
        if let Ok(Some(v)) = self.row.try_get::<Option<bool>>("", column) {
            return Ok(v);
        }
        if let Ok(Some(v)) = self.opt_int(column) {
            return Ok(v != 0);
        }
        match self.opt_text(column)? {
            Some(text) => Ok(matches!(text.trim(), "1" | "true" | "t")),
            None => Ok(false),
        }
    }

    /// A datetime, as the backend's type or as Laravel's `Y-m-d H:i:s` text.
    pub fn opt_time(&self, column: &str) -> anyhow::Result<Option<NaiveDateTime>> {
        let typed = match self.row.try_get::<Option<NaiveDateTime>>("", column) {
            Ok(v) => return Ok(v),
            Err(err) => err,
        };
        // MySQL's TIMESTAMP (Laravel's `timestamps()`) decodes as UTC only.
        if let Ok(v) = self.row.try_get::<Option<DateTime<Utc>>>("", column) {
            return Ok(v.map(|t| t.naive_utc()));
        }
        let Some(text) = self
            .opt_text(column)
            .map_err(|_| self.error(column, typed))?
        else {
            return Ok(None);
        };
        let text = text.trim();
        if text.is_empty() || text.starts_with("0000-00-00") {
            return Ok(None);
        }
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
            .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f"))
            .map(Some)
            .map_err(|e| self.error(column, e))
    }

    pub fn time(&self, column: &str) -> anyhow::Result<NaiveDateTime> {
        self.opt_time(column)?
            .ok_or_else(|| self.error(column, "NULL"))
    }
}
