//! One integration test binary: each module covers an area, each test boots
//! the real server on a free port with a fresh database of the backend
//! `FLEXIAPI_TEST_DB` names (SQLite unless it says `mariadb` or `postgres`).

mod activation;
mod admin_accounts;
mod admin_block;
mod admin_devices;
mod admin_search;
mod admin_update;
mod audit;
mod auth;
mod auth_tokens;
mod backends;
mod bad_input;
mod console;
mod console_admin;
mod db_import;
mod db_outage;
mod digest_client;
mod email_change;
mod flexisip_sql;
mod helpers;
mod mail;
mod me;
mod multi_node;
mod node;
mod ovh_fake;
mod panel;
mod phone;
mod ping;
mod provisioning;
mod provisioning_tokens;
mod rate_limit;
mod registrar;
mod self_service_backends;
mod sms;
mod smtp_server;
mod tcp_proxy;
mod test_db;
mod tokens;
mod turn;
mod types;
mod with_token;
