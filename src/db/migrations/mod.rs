//! One versioned migration tree for SQLite, MariaDB/MySQL and PostgreSQL:
//! each step is written with sea-query, which emits each backend's dialect.

use sea_orm_migration::prelude::*;

mod m20210701_000001_flexiapi_tables;
mod m20261128_000001_rate_limits;
mod m20261130_000001_panel_sessions;
mod m20261130_000002_phone_login_codes;
mod m20261201_000001_mysql_text_rules;
mod m20261201_000010_account_admin_fields;
mod m20261201_000020_account_lists;
mod m20261201_000030_self_service_tokens;
mod m20261201_000035_auth_tokens;
mod m20261201_000036_api_key_expiry;
mod m20261201_000037_provisioning_tokens;
mod m20261201_000070_audit_log;
mod m20261201_000080_audit_other_targets;
mod m20261202_000001_sqlite_accounts_id_index;
mod m20261207_000010_activation_while_blocked;
mod m20261207_000020_code_guards;
mod m20261207_000040_contacts;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20210701_000001_flexiapi_tables::Migration),
            Box::new(m20261128_000001_rate_limits::Migration),
            Box::new(m20261130_000001_panel_sessions::Migration),
            Box::new(m20261130_000002_phone_login_codes::Migration),
            Box::new(m20261201_000001_mysql_text_rules::Migration),
            Box::new(m20261201_000010_account_admin_fields::Migration),
            Box::new(m20261201_000020_account_lists::Migration),
            Box::new(m20261201_000030_self_service_tokens::Migration),
            Box::new(m20261201_000035_auth_tokens::Migration),
            Box::new(m20261201_000036_api_key_expiry::Migration),
            Box::new(m20261201_000037_provisioning_tokens::Migration),
            Box::new(m20261201_000070_audit_log::Migration),
            Box::new(m20261201_000080_audit_other_targets::Migration),
            Box::new(m20261202_000001_sqlite_accounts_id_index::Migration),
            Box::new(m20261207_000010_activation_while_blocked::Migration),
            Box::new(m20261207_000020_code_guards::Migration),
            Box::new(m20261207_000040_contacts::Migration),
        ]
    }
}
