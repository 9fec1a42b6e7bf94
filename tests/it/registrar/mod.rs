//! Devices: Flexisip's registrar in a real Redis and behind a fake proxy
//! CLI socket, the API bodies and the console command.

mod api;
mod console;
pub mod fixtures;
mod http;
mod proxy_socket;
mod redis;
