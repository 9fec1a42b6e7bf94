//! One integration test binary: each module covers an area, each test boots
//! the real server on a free port with a fresh SQLite file.

mod admin_accounts;
mod auth;
mod backends;
mod bad_input;
mod console;
mod digest_client;
mod helpers;
mod me;
mod ping;
mod provisioning;
mod registrar;
