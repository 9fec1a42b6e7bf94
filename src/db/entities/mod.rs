//! sea-orm entities, one file per table.

pub mod account;
pub mod account_account_type;
pub mod account_action;
pub mod account_contacts_list;
pub mod account_dictionary_entry;
pub mod account_type;
pub mod activation_expiration;
pub mod admin;
pub mod alias;
pub mod api_key;
pub mod app_setting;
pub mod auth_token;
pub mod contacts_list;
pub mod contacts_list_contact;
pub mod email_changed;
pub mod external_account;
pub mod nonce;
pub mod panel_session;
pub mod password;
pub mod phone_change_code;
pub mod phone_login_code;
pub mod provisioning_token;
pub mod rate_limit;
pub mod token;
