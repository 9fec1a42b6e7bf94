//! The flows that validate, write and audit, used alike by the API, the
//! panel and the console; they take the caller (`By`) and never an HTTP
//! type.

pub mod account_actions;
pub mod account_types;
pub mod accounts;
pub mod contacts_lists;
pub mod dictionary;
pub mod external_accounts;
pub mod fields;
pub mod links;
pub mod push_tokens;
pub mod with_token;
