//! flexiapi: the account manager of a Flexisip SIP service.
//!
//! `main.rs` only parses the command line; everything else lives here so
//! that tests and the console share it.

pub mod api;
pub mod audit;
pub mod auth;
pub mod client;
pub mod client_address;
pub mod clock;
pub mod config;
pub mod connections;
pub mod console;
pub mod db;
pub mod deadline;
pub mod error;
pub mod guess_throttle;
pub mod health;
pub mod import;
pub mod input;
pub mod input_guard;
pub mod metrics;
pub mod notify;
pub mod panel;
pub mod provisioning;
pub mod rate_limit;
pub mod registrar;
pub mod secrets;
pub mod server;
pub mod service;
pub mod sip;
pub mod state;
pub mod vcard;

pub use server::{app, serve};
pub use state::AppState;
