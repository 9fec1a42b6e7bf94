//! What an account does to itself, shared by the API (`/api/accounts/me…`)
//! and the web panel: each function validates a body of string fields (a
//! JSON object, or a panel form turned into one) with the same rules and
//! messages, then writes in one transaction. A rejected request writes
//! nothing.

pub mod password;
pub mod phone;
