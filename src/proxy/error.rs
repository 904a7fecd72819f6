//! `ApiError`: every failure of an LLM route, rendered in OpenAI's envelope
//! `{"error": {"message", "type", "param", "code"}}` (or Anthropic's on
//! `/v1/messages`). 5xx errors carry a fixed message; the cause is logged.

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::db::DbError;
use crate::governance::Denial;

/// A client-facing error of the proxy.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub kind: String,
    pub param: Option<String>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Render in Anthropic's envelope instead of OpenAI's.
    pub anthropic: bool,
}

impl ApiError {
    /// An error with a status, an OpenAI `type` and a message.
    pub fn new(status: StatusCode, kind: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            kind: kind.to_owned(),
            param: None,
            headers: Vec::new(),
            anthropic: false,
        }
    }

    /// 400 for a request the gateway cannot accept, naming the problem.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", message)
    }

    /// 401 with LiteLLM's `auth_error` type.
    pub fn auth(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "auth_error",
            format!("Authentication Error, {}", message.into()),
        )
    }

    /// 500 with a fixed message; `cause` goes to the log only.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_server_error",
            "Internal server error. The failure has been logged.",
        )
    }

    /// Names the request field at fault.
    pub fn with_param(mut self, param: &str) -> Self {
        self.param = Some(param.to_owned());
        self
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.push((name, value));
        }
        self
    }

    /// Renders in Anthropic's envelope.
    pub fn for_anthropic(mut self) -> Self {
        self.anthropic = true;
        self
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        if self.anthropic {
            return json!({
                "type": "error",
                "error": {"type": anthropic_type(self.status.as_u16()), "message": self.message},
            });
        }
        json!({
            "error": {
                "message": self.message,
                "type": self.kind,
                "param": self.param,
                "code": self.status.as_u16().to_string(),
            }
        })
    }
}

fn anthropic_type(status: u16) -> &'static str {
    match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.body();
        let mut response = (self.status, axum::Json(body)).into_response();
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

impl From<Denial> for ApiError {
    fn from(denial: Denial) -> Self {
        match denial {
            Denial::Budget { message } => {
                Self::new(StatusCode::BAD_REQUEST, "budget_exceeded", message)
            }
            Denial::Rate {
                message,
                unit,
                retry_after,
            } => {
                let seconds = retry_after.as_secs_f64().ceil().max(1.0);
                let reset_at = chrono::Utc::now()
                    + chrono::Duration::milliseconds(retry_after.as_millis() as i64);
                Self::new(StatusCode::TOO_MANY_REQUESTS, "None", message)
                    .with_param("None")
                    .with_header(header::RETRY_AFTER, &format!("{seconds}"))
                    .with_header(HeaderName::from_static("rate_limit_type"), unit)
                    .with_header(
                        HeaderName::from_static("reset_at"),
                        &reset_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
                    )
            }
        }
    }
}

impl From<DbError> for ApiError {
    /// Constraint violations are the client's mistake (a duplicate, a
    /// reference to nothing, a value out of range); anything else is ours.
    fn from(err: DbError) -> Self {
        use tokio_postgres::error::SqlState;
        let Some(code) = err.code() else {
            return Self::internal(err);
        };
        let constraint = err.constraint().unwrap_or("a constraint").to_owned();
        if *code == SqlState::UNIQUE_VIOLATION {
            Self::bad_request(format!("already exists ({constraint})"))
        } else if *code == SqlState::FOREIGN_KEY_VIOLATION {
            Self::bad_request(format!(
                "refers to something that does not exist ({constraint})"
            ))
        } else if *code == SqlState::CHECK_VIOLATION || *code == SqlState::NOT_NULL_VIOLATION {
            Self::bad_request(format!("a value is missing or not allowed ({constraint})"))
        } else if *code == SqlState::INVALID_TEXT_REPRESENTATION
            || *code == SqlState::INVALID_PARAMETER_VALUE
            || *code == SqlState::NUMERIC_VALUE_OUT_OF_RANGE
            || *code == SqlState::DATATYPE_MISMATCH
        {
            Self::bad_request("a value has the wrong type or is out of range")
        } else {
            Self::internal(err)
        }
    }
}
