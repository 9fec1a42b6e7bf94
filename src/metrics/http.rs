//! The HTTP side of the metrics: the middleware that counts every request
//! and `GET /metrics`.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::UNMATCHED_ROUTE;
use crate::error::message_response;
use crate::state::AppState;

/// Middleware counting every request by its route template (axum's
/// `MatchedPath`, never the raw path, which may carry a secret).
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().cloned();
    let response = next.run(req).await;
    let route = route.as_ref().map_or(UNMATCHED_ROUTE, MatchedPath::as_str);
    state
        .metrics
        .observe(&method, route, response.status(), started.elapsed());
    response
}

/// `GET /metrics`: behind `METRICS_TOKEN` when it is set.
pub async fn metrics_handler(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.config.metrics_token
        && !bearer_matches(&headers, token.expose())
    {
        let mut response = message_response(StatusCode::UNAUTHORIZED, "Unauthenticated request");
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        return response;
    }
    (
        [(header::CONTENT_TYPE, prometheus::TEXT_FORMAT)],
        state.metrics.render(&state.db),
    )
        .into_response()
}

/// True when `Authorization: Bearer <token>` carries `token` (constant time).
fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, credentials) = value.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| credentials.trim())
        })
        .is_some_and(|given| crate::secrets::constant_time_eq(given, token))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_authorization(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, value.parse().unwrap());
        headers
    }

    #[test]
    fn bearer_token_check() {
        assert!(bearer_matches(
            &with_authorization("Bearer s3cret"),
            "s3cret"
        ));
        assert!(bearer_matches(
            &with_authorization("bearer  s3cret "),
            "s3cret"
        ));
        assert!(!bearer_matches(
            &with_authorization("Bearer s3cre"),
            "s3cret"
        ));
        assert!(!bearer_matches(
            &with_authorization("Basic s3cret"),
            "s3cret"
        ));
        assert!(!bearer_matches(&with_authorization("s3cret"), "s3cret"));
        assert!(!bearer_matches(&HeaderMap::new(), "s3cret"));
    }
}
