//! OpenAI and Azure OpenAI (and every OpenAI-compatible provider): the body
//! goes through as the client sent it, with the deployment's model.

use reqwest::header::{CONTENT_TYPE, HeaderValue};
use serde_json::Value;
use url::Url;

use super::stream::{ChunkStream, StreamFormat};
use super::{UpstreamError, UpstreamReply, UpstreamRequest};
use crate::crypto::Vault;
use crate::providers::{ApiStyle, Operation};

/// Azure's API version when the deployment names none.
const DEFAULT_AZURE_API_VERSION: &str = "2024-10-21";

fn endpoint(request: &UpstreamRequest<'_>) -> Result<Url, UpstreamError> {
    let deployment = request.deployment;
    let base = deployment
        .api_base
        .as_deref()
        .or(deployment.provider.default_base)
        .ok_or_else(|| {
            UpstreamError::Config(format!("deployment {} has no api_base", deployment.id))
        })?;
    let base = base.trim_end_matches('/');
    let path = request.operation.openai_path();
    let text = if deployment.provider.style == ApiStyle::Azure {
        let version = deployment
            .api_version
            .as_deref()
            .unwrap_or(DEFAULT_AZURE_API_VERSION);
        let base = base.trim_end_matches("/openai");
        format!(
            "{base}/openai/deployments/{}{path}?api-version={version}",
            request.model
        )
    } else {
        format!("{base}{path}")
    };
    Url::parse(&text).map_err(|err| {
        UpstreamError::Config(format!(
            "deployment {} has a bad api_base: {err}",
            deployment.id
        ))
    })
}

/// Sends an OpenAI-format request.
pub(super) async fn send(
    http: &reqwest::Client,
    vault: &Vault,
    request: UpstreamRequest<'_>,
) -> Result<UpstreamReply, UpstreamError> {
    let url = endpoint(&request)?;
    let mut body = request.body;
    if request.stream
        && request.operation.is_chat_like()
        && request.operation != Operation::Responses
    {
        // Ask for usage in the stream so spend is exact; the chunk is not
        // forwarded unless the client asked for it too.
        body["stream_options"]["include_usage"] = Value::Bool(true);
    }
    let mut builder = http.post(url).timeout(request.timeout);
    builder = match &request.attachment {
        Some(file) => builder.multipart(form(&body, file)?),
        None => builder.json(&body),
    };
    if let Some(stored) = &request.deployment.api_key {
        let key = vault
            .reveal(stored)
            .map_err(|err| UpstreamError::Config(err.to_string()))?;
        builder = if request.deployment.provider.style == ApiStyle::Azure {
            builder.header("api-key", key)
        } else {
            builder.bearer_auth(key)
        };
    }
    if let Some(Value::Object(headers)) = request.deployment.params.get("extra_headers") {
        for (name, value) in headers {
            if let Some(value) = value.as_str() {
                builder = builder.header(name.as_str(), value);
            }
        }
    }
    let response = super::native::send(builder, status_error).await?;
    if request.stream {
        return Ok(UpstreamReply::Stream(ChunkStream::new(
            response,
            StreamFormat::OpenAi,
        )));
    }
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value: &HeaderValue| value.to_str().ok())
        .unwrap_or("application/json")
        .to_owned();
    let bytes = response.bytes().await.map_err(transport_error)?;
    if !content_type.contains("json") {
        return Ok(UpstreamReply::Binary {
            content_type,
            bytes,
        });
    }
    serde_json::from_slice(&bytes)
        .map(UpstreamReply::Json)
        .map_err(|err| {
            UpstreamError::Protocol(format!("the provider answered invalid JSON: {err}"))
        })
}

/// The multipart form of a file upload: the file plus every body field as text.
fn form(body: &Value, file: &super::Attachment) -> Result<reqwest::multipart::Form, UpstreamError> {
    let part = reqwest::multipart::Part::stream(file.bytes.clone())
        .file_name(file.filename.clone())
        .mime_str(&file.content_type)
        .map_err(|err| UpstreamError::Config(format!("bad content type of the upload: {err}")))?;
    let mut form = reqwest::multipart::Form::new().part(file.field.clone(), part);
    if let Value::Object(fields) = body {
        for (name, value) in fields {
            let text = match value {
                Value::String(text) => text.clone(),
                Value::Null => continue,
                other => other.to_string(),
            };
            form = form.text(name.clone(), text);
        }
    }
    Ok(form)
}

/// A reqwest failure as an upstream error.
pub(super) fn transport_error(err: reqwest::Error) -> UpstreamError {
    if err.is_timeout() {
        UpstreamError::Timeout
    } else if err.is_connect() {
        UpstreamError::Connect("cannot connect to the provider".to_owned())
    } else {
        UpstreamError::Connect(format!(
            "the provider connection failed: {}",
            without_url(&err)
        ))
    }
}

fn without_url(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    if let Some(url) = err.url() {
        text = text.replace(url.as_str(), "<provider>");
    }
    text
}

/// Reads an error response: OpenAI's `{"error": {"message", "type"}}`,
/// else whatever text came.
pub(super) async fn status_error(response: reqwest::Response) -> UpstreamError {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    let parsed: Option<Value> = serde_json::from_str(&text).ok();
    let error = parsed
        .as_ref()
        .map(|body| body.get("error").unwrap_or(body));
    let message = error
        .and_then(|e| {
            e.get("message")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| e.as_str().map(str::to_owned))
        })
        .unwrap_or_else(|| text.chars().take(500).collect());
    let kind = error
        .and_then(|e| {
            e.get("code")
                .and_then(Value::as_str)
                .or_else(|| e.get("type").and_then(Value::as_str))
        })
        .map(str::to_owned);
    UpstreamError::Status {
        status,
        message,
        kind,
    }
}
