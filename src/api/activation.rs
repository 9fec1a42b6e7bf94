//! `POST /api/accounts/{sip}/activate/email` and `…/activate/phone`: an
//! account created with a token activates itself with the code it received
//! (SPEC §5.3; §11: the code is checked first, then the expiry).

use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::Value;

use super::public_accounts::find_by_sip;
use crate::codes::{self, CodeKind, KeyCheck};
use crate::db::accounts;
use crate::error::{ApiError, ApiResult};
use crate::input::JsonObject;
use crate::state::AppState;

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/api/accounts/{account}/activate/email", post(by_email))
        .route("/api/accounts/{account}/activate/phone", post(by_phone))
        // One bucket for both: a guesser gains nothing by alternating.
        .route_layer(axum::middleware::from_fn_with_state(
            (state.clone(), "activation"),
            crate::rate_limit::middleware,
        ))
}

async fn by_email(
    State(state): State<AppState>,
    Path(sip): Path<String>,
    body: JsonObject,
) -> ApiResult<Json<Value>> {
    activate(state, &sip, &body, CodeKind::Key).await
}

async fn by_phone(
    State(state): State<AppState>,
    Path(sip): Path<String>,
    body: JsonObject,
) -> ApiResult<Json<Value>> {
    activate(state, &sip, &body, CodeKind::Pin).await
}

async fn activate(
    state: AppState,
    sip: &str,
    body: &JsonObject,
    kind: CodeKind,
) -> ApiResult<Json<Value>> {
    let code = kind.read(body)?;
    let account = find_by_sip(&state, sip).await?;
    let check = codes::consume_confirmation_key(
        &state.db,
        account.id,
        code,
        state.config.code_max_attempts,
        state.clock.now_naive(),
    )
    .await?;
    match check {
        KeyCheck::Accepted => {}
        KeyCheck::Rejected => return Err(ApiError::not_found()),
        KeyCheck::Expired => {
            return Err(ApiError::Forbidden(
                "The activation code has expired.".into(),
            ));
        }
    }
    let account = accounts::find_by_id(&state.db, account.id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let view = accounts::view(&state.db, account).await?;
    Ok(Json(view.to_json(&state.config, false)))
}

/// This module's operations in the OpenAPI document (src/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi()]
pub(crate) struct Doc;
