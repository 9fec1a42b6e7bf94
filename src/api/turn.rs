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
use serde_json::{Value, json};
use sha1::Sha1;

use crate::config::TurnConfig;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/accounts/me/services/turn", get(turn))
}

async fn turn(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let turn = state
        .config
        .turn
        .as_ref()
        .ok_or_else(|| ApiError::NotFound("No TURN service configured".into()))?;
    let ttl_seconds = turn.ttl_minutes * 60;
    let expiry = state.clock.now().timestamp() + ttl_seconds;
    let username = format!("{expiry}:{}", crate::secrets::random_alphanumeric(16));
    Ok(Json(json!({
        "username": username,
        "password": password(turn, &username),
        "ttl": ttl_seconds,
        "uris": [format!("turn:{}", turn.host)],
    })))
}

/// coturn's check: base64(HMAC-SHA1(secret, username)).
fn password(turn: &TurnConfig, username: &str) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(turn.secret.expose().as_bytes())
        .expect("HMAC takes any key length");
    mac.update(username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// This module's operations in the OpenAPI document (src/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi()]
pub(crate) struct Doc;

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
