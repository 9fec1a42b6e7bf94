//! The REST API under `/api`, one module per resource.

mod ping;
mod tokens;

use axum::Router;

use crate::state::AppState;

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(ping::router())
        .merge(tokens::router(state))
}
