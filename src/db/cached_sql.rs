//! SQL of the hottest queries, built once per backend.
//!
//! sea-query builds a statement's text on every call; for the queries of
//! every authenticated request that is most of their cost outside the
//! database. A [`CachedSql`] keeps the text the first build gave for each
//! backend, and each call binds its own values to it.

use std::sync::OnceLock;

use sea_orm::sea_query::SelectStatement;
use sea_orm::{DbBackend, Statement, Value};

/// The SQL text of one query, per backend.
#[derive(Default)]
pub struct CachedSql {
    texts: [OnceLock<(String, usize)>; 3],
}

impl CachedSql {
    pub const fn new() -> Self {
        CachedSql {
            texts: [OnceLock::new(), OnceLock::new(), OnceLock::new()],
        }
    }

    /// The statement of `build` on `backend` with `values` bound in the
    /// order of their placeholders. `build` runs once per backend; the
    /// values it puts in are only placeholders' stand-ins.
    pub fn statement(
        &self,
        backend: DbBackend,
        build: impl FnOnce() -> SelectStatement,
        values: Vec<Value>,
    ) -> Statement {
        let (sql, placeholders) = self.built(backend, build);
        assert_eq!(
            placeholders,
            values.len(),
            "a cached statement is given as many values as it has placeholders"
        );
        Statement::from_sql_and_values(backend, sql, values)
    }

    /// The SQL text of `build` on `backend`, for a driver of its own (see
    /// `sqlite_direct`).
    pub fn text(&self, backend: DbBackend, build: impl FnOnce() -> SelectStatement) -> &str {
        self.built(backend, build).0
    }

    fn built(&self, backend: DbBackend, build: impl FnOnce() -> SelectStatement) -> (&str, usize) {
        let slot = match backend {
            DbBackend::MySql => 0,
            DbBackend::Postgres => 1,
            DbBackend::Sqlite => 2,
        };
        let (sql, placeholders) = self.texts[slot].get_or_init(|| {
            let built = backend.build(&build());
            (built.sql, built.values.map(|v| v.0.len()).unwrap_or(0))
        });
        (sql, *placeholders)
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::sea_query::{Alias, Expr, Query};

    use super::*;

    fn by_name(name: &str) -> SelectStatement {
        Query::select()
            .column(Alias::new("id"))
            .from(Alias::new("accounts"))
            .and_where(Expr::col(Alias::new("username")).eq(name))
            .to_owned()
    }

    #[test]
    fn each_backend_gets_its_own_text_and_the_values_of_the_call() {
        static SQL: CachedSql = CachedSql::new();
        let sqlite = SQL.statement(DbBackend::Sqlite, || by_name(""), vec!["alice".into()]);
        let postgres = SQL.statement(DbBackend::Postgres, || by_name(""), vec!["bob".into()]);
        let again = SQL.statement(
            DbBackend::Sqlite,
            || unreachable!("built once"),
            vec!["carol".into()],
        );
        assert_eq!(
            sqlite.sql,
            r#"SELECT "id" FROM "accounts" WHERE "username" = ?"#
        );
        assert_eq!(
            postgres.sql,
            r#"SELECT "id" FROM "accounts" WHERE "username" = $1"#
        );
        assert_eq!(again.sql, sqlite.sql);
        assert_eq!(again.values.unwrap().0, vec![Value::from("carol")]);
    }
}
