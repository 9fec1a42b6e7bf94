//! The flows that validate, write and audit, used alike by the API, the
//! panel and the console; they take the caller (`By`) and never an HTTP
//! type.

pub mod account_actions;
pub mod account_lists;
pub mod account_types;
pub mod accounts;
pub mod code_guard;
pub mod codes;
pub mod contacts_lists;
pub mod creation_tokens;
pub mod dictionary;
pub mod email_change;
pub mod external_accounts;
pub mod fields;
pub mod links;
pub mod list_fields;
pub mod lookup;
pub mod objects;
pub mod phone_login;
pub mod push_tokens;
pub mod recovery;
pub mod self_service;
pub mod sms_codes;
pub mod with_token;
