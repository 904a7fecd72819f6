//! Request bodies and query strings that fail to parse answer 422 in the
//! API's JSON envelope, naming the field at fault (`user_id: invalid type:
//! integer, expected a string`), never axum's plain-text rejection.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::proxy::ApiError;

/// Largest management request body.
const LIMIT: usize = 4 * 1024 * 1024;

/// A JSON body of type `T`.
pub struct Body<T>(pub T);

fn invalid(what: &str, err: impl std::fmt::Display, path: String) -> ApiError {
    let message = if path.is_empty() || path == "." {
        format!("invalid {what}: {err}")
    } else {
        format!("invalid {what}: {path}: {err}")
    };
    let mut error = ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request_error",
        message,
    );
    if !path.is_empty() && path != "." {
        error = error.with_param(&path);
    }
    error
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|err| ApiError::bad_request(format!("unreadable request body: {err}")))?;
        if bytes.len() > LIMIT {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request_error",
                format!("request body is larger than {LIMIT} bytes"),
            ));
        }
        let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        let deserializer = &mut serde_json::Deserializer::from_slice(text);
        serde_path_to_error::deserialize(deserializer)
            .map(Body)
            .map_err(|err| {
                let path = err.path().to_string();
                invalid("request body", err.inner(), path)
            })
    }
}

/// A query string of type `T`.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(Query)
            .map_err(|err| {
                let path = err.path().to_string();
                invalid("query", err.inner(), path)
            })
    }
}
