//! The HTTP application: routes, middleware stack, graceful serving.

use std::borrow::Cow;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{Request, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use tokio::net::TcpListener;
use tower::ServiceExt;
use tower_http::trace::{DefaultOnRequest, TraceLayer};
use tracing::Level;

use crate::connections::{self, ConnectionLimits};
use crate::error::message_response;
use crate::input::BODY_LIMIT_BYTES;
use crate::input_guard::{InputGuard, Reply};
use crate::state::AppState;

/// The whole application; shared by `serve` and the tests.
pub fn app(state: AppState) -> Router {
    // The input guard runs before every handler, so before any query
    // (docs/api.md, "Text input"); the panel answers it with its page.
    let json_guard = InputGuard::new(&state, Reply::Json);
    let page_guard = InputGuard::new(&state, Reply::Page);
    let mut router = Router::new()
        .merge(crate::api::router(&state).layer(json_guard.clone()))
        .merge(crate::panel::router().layer(page_guard))
        .merge(crate::provisioning::router().layer(json_guard))
        .merge(crate::health::router());
    // With METRICS_LISTEN, /metrics is served there only (`metrics_app`).
    if state.config.metrics_listen.is_none() && state.config.metrics_token.is_some() {
        router = router.route("/metrics", get(crate::metrics::http::metrics_handler));
    }
    router
        .fallback(|| async { message_response(StatusCode::NOT_FOUND, "Not Found") })
        .method_not_allowed_fallback(|| async {
            message_response(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
        })
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        // The request cut, and the 503 of a database gone silent.
        .layer(crate::deadline::DeadlineLayer::new(state.clone()))
        .layer(from_fn_with_state(
            state.clone(),
            crate::metrics::http::track,
        ))
        // One line per request: method, path (never the query, and never a
        // path segment that is a secret), status and latency.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %loggable_path(request.uri().path()),
                    )
                })
                .on_request(DefaultOnRequest::new().level(Level::DEBUG))
                .on_response(
                    |response: &axum::http::Response<_>,
                     latency: Duration,
                     _span: &tracing::Span| {
                        tracing::info!(
                            status = response.status().as_u16(),
                            latency_ms = latency.as_secs_f64() * 1000.0,
                            "served"
                        );
                    },
                ),
        )
        .with_state(state)
}

/// The application of the `METRICS_LISTEN` address: `/metrics` only.
pub fn metrics_app(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(crate::metrics::http::metrics_handler))
        .fallback(|| async { message_response(StatusCode::NOT_FOUND, "Not Found") })
        .with_state(state)
}

/// Serves [`metrics_app`] on `listener` (bound at start, beside the main
/// address, so that a taken port fails the start) until the process ends.
pub fn spawn_metrics(listener: TcpListener, state: AppState) {
    let limits = state.config.connections.clone();
    let metrics = metrics_app(state);
    tokio::spawn(async move {
        connections::serve(listener, metrics, &limits, std::future::pending()).await;
    });
}

/// Prefixes of the routes whose next path segment is a secret: a
/// provisioning key (it provisions and activates the account), an e-mail
/// change link, an auth token, an account creation request, a pushed
/// recovery token or a password reset link. The longer prefix comes first.
const SECRET_SEGMENT_AFTER: [&str; 9] = [
    "/provisioning/qrcode/",
    "/provisioning/",
    "/accounts/email/confirm/",
    "/api/accounts/auth_token/",
    "/api/accounts/me/api_key/",
    "/auth_tokens/qrcode/",
    "/creation_request/",
    "/recovery/phone/",
    "/recovery/password/",
];

/// Fixed route segments after those prefixes, which are no secret.
const PUBLIC_SEGMENTS: [&str; 1] = ["/recovery/phone/code"];

/// `path` as it may be logged: a secret segment becomes `[redacted]`.
fn loggable_path(path: &str) -> Cow<'_, str> {
    if PUBLIC_SEGMENTS.contains(&path) {
        return Cow::Borrowed(path);
    }
    SECRET_SEGMENT_AFTER
        .iter()
        .find(|prefix| path.len() > prefix.len() && path.starts_with(*prefix))
        .map_or(Cow::Borrowed(path), |prefix| {
            Cow::Owned(format!("{prefix}[redacted]"))
        })
}

