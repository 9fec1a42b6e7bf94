//! One integration test binary: each module covers an area, each test boots
//! the real server on a free port with a fresh SQLite file.

mod helpers;
mod mail;
mod ovh_fake;
mod ping;
mod rate_limit;
mod sms;
mod smtp_server;
mod tokens;
