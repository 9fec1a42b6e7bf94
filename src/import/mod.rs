//! `flexiapi db import`: copies a PHP FlexiAPI database (mid-2021 schema)
//! into ours.
//!
//! Accounts go in batches; each batch is written in one transaction with
//! everything that belongs to its accounts (passwords, aliases, admin role,
//! API key, pending e-mail and phone changes, activation expiry), so an
//! interrupted import leaves whole accounts only. Accounts keep their ids,
//! so Flexisip's rows and the PHP references still match. An account
//! already in the target (same id or same address) is left as it is, with
//! everything attached to it: a second run adds nothing. A dry run plans
//! the same batches and writes none.
//!
//! Secrets that only we read are stored the way we store our own: API keys
//! and e-mail change links as SHA-256, so old plain-text keys keep working.

mod accounts;
pub mod report;
pub mod source;

use std::collections::HashSet;

use chrono::{NaiveDate, NaiveDateTime};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::db::entities::token;
use crate::secrets;
pub use report::{Report, Skip};
pub use source::{PhpSource, PhpTable, Row};

/// Accounts (or tokens) read and written at a time.
const BATCH: u64 = 500;

/// What earlier batches of this run took, so that a dry run (which writes
/// nothing the next batch could see) counts as a real run does.
#[derive(Default)]
struct Taken {
    addresses: HashSet<(String, String)>,
    aliases: HashSet<String>,
    email_hashes: HashSet<String>,
    tokens: HashSet<String>,
}

/// Imports `source` into `target`; `None` is an empty target seen by a dry
/// run (one that has no tables yet, so nothing to look up).
pub async fn run(
    source: &PhpSource,
    target: Option<&crate::db::Db>,
    dry_run: bool,
    now: NaiveDateTime,
) -> anyhow::Result<Report> {
    let mut report = Report {
        dry_run,
        ..Default::default()
    };
    for table in PhpTable::ALL {
        let present = source.has(table);
        let entry = report.table(table);
        entry.present = present;
        if present && !matches!(table, PhpTable::Accounts | PhpTable::Tokens) {
            entry.read = source.count(table).await?;
        }
    }
    let nonces = report.table(PhpTable::Nonces);
    if nonces.read > 0 {
        let unread = nonces.read;
        nonces.skipped.insert(Skip::NotCarriedOver, unread);
    }

    let mut taken = Taken::default();
    let write = if dry_run { None } else { target };
    let mut after = -1;
    loop {
        let rows = source.rows_after(PhpTable::Accounts, after, BATCH).await?;
        let Some(last) = rows.last() else { break };
        after = Row {
            row: last,
            table: PhpTable::Accounts,
        }
        .int("id")?;
        let batch = accounts::plan(source, target, &rows, &mut taken, &mut report, now).await?;
        if let Some(conn) = write {
            batch.write(conn).await?;
        }
    }
    import_tokens(source, target, write, &mut taken, &mut report).await?;
    report.settle_orphans();
    Ok(report)
}

/// Fits one of our text columns: at most `max` characters, no NUL (which
/// PostgreSQL refuses).
fn fits(value: &str, max: usize) -> bool {
    !value.contains('\0') && value.chars().count() <= max
}

/// The time given to an expiring secret whose creation time is unknown:
/// long ago, so that it counts as expired rather than fresh.
fn long_ago() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2000, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("a valid date")
}

/// Account-creation tokens (they belong to no account).
async fn import_tokens(
    source: &PhpSource,
    target: Option<&crate::db::Db>,
    write: Option<&crate::db::Db>,
    taken: &mut Taken,
    report: &mut Report,
) -> anyhow::Result<()> {
    let table = PhpTable::Tokens;
    let mut after = -1;
    loop {
        let rows = source.rows_after(table, after, BATCH).await?;
        if rows.is_empty() {
            return Ok(());
        }
        let mut read = Vec::with_capacity(rows.len());
        for row in &rows {
            let row = Row { row, table };
            after = row.int("id")?;
            read.push((
                row.text("token")?,
                row.text("pn_provider")?,
                row.text("pn_param")?,
                row.text("pn_prid")?,
                row.flag("used")?,
                row.opt_time("created_at")?,
            ));
        }
        let existing: HashSet<String> = match target {
            Some(conn) => token::Entity::find()
                .select_only()
                .column(token::Column::Token)
                .filter(
                    token::Column::Token
                        .is_in(read.iter().filter(|r| fits(&r.0, 64)).map(|r| r.0.clone())),
                )
                .into_tuple::<String>()
                .all(conn)
                .await?
                .into_iter()
                .map(|t| t.to_lowercase())
                .collect(),
            None => HashSet::new(),
        };
        let mut models = Vec::new();
        for (value, provider, param, prid, used, created_at) in read {
            let entry = report.table(table);
            entry.read += 1;
            if !(fits(&value, 64) && fits(&provider, 64) && fits(&param, 255) && fits(&prid, 255))
                || value.is_empty()
            {
                entry.skip(Skip::Unfit);
                continue;
            }
            // MySQL compares tokens case-insensitively: so does the check.
            let key = value.to_lowercase();
            if taken.tokens.contains(&key) {
                entry.skip(Skip::Duplicate);
                continue;
            }
            if existing.contains(&key) {
                entry.skip(Skip::AlreadyImported);
                continue;
            }
            taken.tokens.insert(key);
            entry.imported += 1;
            let created_at = created_at.unwrap_or_else(long_ago);
            models.push(token::ActiveModel {
                token: sea_orm::Set(value),
                pn_provider: sea_orm::Set(provider),
                pn_param: sea_orm::Set(param),
                pn_prid: sea_orm::Set(prid),
                used: sea_orm::Set(used),
                created_at: sea_orm::Set(created_at),
                updated_at: sea_orm::Set(created_at),
                ..Default::default()
            });
        }
        if let (Some(conn), false) = (write, models.is_empty()) {
            let txn = crate::db::begin_write(conn).await?;
            token::Entity::insert_many(models)
                .exec_without_returning(&txn)
                .await?;
            txn.commit().await?;
        }
    }
}

/// SHA-256 hex, as we store link secrets and API keys.
fn hashed(secret: &str) -> String {
    secrets::sha256_hex(secret)
}