/// Serves until SIGTERM or SIGINT, then lets in-flight requests finish
/// within the grace period.
pub async fn serve(listener: TcpListener, state: AppState) {
    let limits = state.config.connections.clone();
    connections::serve(listener, app(state), &limits, shutdown_signal()).await;
}

/// The `503` message while the service waits for its database at start.
pub const STARTING: &str = "The service is starting: waiting for the database.";

/// Serves on `listener` at once, but answers every request (`/api/ping`
/// included, so a load balancer keeps the node out) with `503` until
/// `ready` yields the state; then serves the application, until SIGTERM or
/// SIGINT. An error of `ready` stops the server.
///
/// Binding first makes a taken port fail the start at once, and clients
/// of a node still waiting for its database get a `503` they can retry
/// rather than a refused connection.
pub async fn serve_when_ready(
    listener: TcpListener,
    limits: &ConnectionLimits,
    ready: impl Future<Output = anyhow::Result<AppState>>,
) -> anyhow::Result<()> {
    let application: Arc<OnceLock<Router>> = Arc::default();
    let dispatch = {
        let application = application.clone();
        tower::service_fn(move |request: Request<Body>| {
            // One atomic load per request once the state is there.
            let router = application.get().cloned();
            async move {
                match router {
                    Some(router) => router.oneshot(request).await,
                    // The process is alive while it waits: a liveness
                    // probe must not restart it (`/ready` says 503).
                    None if request.uri().path() == "/health" => Ok(crate::health::alive()),
                    None => Ok(message_response(StatusCode::SERVICE_UNAVAILABLE, STARTING)),
                }
            }
        })
    };
    let serving = connections::serve(
        listener,
        Router::new().fallback_service(dispatch),
        limits,
        shutdown_signal(),
    );
    tokio::pin!(serving);
    tokio::select! {
        state = ready => {
            let _ = application.set(app(state?));
            tracing::info!("database ready: serving");
        }
        // Stopped while still waiting for the database.
        () = &mut serving => return Ok(()),
    }
    serving.await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

#[cfg(test)]
mod tests {
    use super::loggable_path;

    #[test]
    fn secret_path_segments_are_not_logged() {
        assert_eq!(
            loggable_path("/provisioning/abcdefghijklm"),
            "/provisioning/[redacted]"
        );
        assert_eq!(
            loggable_path("/provisioning/qrcode/abcdefghijklm"),
            "/provisioning/qrcode/[redacted]"
        );
        assert_eq!(
            loggable_path("/accounts/email/confirm/s3cr3t"),
            "/accounts/email/confirm/[redacted]"
        );
        assert_eq!(
            loggable_path("/recovery/password/s3cr3t"),
            "/recovery/password/[redacted]"
        );
        assert_eq!(
            loggable_path("/creation_request/s3cr3t"),
            "/creation_request/[redacted]"
        );
        assert_eq!(
            loggable_path("/recovery/phone/s3cr3t"),
            "/recovery/phone/[redacted]"
        );
        assert_eq!(
            loggable_path("/recovery/phone/code"),
            "/recovery/phone/code"
        );
        assert_eq!(
            loggable_path("/api/accounts/auth_token/t0k3n/attach"),
            "/api/accounts/auth_token/[redacted]"
        );
        assert_eq!(
            loggable_path("/api/accounts/me/api_key/t0k3n"),
            "/api/accounts/me/api_key/[redacted]"
        );
        assert_eq!(
            loggable_path("/api/accounts/me/api_key"),
            "/api/accounts/me/api_key"
        );
        assert_eq!(loggable_path("/provisioning"), "/provisioning");
        assert_eq!(loggable_path("/provisioning/"), "/provisioning/");
        assert_eq!(
            loggable_path("/api/accounts/bob@sip.example.org/info"),
            "/api/accounts/bob@sip.example.org/info"
        );
    }
}
