//! The account aggregate: an account with its passwords, alias, admin flag
//! and pending e-mail change.
