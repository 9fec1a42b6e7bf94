//! The flows that validate, write and audit, used alike by the API, the
//! panel and the console; they take the caller (`By`) and never an HTTP
//! type.

pub mod accounts;
pub mod fields;
