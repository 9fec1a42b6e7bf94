//! `POST /api/tokens`: a random token pushed to a device with
//! `flexisip_pusher`; the app proves it runs on a real device by creating
//! its account with that token (`POST /api/accounts/with-token`).

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use chrono::{Duration, NaiveDateTime};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Select, Set,
};
use serde_json::{Value, json};

use crate::db::Db;
use crate::db::entities::token::{self, Column};
use crate::error::{ApiError, ApiResult};
use crate::input::JsonObject;
use crate::secrets;
use crate::state::AppState;

/// Providers `flexisip_pusher` knows (FLEXISIP.md §4).
const PROVIDERS: [&str; 3] = ["apns", "apns.dev", "fcm"];
/// Random alphanumerics of a token (the column holds 64).
pub const TOKEN_LENGTH: usize = 32;

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/api/tokens", post(create))
        .route_layer(axum::middleware::from_fn_with_state(
            (state.clone(), "tokens"),
            crate::rate_limit::middleware,
        ))
}

/// The push address of one app installation.
#[derive(Clone)]
struct Device {
    provider: String,
    param: String,
    prid: String,
}

impl Device {
    fn tokens(&self) -> Select<token::Entity> {
        token::Entity::find()
            .filter(Column::PnProvider.eq(&self.provider))
            .filter(Column::PnParam.eq(&self.param))
            .filter(Column::PnPrid.eq(&self.prid))
    }
}

async fn create(State(state): State<AppState>, body: JsonObject) -> ApiResult<Json<Value>> {
    let device = validate(&body)?;
    if !state.pusher.is_configured() {
        return Err(unavailable());
    }
    let now = state.clock.now_naive();
    let limits = Limits {
        per_device: u64::from(state.config.tokens_per_device),
        live_since: now - Duration::minutes(state.config.token_lifetime_minutes),
    };
    limits.check(&state.db, &device, None).await?;

    // The row is written before the push and checked again: two concurrent
    // requests for one device (even on two nodes) then see each other's
    // row, and at least one of them gives up. Each statement is
    // autocommitted, which needs no lock and no backend-specific SQL, and
    // no transaction is held open while the pusher runs.
    let token = secrets::random_alphanumeric(TOKEN_LENGTH);
    let row = token::ActiveModel {
        token: Set(token.clone()),
        pn_provider: Set(device.provider.clone()),
        pn_param: Set(device.param.clone()),
        pn_prid: Set(device.prid.clone()),
        used: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    if let Err(refused) = limits.check(&state.db, &device, Some(row.id)).await {
        delete(&state.db, row.id).await?;
        return Err(refused);
    }

    // In its own task, so that a client hanging up mid-push still leaves
    // the row kept or removed according to the pusher's outcome.
    let task = tokio::spawn(async move {
        let pushed = state
            .pusher
            .push_token(&device.provider, &device.param, &device.prid, &token)
            .await;
        if pushed.is_err() {
            delete(&state.db, row.id).await?;
            return Err(unavailable());
        }
        Ok(())
    });
    task.await.map_err(ApiError::internal)??;
    Ok(Json(json!({})))
}

/// The two reasons to refuse a token (SPEC §5.3).
struct Limits {
    per_device: u64,
    /// Unused tokens created after this are still valid.
    live_since: NaiveDateTime,
}

impl Limits {
    /// `own`: the row this request already wrote, counted in the limit but
    /// not as "another unused token".
    async fn check(&self, db: &Db, device: &Device, own: Option<i32>) -> ApiResult<()> {
        let issued = device.tokens().count(db).await?;
        let allowed = if own.is_some() {
            issued <= self.per_device
        } else {
            issued < self.per_device
        };
        if !allowed {
            return Err(ApiError::Forbidden(
                "This device reached its token limit.".into(),
            ));
        }
        let mut pending = device
            .tokens()
            .filter(Column::Used.eq(false))
            .filter(Column::CreatedAt.gt(self.live_since));
        if let Some(id) = own {
            pending = pending.filter(Column::Id.ne(id));
        }
        if pending.count(db).await? > 0 {
            return Err(ApiError::Forbidden(
                "A token was already sent to this device.".into(),
            ));
        }
        Ok(())
    }
}

async fn delete(db: &Db, id: i32) -> ApiResult<()> {
    token::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

fn unavailable() -> ApiError {
    ApiError::Unavailable("The push notification could not be sent.".into())
}

/// Required strings within their column sizes; `pn_provider` one that
/// `flexisip_pusher` accepts, as any other would only make it fail.
fn validate(body: &JsonObject) -> ApiResult<Device> {
    let mut v = body.validator();
    let provider = v.required_string("pn_provider");
    let param = v.required_string("pn_param");
    let prid = v.required_string("pn_prid");
    if let Some(provider) = provider {
        v.check(
            "pn_provider",
            PROVIDERS.contains(&provider),
            "The selected pn_provider is invalid.",
        );
    }
    for (field, value) in [("pn_param", param), ("pn_prid", prid)] {
        let Some(value) = value else { continue };
        v.check(
            field,
            value.chars().count() <= 255,
            format!("The {field} may not be greater than 255 characters."),
        );
        // A NUL cannot be passed as an argument; other controls have no
        // place in a push address.
        v.check(
            field,
            !value.chars().any(char::is_control),
            format!("The {field} must not contain control characters."),
        );
    }
    v.finish()?;
    let text = |value: Option<&str>| value.unwrap_or_default().to_string();
    Ok(Device {
        provider: text(provider),
        param: text(param),
        prid: text(prid),
    })
}
