//! The per-address request limit of a route: the middleware, and the
//! check the panel's login runs itself.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{client_key, hit};
use crate::client_address::client_ip;
use crate::error::ApiResult;
use crate::state::AppState;

/// Counts one request of `client` on the limit named `bucket_name`
/// (e.g. `"tokens"`); `429` once the limit of the window is reached.
pub async fn rate_limit(state: &AppState, bucket_name: &str, client: IpAddr) -> ApiResult<()> {
    let bucket = format!("{bucket_name}:{}", client_key(client));
    hit(
        &state.db,
        &bucket,
        state.config.rate_limit_per_minute,
        state.clock.now_naive(),
    )
    .await
}

/// Axum middleware applying [`rate_limit`] to every request of a route,
/// before its body is read. The state is `(AppState, bucket name)`:
///
/// ```text
/// .route_layer(axum::middleware::from_fn_with_state(
///     (state.clone(), "tokens"),
///     crate::rate_limit::http::middleware,
/// ))
/// ```
pub async fn middleware(
    State((state, bucket_name)): State<(AppState, &'static str)>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let client = client_ip(peer.ip(), request.headers(), &state.config.trusted_proxies);
    match rate_limit(&state, bucket_name, client).await {
        Ok(()) => next.run(request).await,
        Err(err) => err.into_response(),
    }
}
