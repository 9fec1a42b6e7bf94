//! The REST API under `/api`, one module per resource.

pub mod devices;
mod ping;

use axum::Router;

use crate::state::AppState;

pub fn router(state: &AppState) -> Router<AppState> {
    let _ = state;
    Router::new().merge(ping::router())
}
