//! sea-orm entities, one file per table.

pub mod account;
pub mod activation_expiration;
pub mod admin;
pub mod alias;
pub mod api_key;
pub mod app_setting;
pub mod audit_log;
pub mod auth_token;
pub mod email_changed;
pub mod nonce;
pub mod panel_session;
pub mod password;
pub mod phone_change_code;
pub mod phone_login_code;
pub mod provisioning_token;
pub mod rate_limit;
pub mod token;
