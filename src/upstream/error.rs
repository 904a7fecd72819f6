//! Provider failures, classified for retries, cooldowns and fallbacks.

use crate::routing::FailureKind;

/// Why a provider call failed.
#[derive(Debug, Clone)]
pub enum UpstreamError {
    /// The provider answered with an error status.
    Status {
        status: u16,
        message: String,
        kind: Option<String>,
    },
    /// No answer within the timeout.
    Timeout,
    /// The provider could not be reached.
    Connect(String),
    /// The deployment cannot be called as configured.
    Config(String),
    /// The provider's answer could not be understood.
    Protocol(String),
}

impl UpstreamError {
    /// A 3xx answer. Redirects are not followed (see `Upstream::new`), so
    /// the admin is told where to look instead.
    pub fn redirected(status: u16) -> Self {
        UpstreamError::Protocol(format!(
            "the provider answered {status}, a redirect; set the deployment's api_base to the address it moved to"
        ))
    }

    /// The HTTP status the client should see.
    pub fn status(&self) -> u16 {
        match self {
            UpstreamError::Status { status, .. } => *status,
            UpstreamError::Timeout => 408,
            UpstreamError::Connect(_) | UpstreamError::Protocol(_) => 502,
            UpstreamError::Config(_) => 500,
        }
    }

    /// True for failures another attempt may cure: 408, 409, 429, 5xx,
    /// timeouts and connection errors.
    pub fn retryable(&self) -> bool {
        match self {
            UpstreamError::Status { status, .. } => {
                matches!(status, 408 | 409 | 429) || *status >= 500
            }
            UpstreamError::Timeout | UpstreamError::Connect(_) | UpstreamError::Protocol(_) => true,
            UpstreamError::Config(_) => false,
        }
    }

    /// How this failure counts against the deployment.
    pub fn failure_kind(&self) -> FailureKind {
        match self {
            UpstreamError::Status { status: 429, .. } => FailureKind::RateLimited,
            UpstreamError::Status {
                status: 401 | 404, ..
            }
            | UpstreamError::Config(_) => FailureKind::Misconfigured,
            UpstreamError::Status { status, .. } if *status == 408 || *status >= 500 => {
                FailureKind::Transient
            }
            UpstreamError::Status { .. } => FailureKind::Request,
            UpstreamError::Timeout | UpstreamError::Protocol(_) => FailureKind::Transient,
            UpstreamError::Connect(_) => FailureKind::Connection,
        }
    }

    /// True when the prompt did not fit the model (context-window fallbacks apply).
    pub fn is_context_window(&self) -> bool {
        matches!(self, UpstreamError::Status { message, kind, .. }
            if kind.as_deref() == Some("context_length_exceeded")
                || message.contains("context length") || message.contains("context_length_exceeded")
                || message.contains("maximum context"))
    }

    /// True when the provider refused the content (content-policy fallbacks apply).
    pub fn is_content_policy(&self) -> bool {
        matches!(self, UpstreamError::Status { message, kind, .. }
            if kind.as_deref() == Some("content_policy_violation") || message.contains("content_policy")
                || message.contains("content management policy"))
    }

    /// The message for the client, prefixed as LiteLLM does.
    pub fn client_message(&self) -> String {
        match self {
            UpstreamError::Status {
                status, message, ..
            } => {
                format!("litellm.{}: {message}", exception_name(*status))
            }
            UpstreamError::Timeout => {
                "litellm.Timeout: the provider did not answer in time".to_owned()
            }
            UpstreamError::Connect(detail) => format!("litellm.APIConnectionError: {detail}"),
            UpstreamError::Config(detail) => format!("litellm.BadRequestError: {detail}"),
            UpstreamError::Protocol(detail) => format!("litellm.APIError: {detail}"),
        }
    }

    /// The OpenAI error `type` for the client.
    pub fn client_kind(&self) -> String {
        match self {
            UpstreamError::Status {
                kind: Some(kind), ..
            } => kind.clone(),
            UpstreamError::Status { status, .. } if *status < 500 => {
                "invalid_request_error".to_owned()
            }
            UpstreamError::Timeout => "timeout".to_owned(),
            _ => "api_error".to_owned(),
        }
    }
}

fn exception_name(status: u16) -> &'static str {
    match status {
        400 => "BadRequestError",
        401 => "AuthenticationError",
        403 => "PermissionDeniedError",
        404 => "NotFoundError",
        408 => "Timeout",
        422 => "UnprocessableEntityError",
        429 => "RateLimitError",
        503 => "ServiceUnavailableError",
        _ if status >= 500 => "InternalServerError",
        _ => "APIError",
    }
}
