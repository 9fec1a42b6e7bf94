//! One integration test binary: each module covers an area, each test boots
//! the real server on a free port with a fresh database of the backend
//! `FLEXIAPI_TEST_DB` names (SQLite unless it says `mariadb` or `postgres`).

// Tests compare what the server wrote with the real time, and the OVH fake
// signs with it: the clock rule of clippy.toml is for the service's code.
#![allow(clippy::disallowed_methods)]

mod account_columns;
mod account_creation_tokens;
mod account_state;
mod account_types;
mod actions;
mod activation;
mod admin_accounts;
mod admin_block;
mod admin_devices;
mod admin_search;
mod admin_update;
mod audit;
mod audit_items;
mod auth;
mod auth_tokens;
mod backends;
mod bad_input;
mod connections;
mod console;
mod console_admin;
mod contacts_lists;
mod control_characters;
mod db_import;
mod db_outage;
mod dictionary;
mod digest_client;
mod email_change;
mod external_account;
mod flexisip_sql;
mod guards;
mod guessing;
mod helpers;
mod layers;
mod mail;
mod me;
mod monitoring;
mod multi_node;
mod node;
mod openapi;
mod openapi_admin;
mod ovh_fake;
mod panel;
mod phone;
mod ping;
mod properties;
mod provisioning;
mod provisioning_tokens;
mod rate_limit;
mod recovery;
mod registrar;
mod self_service_backends;
mod sms;
mod smtp_server;
mod tcp_proxy;
mod test_db;
mod tokens;
mod turn;
mod types;
mod upstream_parity;
mod vcard;
mod with_token;
