//! Fills a database for a load run: N ordinary accounts in batched
//! multi-row inserts (each batch one transaction), and the four accounts the
//! scenarios authenticate as. Idempotent: a second run only renews the
//! bench accounts' API keys.

use std::collections::HashMap;

use anyhow::Context;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
    Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use flexiapi::auth::digest::Algorithm;
use flexiapi::clock::Clock;
use flexiapi::config::Config;
use flexiapi::db::accounts::{self, NewAccount};
use flexiapi::db::entities::{account, password};

const BATCH: usize = 1_000;

/// A bench account as the scenarios use it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BenchAccount {
    pub username: String,
    pub domain: String,
    pub password: String,
    pub api_key: Option<String>,
}

impl BenchAccount {
    pub fn from(&self) -> String {
        format!("sip:{}@{}", self.username, self.domain)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Credentials {
    /// Ordinary accounts are `load_0000001` … `load_{accounts}`.
    pub accounts: u32,
    pub domain: String,
    pub admin: BenchAccount,
    pub key_user: BenchAccount,
    pub md5_user: BenchAccount,
    pub sha256_user: BenchAccount,
}

pub fn load_username(n: u32) -> String {
    format!("load_{n:07}")
}

pub async fn seed(database_url: &str, count: u32, domain: &str) -> anyhow::Result<Credentials> {
    let map: HashMap<String, String> = [
        ("DATABASE_URL".to_string(), database_url.to_string()),
        ("APP_SIP_DOMAIN".to_string(), domain.to_string()),
    ]
    .into();
    let config = Config::from_map(&map).context("configuration")?;
    let db = flexiapi::db::connect(database_url).await?;
    flexiapi::db::migrate(&db).await?;
    let now = Clock::system().now_naive();

    let existing = account::Entity::find()
        .filter(account::Column::Username.starts_with("load_"))
        .filter(account::Column::Domain.eq(domain))
        .count(&db)
        .await? as u32;
    let mut next = existing + 1;
    while next <= count {
        let last = (next + BATCH as u32 - 1).min(count);
        let usernames: Vec<String> = (next..=last).map(load_username).collect();
        let txn = db.begin().await?;
        account::Entity::insert_many(usernames.iter().map(|username| account::ActiveModel {
            username: Set(username.clone()),
            domain: Set(domain.to_string()),
            flexisip_activated: Set(true),
            ip_address: Set("127.0.0.1".into()),
            user_agent: Set("flexiapi-load".into()),
            creation_time: Set(now),
            failed_code_attempts: Set(0),
            ..Default::default()
        }))
        .exec(&txn)
        .await?;
        let ids: Vec<(i32, String)> = account::Entity::find()
            .filter(account::Column::Domain.eq(domain))
            .filter(account::Column::Username.is_in(usernames.iter().cloned()))
            .select_only()
            .column(account::Column::Id)
            .column(account::Column::Username)
            .into_tuple()
            .all(&txn)
            .await?;
        password::Entity::insert_many(ids.iter().map(|(id, username)| password::ActiveModel {
            account_id: Set(*id),
            password: Set(Algorithm::Sha256.ha1(username, domain, username)),
            algorithm: Set("SHA-256".into()),
            ..Default::default()
        }))
        .exec(&txn)
        .await?;
        txn.commit().await?;
        next = last + 1;
    }

    // Fresh statistics, as a database that has lived would have: without
    // them the planners guess (PostgreSQL's VACUUM also lets the paging
    // subquery scan the primary key alone).
    let analyze = match db.get_database_backend() {
        DbBackend::Sqlite => "ANALYZE",
        DbBackend::Postgres => "VACUUM ANALYZE",
        DbBackend::MySql => "ANALYZE TABLE accounts, passwords, api_keys, admins",
    };
    db.execute_unprepared(analyze).await?;

    let admin = bench_account(&db, &config, "bench_admin", Algorithm::Sha256, true).await?;
    let key_user = bench_account(&db, &config, "bench_key", Algorithm::Sha256, false).await?;
    let md5_user = bench_account(&db, &config, "bench_md5", Algorithm::Md5, false).await?;
    let sha256_user = bench_account(&db, &config, "bench_sha256", Algorithm::Sha256, false).await?;
    Ok(Credentials {
        accounts: count.max(existing),
        domain: domain.to_string(),
        admin,
        key_user,
        md5_user,
        sha256_user,
    })
}

/// Creates the account when missing and gives it a fresh API key.
async fn bench_account(
    db: &flexiapi::db::Db,
    config: &Config,
    username: &str,
    algorithm: Algorithm,
    admin: bool,
) -> anyhow::Result<BenchAccount> {
    let password = format!("{username}-password");
    let domain = &config.sip_domain;
    let now = Clock::system().now_naive();
    let id = match accounts::find_by_address(db, username, domain).await? {
        Some(found) => found.id,
        None => {
            accounts::insert(
                db,
                config,
                NewAccount {
                    username,
                    domain,
                    password: Some((&password, algorithm)),
                    activated: true,
                    admin,
                    ip_address: "127.0.0.1",
                    user_agent: "flexiapi-load",
                    ..Default::default()
                },
                now,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{username}: {e}"))?
            .id
        }
    };
    let api_key = flexiapi::auth::api_key::regenerate(db, id, now).await?;
    Ok(BenchAccount {
        username: username.to_string(),
        domain: domain.to_string(),
        password,
        api_key: Some(api_key),
    })
}
