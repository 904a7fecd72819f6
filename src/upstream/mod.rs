//! Calls to providers: builds the provider request for a deployment (URL,
//! authentication, body in the provider's format), sends it through one
//! pooled HTTP client, and turns replies and failures into OpenAI terms.

mod anthropic;
mod bedrock;
mod cohere;
mod completion;
mod error;
mod gemini;
mod native;
mod openai;
mod responses;
mod stream;

use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;

pub use error::UpstreamError;
pub use stream::ChunkStream;

use crate::crypto::Vault;
use crate::providers::{ApiStyle, Operation};
use crate::routing::Deployment;

/// One call to make.
pub struct UpstreamRequest<'a> {
    pub deployment: &'a Deployment,
    pub operation: Operation,
    /// The model to ask the provider for.
    pub model: String,
    /// The request in OpenAI's format, with `model` already set.
    pub body: Value,
    pub stream: bool,
    pub timeout: Duration,
    /// A file to send as multipart form data, with `body`'s fields beside it.
    pub attachment: Option<Attachment>,
}

/// An uploaded file passed through to the provider.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// The form field it came in (`file`).
    pub field: String,
    pub filename: String,
    pub content_type: String,
    pub bytes: Bytes,
}

/// A provider's answer, in OpenAI's format.
pub enum UpstreamReply {
    /// A JSON response body.
    Json(Value),
    /// Raw bytes (audio) with their content type.
    Binary { content_type: String, bytes: Bytes },
    /// A stream of OpenAI chunks.
    Stream(ChunkStream),
}

/// The shared HTTP client and the credential vault.
#[derive(Clone)]
pub struct Upstream {
    http: reqwest::Client,
    vault: Vault,
}

impl Upstream {
    /// One client for the process: keep-alive pools per host, HTTP/2 where offered.
    pub fn new(vault: Vault) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(256)
            .tcp_nodelay(true)
            .connect_timeout(Duration::from_secs(10))
            // A provider's redirect is its answer, as with LiteLLM's httpx
            // client; following it could lead a request (and its
            // credentials' replies) to a host nobody configured.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self { http, vault })
    }

    /// The credential vault, for code that stores credentials.
    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// Sends one request and returns the reply (a stream starts once the
    /// upstream answered 2xx; an error status is returned as an error).
    /// Text completions and Responses asked of a native provider are asked
    /// as chat, and the answer is reshaped.
    pub async fn send(&self, request: UpstreamRequest<'_>) -> Result<UpstreamReply, UpstreamError> {
        let style = request.deployment.provider.style;
        let native = !matches!(style, ApiStyle::OpenAi | ApiStyle::Azure);
        if native && request.operation == Operation::Completion {
            let chat = completion::as_chat(request)?;
            return Box::pin(self.send(chat)).await.map(completion::reply);
        }
        if native && request.operation == Operation::Responses {
            let model = request.model.clone();
            let (chat, echo) = responses::as_chat(request)?;
            let reply = Box::pin(self.send(chat)).await?;
            return responses::reply(reply, echo, &model);
        }
        match style {
            ApiStyle::OpenAi | ApiStyle::Azure => {
                openai::send(&self.http, &self.vault, request).await
            }
            ApiStyle::Anthropic => anthropic::send(&self.http, &self.vault, request).await,
            ApiStyle::Gemini => gemini::send(&self.http, &self.vault, request).await,
            ApiStyle::Cohere => cohere::send(&self.http, &self.vault, request).await,
            ApiStyle::Bedrock => bedrock::send(&self.http, &self.vault, request).await,
        }
    }
}
