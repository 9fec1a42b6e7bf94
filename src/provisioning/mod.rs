//! Remote provisioning (docs/integrations.md, "Provisioning"): the XML that configures a Linphone app,
//! and the QR code that carries its link.
//!
//! - `rc`: the operator's INI files, read at start;
//! - `assemble`: rc sections plus the account's `proxy_0`/`auth_info_N`;
//! - `xml`: liblinphone's XML format;
//! - `store`: activation key (`confirmation_key`) lookup and single-use
//!   consumption;
//! - `tokens`: provisioning tokens, distinct from the activation key;
//! - `qrcode`: the PNG.
//!
//! `/provisioning/{key}` takes a provisioning token or, as before them, an
//! activation key.

pub mod assemble;
pub mod qrcode;
pub mod rc;
pub mod store;
pub mod tokens;
pub mod xml;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

pub use rc::RcFiles;

use crate::api::admin_schemas::{FromHeader, UserGuard};
use crate::api::schemas::Message;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/provisioning", get(base))
        .route("/provisioning/{key}", get(provision))
        .route("/provisioning/qrcode/{key}", get(qrcode))
        .route("/provisioning/auth_token/{token}", get(by_auth_token))
}

/// `GET /provisioning/me`, for a device authenticated as on the API; the
/// caller puts it behind `require_user`.
pub fn me_router() -> Router<AppState> {
    Router::new().route("/provisioning/me", get(me))
}

/// The account's configuration, every time (nothing is consumed).
#[utoipa::path(
    get,
    path = "/provisioning/me",
    tag = "user",
    operation_id = "provisioning_me",
    params(FromHeader),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The configuration with the account, in liblinphone's remote provisioning XML", body = String, content_type = "application/xml"),
        UserGuard,
    ),
)]
async fn me(State(state): State<AppState>, AuthUser(auth): AuthUser) -> ApiResult<Response> {
    let credentials = tokens::credentials(&state.db, auth.account.id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let sections = assemble::for_account(&state.provisioning, &state.config, &credentials);
    Ok(xml_response(&state, &sections))
}

/// The configuration of the account an auth token is attached to; the
/// token is used up. Unknown, expired or unattached tokens: `404`, as the
/// PHP service answers.
#[utoipa::path(
    get,
    path = "/provisioning/auth_token/{token}",
    tag = "public",
    operation_id = "provisioning_by_auth_token",
    params(("token" = String, Path, description = "An auth token attached to an account")),
    responses(
        (status = 200, description = "The configuration with the token's account", body = String, content_type = "application/xml"),
        (status = 404, description = "Unknown, expired, unattached or used token", body = Message),
    ),
)]
async fn by_auth_token(
    State(state): State<AppState>,
    method: Method,
    token: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    let Ok(Path(token)) = token else {
        return Err(ApiError::not_found());
    };
    let now = state.clock.now_naive();
    let account_id = if method == Method::HEAD {
        crate::auth::auth_token::find_live(&state.db, &token, now)
            .await?
            .and_then(|t| t.account_id)
    } else {
        crate::auth::auth_token::take_attached(&state.db, &token, now).await?
    };
    let Some(account_id) = account_id else {
        return Err(ApiError::not_found());
    };
    let credentials = tokens::credentials(&state.db, account_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let sections = assemble::for_account(&state.provisioning, &state.config, &credentials);
    Ok(xml_response(&state, &sections))
}

/// The header that repeats the URL a QR code encodes.
pub const QRCODE_URL_HEADER: &str = "x-qrcode-url";

/// The base configuration (the rc file's sections), without an account.
#[utoipa::path(
    get,
    path = "/provisioning",
    tag = "public",
    operation_id = "provisioning_base",
    responses((status = 200, description = "The base configuration", body = String, content_type = "application/xml")),
)]
async fn base(State(state): State<AppState>) -> Response {
    xml_response(&state, &assemble::base(&state.provisioning))
}

/// A valid key adds the account once; any other key, or a key that cannot
/// even be decoded from the path, gets the base configuration, as the PHP
/// service answered.
#[utoipa::path(
    get,
    path = "/provisioning/{key}",
    tag = "public",
    operation_id = "provisioning_by_key",
    params(("key" = String, Path, description = "A provisioning token or an activation key (`confirmation_key`)")),
    responses(
        (status = 200, description = "With a valid key the configuration with its account (the account is activated, the key consumed); otherwise the base configuration", body = String, content_type = "application/xml"),
    ),
)]
async fn provision(
    State(state): State<AppState>,
    method: Method,
    key: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    let Ok(Path(key)) = key else {
        return Ok(xml_response(&state, &assemble::base(&state.provisioning)));
    };
    // A HEAD (link checkers, proxies) must not burn the single-use key.
    let now = state.clock.now_naive();
    let account = if method == Method::HEAD {
        None
    } else if let Some(account) = tokens::consume(&state.db, &key, now).await? {
        Some(account)
    } else {
        let lifetime = state.config.activation_key_expiration_minutes;
        store::consume(&state.db, &key, lifetime, now).await?
    };
    let sections = match &account {
        Some(account) => assemble::for_account(&state.provisioning, &state.config, account),
        None => assemble::base(&state.provisioning),
    };
    Ok(xml_response(&state, &sections))
}

/// The QR code of a valid key's provisioning link; does not consume the key.
#[utoipa::path(
    get,
    path = "/provisioning/qrcode/{key}",
    tag = "public",
    operation_id = "provisioning_qrcode",
    params(("key" = String, Path, description = "A provisioning token or an activation key (`confirmation_key`)")),
    responses(
        (status = 200, description = "A PNG of the QR code of `APP_URL/provisioning/{key}`", content_type = "image/png", body = QrCodePng,
            headers(("x-qrcode-url" = String, description = "The URL the QR code encodes"))),
        (status = 404, description = "Unknown, used or expired key", body = Message),
    ),
)]
async fn qrcode(
    State(state): State<AppState>,
    key: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    let Ok(Path(key)) = key else {
        return Err(ApiError::not_found());
    };
    let now = state.clock.now_naive();
    let live = tokens::find_usable(&state.db, &key, now).await?.is_some()
        || store::find_valid(
            &state.db,
            &key,
            state.config.activation_key_expiration_minutes,
            now,
        )
        .await?
        .is_some();
    if !live {
        return Err(ApiError::not_found());
    }
    let url = provisioning_url(&state.config.app_url, &key);
    let png = qrcode::png(&url).map_err(ApiError::internal)?;
    let url_header = HeaderValue::from_str(&url).map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/png")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (HeaderName::from_static(QRCODE_URL_HEADER), url_header),
        ],
        png,
    )
        .into_response())
}

/// Characters kept as they are in a path segment (RFC 3986 unreserved).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `APP_URL/provisioning/{key}`, the key percent-encoded as a path segment.
pub fn provisioning_url(app_url: &str, key: &str) -> String {
    format!(
        "{app_url}/provisioning/{}",
        utf8_percent_encode(key, SEGMENT)
    )
}

fn xml_response(state: &AppState, sections: &[rc::Section]) -> Response {
    let body = xml::render(sections, state.config.provisioning_overwrite_all);
    (
        [
            (header::CONTENT_TYPE, "application/xml; charset=utf-8"),
            // Credentials inside: no cache may keep a copy.
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// This module's operations in the OpenAPI document (src/api/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(base, provision, qrcode, by_auth_token, me),
    components(schemas(QrCodePng))
)]
pub(crate) struct Doc;

/// A PNG image.
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
#[schema(content_media_type = "image/png")]
struct QrCodePng(String);
