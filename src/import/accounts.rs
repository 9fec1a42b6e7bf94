//! One batch of PHP accounts and what belongs to them: which rows go in,
//! which stay out and why, then one transaction that writes them.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryResult, QuerySelect,
    Set,
};

use super::{PhpSource, PhpTable, Report, Row, Skip, Taken, fits, hashed, long_ago};
use crate::db::entities::{
    account, activation_expiration, admin, alias, api_key, email_changed, password,
    phone_change_code,
};

/// The rows of one batch that a real run writes.
#[derive(Default)]
pub(super) struct Batch {
    accounts: Vec<account::ActiveModel>,
    passwords: Vec<password::ActiveModel>,
    aliases: Vec<alias::ActiveModel>,
    admins: Vec<admin::ActiveModel>,
    api_keys: Vec<api_key::ActiveModel>,
    email_changes: Vec<email_changed::ActiveModel>,
    phone_changes: Vec<phone_change_code::ActiveModel>,
    expirations: Vec<activation_expiration::ActiveModel>,
}

struct PhpAccount {
    id: i64,
    username: String,
    domain: String,
    email: Option<String>,
    activated: bool,
    confirmation_key: Option<String>,
    ip_address: String,
    user_agent: String,
    creation_time: NaiveDateTime,
    expire_time: Option<NaiveDateTime>,
}

impl PhpAccount {
    fn read(row: &Row) -> anyhow::Result<Self> {
        Ok(PhpAccount {
            id: row.int("id")?,
            username: row.text("username")?,
            domain: row.text("domain")?,
            email: row.opt_text("email")?,
            activated: row.flag("activated")?,
            confirmation_key: row.opt_text("confirmation_key")?,
            ip_address: row.opt_text("ip_address")?.unwrap_or_default(),
            user_agent: row.opt_text("user_agent")?.unwrap_or_default(),
            creation_time: row.time("creation_time")?,
            expire_time: row.opt_time("expire_time")?,
        })
    }

    /// Our row for this account, under `id` (its own). A user agent is
    /// only informative: it is cut to our column rather than refused.
    fn model(&self, id: i32) -> account::ActiveModel {
        account::ActiveModel {
            id: Set(id),
            username: Set(self.username.clone()),
            domain: Set(self.domain.clone()),
            email: Set(self.email.clone()),
            flexisip_activated: Set(self.activated),
            confirmation_key: Set(self.confirmation_key.clone()),
            ip_address: Set(self.ip_address.clone()),
            user_agent: Set(self.user_agent.chars().take(255).collect()),
            creation_time: Set(self.creation_time),
            expire_time: Set(self.expire_time),
            phone: Set(None),
            failed_code_attempts: Set(0),
            // Not in the 2021 schema.
            blocked: Set(false),
            display_name: Set(None),
            dtmf_protocol: Set(None),
            activated_on_unblock: Set(false),
        }
    }

    fn address(&self) -> String {
        format!("{}@{}", self.username, self.domain)
    }

    /// The first value our columns cannot hold, if any (a long user agent
    /// is cut, see `model`).
    fn unfit_column(&self) -> Option<&'static str> {
        let optional = |v: &Option<String>, max| v.as_deref().is_none_or(|v| fits(v, max));
        if self.username.is_empty() || !fits(&self.username, 64) {
            Some("username")
        } else if self.domain.is_empty() || !fits(&self.domain, 64) {
            Some("domain")
        } else if !optional(&self.email, 255) {
            Some("email")
        } else if !optional(&self.confirmation_key, 14) {
            Some("confirmation_key")
        } else if !fits(&self.ip_address, 39) {
            Some("ip_address")
        } else if self.user_agent.contains('\0') {
            Some("user_agent")
        } else {
            None
        }
    }
}

/// What the target's unique indexes compare: user parts (usernames,
/// aliases) byte for byte, as on every backend; domains whatever their
/// case, as MariaDB does (so the plan never hits its unique index, and
/// decides the same on every backend).
fn address_key(user: &str, domain: &str) -> (String, String) {
    (user.to_string(), domain.to_lowercase())
}

