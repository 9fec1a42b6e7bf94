use axum::Router;
use axum::routing::get;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/ping", get(ping))
}

/// Liveness of the API: always `pong`.
#[utoipa::path(
    get,
    path = "/api/ping",
    tag = "public",
    responses((status = 200, description = "The API answers", body = String, content_type = "text/plain", example = "pong")),
)]
async fn ping() -> &'static str {
    "pong"
}

/// This module's operations in the OpenAPI document (src/api/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(paths(ping))]
pub(crate) struct Doc;
