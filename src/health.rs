//! Probes for load balancers and orchestrators: `GET /health` says the
//! process answers (no I/O), `GET /ready` that its database, and Redis when
//! configured, answer within a short timeout.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, json};

use crate::registrar::Registrar;
use crate::state::AppState;

/// How long `/ready` waits for each dependency.
pub const READY_TIMEOUT: Duration = Duration::from_secs(2);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
}

async fn health() -> Response {
    alive()
}

/// The `/health` answer, also given while the server waits for its
/// database at start.
pub fn alive() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

async fn ready(State(state): State<AppState>) -> Response {
    let database = crate::db::reachable(&state.db, READY_TIMEOUT);
    let redis = async {
        match &state.registrar {
            Registrar::Redis(redis) => Some(redis.ping(READY_TIMEOUT).await.is_ok()),
            _ => None,
        }
    };
    let (database, redis) = tokio::join!(database, redis);

    let mut checks = Map::new();
    let mut failed = Vec::new();
    for (name, reachable) in [("database", Some(database)), ("redis", redis)] {
        let Some(reachable) = reachable else { continue };
        checks.insert(
            name.into(),
            json!(if reachable { "ok" } else { "unreachable" }),
        );
        if !reachable {
            failed.push(name);
        }
    }
    if failed.is_empty() {
        (
            StatusCode::OK,
            Json(json!({ "status": "ok", "checks": checks })),
        )
            .into_response()
    } else {
        let message = format!("Not ready: {} unreachable", failed.join(", "));
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "message": message, "checks": checks })),
        )
            .into_response()
    }
}