/// Decides the fate of the batch `rows` of PHP accounts and of what
/// belongs to them; records it in `report` and `taken`.
pub(super) async fn plan(
    source: &PhpSource,
    target: Option<&crate::db::Db>,
    rows: &[QueryResult],
    taken: &mut Taken,
    report: &mut Report,
    now: NaiveDateTime,
) -> anyhow::Result<Batch> {
    let php: Vec<PhpAccount> = rows
        .iter()
        .map(|row| {
            PhpAccount::read(&Row {
                row,
                table: PhpTable::Accounts,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let (by_id, by_address) = match target {
        Some(conn) => existing_accounts(conn, &php).await?,
        None => Default::default(),
    };

    // The accounts that go in, by their (kept) id.
    let mut accepted: HashMap<i64, account::ActiveModel> = HashMap::new();
    for a in &php {
        let entry = report.table(PhpTable::Accounts);
        entry.read += 1;
        match decide(a, &by_id, &by_address, taken) {
            Ok(id) => {
                entry.imported += 1;
                accepted.insert(a.id, a.model(id));
            }
            Err((why, line)) => {
                entry.skip(why);
                report.conflicts.extend(line);
            }
        }
    }

    let ids: Vec<i64> = php.iter().map(|a| a.id).collect();
    let mut batch = Batch::default();
    plan_passwords(source, &ids, &accepted, &mut batch, report).await?;
    plan_aliases(
        source,
        target,
        &ids,
        &mut accepted,
        taken,
        &mut batch,
        report,
    )
    .await?;
    plan_roles_and_keys(source, &ids, &accepted, &mut batch, report, now).await?;
    plan_pending(source, target, &ids, &accepted, taken, &mut batch, report).await?;
    let mut models: Vec<(i64, account::ActiveModel)> = accepted.into_iter().collect();
    models.sort_by_key(|(id, _)| *id);
    batch.accounts = models.into_iter().map(|(_, model)| model).collect();
    Ok(batch)
}

/// The target id of `a` when it goes in (its own), or why it stays out
/// and, for a clash worth naming, the report's line about it.
fn decide(
    a: &PhpAccount,
    by_id: &HashMap<i32, (String, String)>,
    by_address: &HashMap<(String, String), i32>,
    taken: &mut Taken,
) -> Result<i32, (Skip, Option<String>)> {
    let Ok(id) = i32::try_from(a.id) else {
        let line = format!("accounts #{}: skipped, its id is out of range", a.id);
        return Err((Skip::Unfit, Some(line)));
    };
    if let Some(column) = a.unfit_column() {
        let line = format!("accounts #{id}: skipped, its {column} does not fit our schema");
        return Err((Skip::Unfit, Some(line)));
    }
    let key = address_key(&a.username, &a.domain);
    if let Some(existing) = by_id.get(&id) {
        if *existing == key {
            return Err((Skip::AlreadyImported, None));
        }
        let line = format!(
            "accounts #{id} {}: skipped, id {id} is another account in the target ({}@{})",
            a.address(),
            existing.0,
            existing.1
        );
        return Err((Skip::Conflict, Some(line)));
    }
    // This run first: an earlier batch's account is in the target only
    // when the run is not a dry one.
    if taken.addresses.contains(&key) {
        let line = format!(
            "accounts #{id} {}: skipped, an earlier source account has this address",
            a.address()
        );
        return Err((Skip::Duplicate, Some(line)));
    }
    if let Some(other) = by_address.get(&key) {
        let line = format!(
            "accounts #{id} {}: skipped, the target has this address as account #{other}",
            a.address()
        );
        return Err((Skip::Conflict, Some(line)));
    }
    taken.addresses.insert(key);
    Ok(id)
}

/// Target accounts with one of the batch's ids, and with one of its
/// addresses (id by address).
async fn existing_accounts(
    conn: &crate::db::Db,
    php: &[PhpAccount],
) -> anyhow::Result<(
    HashMap<i32, (String, String)>,
    HashMap<(String, String), i32>,
)> {
    // Values the target cannot hold are left out of the lookups too
    // (PostgreSQL refuses a NUL even in a WHERE).
    let php: Vec<&PhpAccount> = php.iter().filter(|a| a.unfit_column().is_none()).collect();
    let ids = php.iter().filter_map(|a| i32::try_from(a.id).ok());
    let by_id = account::Entity::find()
        .select_only()
        .columns([
            account::Column::Id,
            account::Column::Username,
            account::Column::Domain,
        ])
        .filter(account::Column::Id.is_in(ids))
        .into_tuple::<(i32, String, String)>()
        .all(conn)
        .await?
        .into_iter()
        .map(|(id, u, d)| (id, address_key(&u, &d)))
        .collect();
    // Looked up by username (indexed), matched on both in memory.
    let usernames: HashSet<&str> = php.iter().map(|a| a.username.as_str()).collect();
    let by_address = account::Entity::find()
        .select_only()
        .columns([
            account::Column::Id,
            account::Column::Username,
            account::Column::Domain,
        ])
        .filter(account::Column::Username.is_in(usernames))
        .into_tuple::<(i32, String, String)>()
        .all(conn)
        .await?
        .into_iter()
        .map(|(id, u, d)| (address_key(&u, &d), id))
        .collect();
    Ok((by_id, by_address))
}

/// The rows of `table` for the batch's accounts, each with its account's
/// source id; rows of accounts not imported are counted out here.
async fn rows_for(
    source: &PhpSource,
    table: PhpTable,
    ids: &[i64],
    accepted: &HashMap<i64, account::ActiveModel>,
    report: &mut Report,
) -> anyhow::Result<Vec<(i64, QueryResult)>> {
    let rows = source.rows_of_accounts(table, ids).await?;
    let mut kept = Vec::with_capacity(rows.len());
    for row in rows {
        let account_id = Row { row: &row, table }.int("account_id")?;
        if accepted.contains_key(&account_id) {
            kept.push((account_id, row));
        } else {
            report.table(table).skip(Skip::AccountNotImported);
        }
    }
    Ok(kept)
}

/// The target id of an accepted account: its PHP id, kept (it fitted).
fn kept_id(php_id: i64) -> i32 {
    i32::try_from(php_id).expect("accepted accounts have ids that fit")
}

async fn plan_passwords(
    source: &PhpSource,
    ids: &[i64],
    accepted: &HashMap<i64, account::ActiveModel>,
    batch: &mut Batch,
    report: &mut Report,
) -> anyhow::Result<()> {
    let table = PhpTable::Passwords;
    let mut seen = HashSet::new();
    for (php_id, row) in rows_for(source, table, ids, accepted, report).await? {
        let row = Row { row: &row, table };
        let (hash, algorithm) = (row.text("password")?, row.text("algorithm")?);
        let entry = report.table(table);
        if !fits(&hash, 255) || !fits(&algorithm, 10) {
            entry.skip(Skip::Unfit);
            continue;
        }
        // One password per algorithm and account (our unique index).
        if !seen.insert((php_id, algorithm.to_uppercase())) {
            entry.skip(Skip::Duplicate);
            continue;
        }
        entry.imported += 1;
        batch.passwords.push(password::ActiveModel {
            account_id: Set(kept_id(php_id)),
            password: Set(hash),
            algorithm: Set(algorithm),
            ..Default::default()
        });
    }
    Ok(())
}

/// Aliases, unique per alias and domain; the account's first one also
/// becomes its `phone`, which Flexisip's phone queries read.
async fn plan_aliases(
    source: &PhpSource,
    target: Option<&crate::db::Db>,
    ids: &[i64],
    accepted: &mut HashMap<i64, account::ActiveModel>,
    taken: &mut Taken,
    batch: &mut Batch,
    report: &mut Report,
) -> anyhow::Result<()> {
    let table = PhpTable::Aliases;
    let rows = rows_for(source, table, ids, accepted, report).await?;
    let mut read = Vec::with_capacity(rows.len());
    for (php_id, row) in &rows {
        let row = Row { row, table };
        read.push((*php_id, row.text("alias")?, row.text("domain")?));
    }
    let existing: HashSet<(String, String)> = match target {
        Some(conn) => alias::Entity::find()
            .select_only()
            .columns([alias::Column::Alias, alias::Column::Domain])
            .filter(
                alias::Column::Alias
                    .is_in(read.iter().filter(|r| fits(&r.1, 64)).map(|r| r.1.clone())),
            )
            .into_tuple::<(String, String)>()
            .all(conn)
            .await?
            .into_iter()
            .map(|(a, d)| address_key(&a, &d))
            .collect(),
        None => HashSet::new(),
    };
    for (php_id, value, domain) in read {
        let entry = report.table(table);
        if value.is_empty() || !fits(&value, 64) || !fits(&domain, 64) {
            entry.skip(Skip::Unfit);
            continue;
        }
        let key = address_key(&value, &domain);
        let this_run = format!("{}@{}", key.0, key.1);
        if taken.aliases.contains(&this_run) {
            entry.skip(Skip::Duplicate);
            continue;
        }
        if existing.contains(&key) {
            entry.skip(Skip::Conflict);
            continue;
        }
        taken.aliases.insert(this_run);
        entry.imported += 1;
        let account = accepted
            .get_mut(&php_id)
            .expect("kept rows have an account");
        if matches!(account.phone, sea_orm::ActiveValue::Set(None)) {
            account.phone = Set(Some(value.clone()));
        }
        batch.aliases.push(alias::ActiveModel {
            account_id: Set(kept_id(php_id)),
            alias: Set(value),
            domain: Set(domain),
            ..Default::default()
        });
    }
    Ok(())
}

/// Admin rows and API keys: one of each per account at most.
async fn plan_roles_and_keys(
    source: &PhpSource,
    ids: &[i64],
    accepted: &HashMap<i64, account::ActiveModel>,
    batch: &mut Batch,
    report: &mut Report,
    now: NaiveDateTime,
) -> anyhow::Result<()> {
    let table = PhpTable::Admins;
    let mut seen = HashSet::new();
    for (php_id, row) in rows_for(source, table, ids, accepted, report).await? {
        let created_at = Row { row: &row, table }
            .opt_time("created_at")?
            .unwrap_or(now);
        let entry = report.table(table);
        if !seen.insert(php_id) {
            entry.skip(Skip::Duplicate);
            continue;
        }
        entry.imported += 1;
        batch.admins.push(admin::ActiveModel {
            account_id: Set(kept_id(php_id)),
            created_at: Set(created_at),
            updated_at: Set(created_at),
            ..Default::default()
        });
    }

    let table = PhpTable::ApiKeys;
    let mut seen = HashSet::new();
    for (php_id, row) in rows_for(source, table, ids, accepted, report).await? {
        let row = Row { row: &row, table };
        let (key, created_at) = (row.text("key")?, row.opt_time("created_at")?);
        let entry = report.table(table);
        // Our key check refuses what is empty or longer than 256.
        if key.is_empty() || key.len() > 256 {
            entry.skip(Skip::Unfit);
            continue;
        }
        if !seen.insert(php_id) {
            entry.skip(Skip::Duplicate);
            continue;
        }
        entry.imported += 1;
        let created_at = created_at.unwrap_or(now);
        batch.api_keys.push(api_key::ActiveModel {
            account_id: Set(kept_id(php_id)),
            key: Set(hashed(&key)),
            last_used_at: Set(None),
            created_at: Set(created_at),
            updated_at: Set(created_at),
            ..Default::default()
        });
    }
    Ok(())
}

/// Pending e-mail and phone changes and activation expiries: one per
/// account in our schema; of several PHP rows the latest is kept.
async fn plan_pending(
    source: &PhpSource,
    target: Option<&crate::db::Db>,
    ids: &[i64],
    accepted: &HashMap<i64, account::ActiveModel>,
    taken: &mut Taken,
    batch: &mut Batch,
    report: &mut Report,
) -> anyhow::Result<()> {
    let table = PhpTable::EmailChanged;
    let mut latest: HashMap<i64, email_changed::ActiveModel> = HashMap::new();
    let rows = rows_for(source, table, ids, accepted, report).await?;
    let mut read = Vec::with_capacity(rows.len());
    for (php_id, row) in &rows {
        let row = Row { row, table };
        read.push((
            *php_id,
            row.text("new_email")?,
            hashed(&row.text("hash")?),
            row.opt_time("created_at")?,
        ));
    }
    let existing: HashSet<String> = match target {
        Some(conn) if !read.is_empty() => email_changed::Entity::find()
            .select_only()
            .column(email_changed::Column::Hash)
            .filter(email_changed::Column::Hash.is_in(read.iter().map(|r| r.2.clone())))
            .into_tuple::<String>()
            .all(conn)
            .await?
            .into_iter()
            .collect(),
        _ => HashSet::new(),
    };
    for (php_id, new_email, hash, created_at) in read {
        let entry = report.table(table);
        if !fits(&new_email, 255) {
            entry.skip(Skip::Unfit);
            continue;
        }
        if existing.contains(&hash) || !taken.email_hashes.insert(hash.clone()) {
            entry.skip(Skip::Duplicate);
            continue;
        }
        let created_at = created_at.unwrap_or_else(long_ago);
        let model = email_changed::ActiveModel {
            account_id: Set(kept_id(php_id)),
            new_email: Set(new_email),
            hash: Set(hash),
            created_at: Set(created_at),
            updated_at: Set(created_at),
            ..Default::default()
        };
        keep_latest(&mut latest, php_id, model, entry);
    }
    batch.email_changes = latest.into_values().collect();

    let table = PhpTable::PhoneChangeCodes;
    let mut latest: HashMap<i64, phone_change_code::ActiveModel> = HashMap::new();
    for (php_id, row) in rows_for(source, table, ids, accepted, report).await? {
        let row = Row { row: &row, table };
        let (code, phone) = (row.text("code")?, row.text("phone")?);
        let created_at = row.opt_time("created_at")?.unwrap_or_else(long_ago);
        let entry = report.table(table);
        if !fits(&code, 64) || !fits(&phone, 64) {
            entry.skip(Skip::Unfit);
            continue;
        }
        let model = phone_change_code::ActiveModel {
            account_id: Set(kept_id(php_id)),
            phone: Set(phone),
            code: Set(code),
            created_at: Set(created_at),
            updated_at: Set(created_at),
            ..Default::default()
        };
        keep_latest(&mut latest, php_id, model, entry);
    }
    batch.phone_changes = latest.into_values().collect();

    let table = PhpTable::ActivationExpirations;
    let mut latest: HashMap<i64, activation_expiration::ActiveModel> = HashMap::new();
    for (php_id, row) in rows_for(source, table, ids, accepted, report).await? {
        let row = Row { row: &row, table };
        let expires = row.time("expires")?;
        let created_at = row.opt_time("created_at")?.unwrap_or(expires);
        let model = activation_expiration::ActiveModel {
            account_id: Set(kept_id(php_id)),
            expires: Set(expires),
            created_at: Set(created_at),
            updated_at: Set(created_at),
            ..Default::default()
        };
        keep_latest(&mut latest, php_id, model, report.table(table));
    }
    batch.expirations = latest.into_values().collect();
    Ok(())
}

/// Rows come by id: a later row replaces the earlier one of its account,
/// which counts as the duplicate.
fn keep_latest<M>(
    latest: &mut HashMap<i64, M>,
    php_id: i64,
    model: M,
    entry: &mut super::report::TableReport,
) {
    if latest.insert(php_id, model).is_some() {
        entry.skip(Skip::Duplicate);
    } else {
        entry.imported += 1;
    }
}

impl Batch {
    /// Writes the batch in one transaction.
    pub(super) async fn write(self, conn: &crate::db::Db) -> anyhow::Result<()> {
        if self.accounts.is_empty() {
            return Ok(());
        }
        let txn = crate::db::begin_write(conn).await?;
        account::Entity::insert_many(self.accounts)
            .exec_without_returning(&txn)
            .await?;
        if txn.get_database_backend() == DbBackend::Postgres {
            // Ids were given: move the sequence past them, or the next
            // account created by the service would collide.
            txn.execute_unprepared(
                "SELECT setval(pg_get_serial_sequence('accounts', 'id'), \
                 (SELECT MAX(id) FROM accounts))",
            )
            .await?;
        }
        macro_rules! insert {
            ($entity:path, $rows:expr) => {
                if !$rows.is_empty() {
                    <$entity>::insert_many($rows)
                        .exec_without_returning(&txn)
                        .await?;
                }
            };
        }
        insert!(password::Entity, self.passwords);
        insert!(alias::Entity, self.aliases);
        insert!(admin::Entity, self.admins);
        insert!(api_key::Entity, self.api_keys);
        insert!(email_changed::Entity, self.email_changes);
        insert!(phone_change_code::Entity, self.phone_changes);
        insert!(activation_expiration::Entity, self.expirations);
        txn.commit().await?;
        Ok(())
    }
}
