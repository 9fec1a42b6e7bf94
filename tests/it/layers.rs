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

/// A module's path (`api::me`) from its file (`src/api/me.rs`).
fn module_of(root: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(root.join("src")).unwrap();
    let mut parts: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|last| last == "mod") {
        parts.pop();
    }
    parts.join("::")
}

/// The modules a file names through `crate::…` or `super::…`, resolved to
/// the longest module path that is a file. Comments and the unit tests at
/// the end of a file are left out: they may reach anywhere.
fn imports(text: &str, module: &str, modules: &[String]) -> Vec<String> {
    let code: String = text
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or("")
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let resolve = |path: &str| -> Option<String> {
        let parts: Vec<&str> = path.split("::").collect();
        (1..=parts.len())
            .rev()
            .map(|n| parts[..n].join("::"))
            .find(|candidate| modules.contains(candidate))
    };
    // `super` of `api::me` (src/api/me.rs) and of `api::x` (src/api/x/mod.rs)
    // alike is `api`.
    let parent = module
        .rsplit_once("::")
        .map(|(parent, _)| parent.to_string())
        .unwrap_or_default();
    let mut found = Vec::new();
    for (prefix, base) in [("crate::", String::new()), ("super::", parent)] {
        for (index, _) in code.match_indices(prefix) {
            if prefix == "super::" && index > 0 && code[..index].ends_with("::") {
                continue;
            }
            let rest = &code[index + prefix.len()..];
            let path: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':' || *c == '{')
                .collect();
            let path = path.trim_end_matches(':');
            let (head, group) = match path.split_once("::{") {
                Some((head, _)) => {
                    let group = rest[head.len() + 3..].split('}').next().unwrap_or("");
                    (head.to_string(), Some(group.to_string()))
                }
                None => (path.trim_end_matches('{').to_string(), None),
            };
            let head = if base.is_empty() {
                head
            } else {
                format!("{base}::{head}")
            };
            let targets: Vec<String> = match group {
                Some(group) => group
                    .split(',')
                    .map(|item| item.split_whitespace().next().unwrap_or("").to_string())
                    .map(|item| match item.as_str() {
                        "" | "self" => head.clone(),
                        item => format!("{head}::{item}"),
                    })
                    .collect(),
                None => vec![head],
            };
            found.extend(
                targets
                    .iter()
                    .filter_map(|target| resolve(target))
                    .filter(|target| target != module),
            );
        }
    }
    found.sort();
    found.dedup();
    found
}

/// A circle of imports, if the graph has one (depth-first search).
fn find_circle(graph: &std::collections::BTreeMap<String, Vec<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &std::collections::BTreeMap<String, Vec<String>>,
        done: &mut std::collections::HashSet<String>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|seen| seen == node) {
            let mut circle = path[start..].to_vec();
            circle.push(node.to_string());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, done, path) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = std::collections::HashSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut done, &mut Vec::new()))
}

#[test]
fn no_two_modules_import_each_other() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let named: Vec<(String, PathBuf)> = files
        .into_iter()
        .map(|file| (module_of(root, &file), file))
        .filter(|(module, _)| module != "lib" && module != "main")
        .collect();
    let modules: Vec<String> = named.iter().map(|(module, _)| module.clone()).collect();
    let graph: std::collections::BTreeMap<String, Vec<String>> = named
        .iter()
        .map(|(module, file)| {
            let text = std::fs::read_to_string(file).unwrap();
            (module.clone(), imports(&text, module, &modules))
        })
        .collect();
    assert!(
        graph["api::me"].contains(&"auth".to_string()),
        "the import reader misses `use crate::auth::…`"
    );
    if let Some(circle) = find_circle(&graph) {
        panic!("modules import each other: {}", circle.join(" -> "));
    }
}
