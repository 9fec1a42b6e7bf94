//! `GET /api/accounts/me/services/turn`: credentials for coturn's REST
//! API (draft-uberti-behave-turn-rest-00), as the PHP service gives them:
//! `username` is `EXPIRY:RANDOM` (a Unix time, then 16 random letters and
//! digits that name no account), `password` the base64 HMAC-SHA1 of the
//! username under `COTURN_STATIC_AUTH_SECRET`. `404` when no TURN service
//! is configured.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use super::admin_schemas::{FromHeader, UserGuard};
use crate::config::TurnConfig;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

use super::schemas::Message;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/accounts/me/services/turn", get(turn))
}

/// Time-limited credentials for the TURN server (coturn's REST API).
#[utoipa::path(
    get,
    path = "/api/accounts/me/services/turn",
    tag = "user",
    operation_id = "me_services_turn",
    params(FromHeader),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The credentials", body = TurnCredentials),
        UserGuard,
        (status = 404, description = "No TURN service is configured, or the `From` header names no account", body = Message),
    ),
)]
async fn turn(State(state): State<AppState>) -> ApiResult<Json<TurnCredentials>> {
    let turn = state
        .config
        .turn
        .as_ref()
        .ok_or_else(|| ApiError::NotFound("No TURN service configured".into()))?;
    let ttl_seconds = turn.ttl_minutes * 60;
    let expiry = state.clock.now().timestamp() + ttl_seconds;
    let username = format!("{expiry}:{}", crate::secrets::random_alphanumeric(16));
    Ok(Json(TurnCredentials {
        password: password(turn, &username),
        username,
        ttl: ttl_seconds,
        uris: vec![format!("turn:{}", turn.host)],
    }))
}

/// coturn's check: base64(HMAC-SHA1(secret, username)).
fn password(turn: &TurnConfig, username: &str) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(turn.secret.expose().as_bytes())
        .expect("HMAC takes any key length");
    mac.update(username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// This module's operations in the OpenAPI document (src/api/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(paths(turn), components(schemas(TurnCredentials)))]
pub(crate) struct Doc;

/// `GET /api/accounts/me/services/turn`.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TurnCredentials {
    /// `EXPIRY:RANDOM`: the Unix time the credentials end, then 16 random
    /// letters and digits.
    username: String,
    /// base64 of HMAC-SHA1(`COTURN_STATIC_AUTH_SECRET`, username).
    password: String,
    /// Seconds the credentials are valid.
    ttl: i64,
    /// `turn:HOST`.
    uris: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    #[test]
    fn password_is_coturns_hmac() {
        // RFC 2202 test case 2: HMAC-SHA1("Jefe", "what do ya want for nothing?").
        let turn = TurnConfig {
            host: "turn.example.org".into(),
            secret: Secret("Jefe".into()),
            ttl_minutes: 1,
        };
        let expected = base64::engine::general_purpose::STANDARD
            .encode(hex::decode("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79").unwrap());
        assert_eq!(password(&turn, "what do ya want for nothing?"), expected);
    }
}
