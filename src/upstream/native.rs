//! What the native provider styles share: where a deployment lives, its
//! revealed key, its extra headers, reading JSON replies and error bodies,
//! and how translation failures become upstream errors.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

use super::openai::transport_error;
use super::{UpstreamError, UpstreamRequest};
use crate::crypto::Vault;
use crate::providers::Operation;
use crate::translate::TranslateError;

/// The deployment's `api_base`, else the provider's default, without a
/// trailing slash.
pub(super) fn base(request: &UpstreamRequest<'_>) -> Result<String, UpstreamError> {
    let deployment = request.deployment;
    deployment
        .api_base
        .as_deref()
        .or(deployment.provider.default_base)
        .map(|base| base.trim_end_matches('/').to_owned())
        .ok_or_else(|| {
            UpstreamError::Config(format!("deployment {} has no api_base", deployment.id))
        })
}

/// The deployment's provider key, revealed; `None` when it has none.
pub(super) fn api_key(
    vault: &Vault,
    request: &UpstreamRequest<'_>,
) -> Result<Option<String>, UpstreamError> {
    request
        .deployment
        .api_key
        .as_deref()
        .map(|stored| reveal(vault, stored))
        .transpose()
}

/// A stored credential's usable value.
pub(super) fn reveal(vault: &Vault, stored: &str) -> Result<String, UpstreamError> {
    vault
        .reveal(stored)
        .map_err(|err| UpstreamError::Config(err.to_string()))
}

/// `litellm_params.extra_headers` as name and value pairs.
pub(super) fn extra_headers(request: &UpstreamRequest<'_>) -> Vec<(String, String)> {
    let Some(Value::Object(configured)) = request.deployment.params.get("extra_headers") else {
        return Vec::new();
    };
    configured
        .iter()
        .filter_map(|(name, value)| Some((name.clone(), value.as_str()?.to_owned())))
        .collect()
}

/// `litellm_params.extra_headers`, sent as configured; they replace the
/// style's own headers of the same name.
pub(super) fn with_extra_headers(
    builder: reqwest::RequestBuilder,
    request: &UpstreamRequest<'_>,
) -> reqwest::RequestBuilder {
    let mut headers = HeaderMap::new();
    for (name, value) in extra_headers(request) {
        let name = HeaderName::from_bytes(name.as_bytes());
        let value = HeaderValue::from_str(&value);
        if let (Ok(name), Ok(value)) = (name, value) {
            headers.insert(name, value);
        }
    }
    builder.headers(headers)
}

/// The refusal of an operation the provider style does not serve.
pub(super) fn unsupported(request: &UpstreamRequest<'_>) -> UpstreamError {
    UpstreamError::Config(format!(
        "{} ({:?}) is not supported for provider {} (deployment {})",
        request.operation.endpoint(),
        request.operation,
        request.deployment.provider.name,
        request.deployment.id
    ))
}

/// True for operations whose body is an OpenAI chat request.
pub(super) fn is_chat(operation: Operation) -> bool {
    matches!(operation, Operation::Chat | Operation::Messages)
}

/// A client request the provider's format cannot express: the client's
/// fault, so a 400 that is neither retried nor held against the deployment.
pub(super) fn request_error(err: TranslateError) -> UpstreamError {
    UpstreamError::Status {
        status: 400,
        message: err.0,
        kind: Some("invalid_request_error".to_owned()),
    }
}

/// A provider answer that cannot be translated.
pub(super) fn response_error(err: TranslateError) -> UpstreamError {
    UpstreamError::Protocol(err.0)
}

/// Reads a successful JSON reply.
pub(super) async fn read_json(response: reqwest::Response) -> Result<Value, UpstreamError> {
    let bytes = response.bytes().await.map_err(transport_error)?;
    serde_json::from_slice(&bytes).map_err(|err| {
        UpstreamError::Protocol(format!("the provider answered invalid JSON: {err}"))
    })
}

/// An error reply's parts: status, headers, body text and the body as JSON
/// when it is JSON.
pub(super) struct ErrorReply {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Option<Value>,
}

impl ErrorReply {
    /// Reads the whole error reply.
    pub async fn read(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        let json = serde_json::from_str(&text).ok();
        Self {
            status,
            headers,
            text,
            json,
        }
    }

    /// The error with `message` when the body named one, else the start of
    /// whatever text came.
    pub fn into_error(self, message: Option<String>, kind: Option<String>) -> UpstreamError {
        UpstreamError::Status {
            status: self.status,
            message: message.unwrap_or_else(|| self.text.chars().take(500).collect()),
            kind,
        }
    }
}

/// Sends a request to a provider; an error status is read with the
/// style's own reader (a redirect, never followed, is refused here for all).
pub(super) async fn send<F, Fut>(
    builder: reqwest::RequestBuilder,
    status_error: F,
) -> Result<reqwest::Response, UpstreamError>
where
    F: FnOnce(reqwest::Response) -> Fut,
    Fut: Future<Output = UpstreamError>,
{
    let response = builder.send().await.map_err(transport_error)?;
    let status = response.status();
    if status.is_success() {
        Ok(response)
    } else if status.is_redirection() {
        Err(UpstreamError::redirected(status.as_u16()))
    } else {
        Err(status_error(response).await)
    }
}
