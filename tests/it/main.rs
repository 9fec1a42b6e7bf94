//! One integration test binary: each module covers an area, each test boots
//! the real server on a free port with a fresh SQLite file.

mod helpers;
mod ping;
mod registrar;
