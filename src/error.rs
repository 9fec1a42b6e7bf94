//! The API's errors and their JSON bodies (docs/api.md, "Errors").
//!
//! Each variant carries only what is safe to show a client; the cause of an
//! internal error is logged, never sent.

use std::collections::BTreeMap;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Field name -> explanations, as Laravel's validator answers.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("validation failed")]
    Validation(FieldErrors),
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 401 with the Digest challenges to offer (possibly none).
    #[error("unauthorized: {message}")]
    Unauthorized {
        message: &'static str,
        challenges: Vec<String>,
    },
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// 410: the thing existed but is past its lifetime (an expired code).
    #[error("gone: {0}")]
    Gone(String),
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("too many requests")]
    TooManyRequests { retry_after_seconds: u64 },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// A 422 on one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.insert(field.to_string(), vec![message.into()]);
        ApiError::Validation(errors)
    }

    pub fn not_found() -> Self {
        ApiError::NotFound("Not Found".to_string())
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        ApiError::Internal(cause.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The `503` message while the database cannot be reached.
pub const DATABASE_UNAVAILABLE: &str = "The database is unavailable, try again later.";

/// Every database error of a handler becomes an `ApiError` here: an
/// unreachable database is a `503` the client may retry (logged as a
/// warning, with its cause), anything else an internal error.
impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        if crate::db::is_unreachable(&err) {
            tracing::warn!(error = %err, "database unreachable");
            return ApiError::Unavailable(DATABASE_UNAVAILABLE.to_string());
        }
        ApiError::Internal(err.into())
    }
}

impl From<sea_orm::TransactionError<ApiError>> for ApiError {
    fn from(err: sea_orm::TransactionError<ApiError>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(e) => e.into(),
            sea_orm::TransactionError::Transaction(e) => e,
        }
    }
}

/// Builds a `{"message": …}` JSON response.
pub fn message_response(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "message": message }))).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match self {
            ApiError::Validation(errors) => (
                status,
                axum::Json(json!({
                    "message": "The given data was invalid.",
                    "errors": errors,
                })),
            )
                .into_response(),
            ApiError::Unauthorized {
                message,
                challenges,
            } => {
                let mut response = message_response(status, message);
                for challenge in challenges {
                    if let Ok(value) = HeaderValue::from_str(&challenge) {
                        response
                            .headers_mut()
                            .append(header::WWW_AUTHENTICATE, value);
                    }
                }
                response
            }
            ApiError::TooManyRequests {
                retry_after_seconds,
            } => {
                let mut response = message_response(status, "Too Many Attempts.");
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_seconds));
                response
            }
            ApiError::Internal(cause) => {
                tracing::error!(error = %format!("{cause:#}"), "internal error");
                message_response(status, "Server Error")
            }
            ApiError::PayloadTooLarge => message_response(status, "Payload Too Large"),
            ApiError::BadRequest(message)
            | ApiError::Forbidden(message)
            | ApiError::NotFound(message)
            | ApiError::Gone(message)
            | ApiError::Unavailable(message) => message_response(status, &message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn internal_errors_never_show_their_cause() {
        let response =
            ApiError::internal(anyhow::anyhow!("SELECT secret FROM x failed")).into_response();
        assert_eq!(response.status(), 500);
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        assert_eq!(&body[..], br#"{"message":"Server Error"}"#);
    }

    #[tokio::test]
    async fn an_unreachable_database_is_a_503() {
        let err = sea_orm::DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout);
        let response = ApiError::from(err).into_response();
        assert_eq!(response.status(), 503);
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["message"], DATABASE_UNAVAILABLE);

        let refused = sea_orm::DbErr::Custom("constraint".into());
        assert_eq!(ApiError::from(refused).status(), 500);
    }

    #[tokio::test]
    async fn validation_errors_have_laravel_shape() {
        let response = ApiError::field("username", "too short").into_response();
        assert_eq!(response.status(), 422);
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["errors"]["username"][0], "too short");
        assert_eq!(value["message"], "The given data was invalid.");
    }
}
