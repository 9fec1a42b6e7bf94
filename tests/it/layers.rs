//! The layering rule of docs/architecture.md: handlers (`src/api`) and
//! pages (`src/panel`) reach the database only through `src/db` and the
//! flows of `src/service`, never with sea-orm's query API themselves.

use std::path::{Path, PathBuf};

/// What names a query: sea-orm's entities, active models, statements and
/// query builders, and the connection's raw execution methods. Its error
/// type and the connection trait (as a bound) are not queries.
fn query_use(line: &str) -> Option<&'static str> {
    let code = line.trim_start();
    if code.starts_with("//") {
        return None;
    }
    let allowed = |name: &str| matches!(name.trim(), "DbErr" | "ConnectionTrait");
    for (index, _) in code.match_indices("sea_orm::") {
        let rest = &code[index + "sea_orm::".len()..];
        let names: Vec<&str> = match rest.strip_prefix('{') {
            Some(group) => group.split('}').next().unwrap_or("").split(',').collect(),
            None => vec![
                rest.split(|c: char| !c.is_alphanumeric() && c != '_')
                    .next()
                    .unwrap_or(""),
            ],
        };
        if !names
            .into_iter()
            .filter(|name| !name.trim().is_empty())
            .all(allowed)
        {
            return Some("sea_orm::");
        }
    }
    [
        "sea_query",
        "::Entity",
        "ActiveModel",
        "Statement::",
        ".execute(",
        ".execute_unprepared(",
        ".query_one(",
        ".query_all(",
    ]
    .into_iter()
    .find(|pattern| code.contains(pattern))
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn handlers_and_pages_leave_queries_to_the_db_layer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src/api"), &mut files);
    rust_files(&root.join("src/panel"), &mut files);
    files.sort();
    assert!(files.len() > 30, "the source tree was not found");

    let mut offenders = Vec::new();
    for path in files {
        let name = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        offenders.extend(text.lines().enumerate().filter_map(|(n, line)| {
            query_use(line).map(|what| format!("{name}:{}: {what}", n + 1))
        }));
    }
    assert!(
        offenders.is_empty(),
        "queries outside src/db (move them into a src/db module):\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_rule_sees_a_query_and_lets_the_error_type_pass() {
    assert!(query_use("    let row = token::Entity::find()").is_some());
    assert!(query_use("use sea_orm::{ColumnTrait, QueryFilter};").is_some());
    assert!(query_use("        .execute(&txn)").is_some());
    assert!(query_use("use sea_orm::sea_query::Expr;").is_some());
    assert!(query_use(") -> Result<(), sea_orm::DbErr> {").is_none());
    assert!(query_use("use sea_orm::ConnectionTrait;").is_none());
    assert!(query_use("use sea_orm::{ConnectionTrait, DbErr};").is_none());
    assert!(query_use("use sea_orm::{DbErr, EntityTrait};").is_some());
    assert!(query_use("// token::Entity::find() in a comment").is_none());
    assert!(query_use("    let account = accounts::find_by_id(&state.db, id).await?;").is_none());
}
