//! AWS Bedrock Runtime (`bedrock/<model id>`): chat requests over the
//! Converse API and embeddings over InvokeModel, signed with SigV4 (or a
//! Bedrock API key), replies translated back, and ConverseStream's binary
//! event stream decoded into chunks.

use serde_json::Value;
use url::Url;

use super::native::{self, ErrorReply};
use super::stream::{ChunkStream, StreamFormat};
use super::{UpstreamError, UpstreamReply, UpstreamRequest};
use crate::crypto::Vault;
use crate::providers::Operation;
use crate::translate::bedrock::{
    AwsCredentials, ConverseStreamToChat, EmbedFamily, EventStreamDecoder, chat_to_converse,
    cohere_reply_to_embeddings, cohere_request, converse_to_chat, converse_url, embedding_texts,
    invoke_url, sign, titan_request, titan_to_embeddings,
};

/// The region when neither the deployment nor the environment names one.
const DEFAULT_REGION: &str = "us-east-1";

/// A `litellm_params` text field.
fn param<'a>(request: &'a UpstreamRequest<'_>, name: &str) -> Option<&'a str> {
    request.deployment.params[name]
        .as_str()
        .filter(|value| !value.is_empty())
}

/// A setting from `litellm_params` (a stored secret, revealed), else from
/// the first environment variable of `env` that is set.
fn setting(
    vault: &Vault,
    request: &UpstreamRequest<'_>,
    name: &str,
    env: &[&str],
) -> Result<Option<String>, UpstreamError> {
    if let Some(stored) = param(request, name) {
        return native::reveal(vault, stored).map(Some);
    }
    Ok(env
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|value| !value.is_empty())))
}

/// How the call authenticates: SigV4 with an access key, else a Bedrock API
/// key as a bearer token.
enum Auth {
    SigV4(AwsCredentials),
    Bearer(String),
}

fn auth(vault: &Vault, request: &UpstreamRequest<'_>) -> Result<Auth, UpstreamError> {
    if param(request, "aws_access_key_id").is_none()
        && let Some(key) = native::api_key(vault, request)?
    {
        return Ok(Auth::Bearer(key));
    }
    let key_id = setting(vault, request, "aws_access_key_id", &["AWS_ACCESS_KEY_ID"])?;
    let secret = setting(
        vault,
        request,
        "aws_secret_access_key",
        &["AWS_SECRET_ACCESS_KEY"],
    )?;
    match (key_id, secret) {
        (Some(access_key_id), Some(secret_access_key)) => Ok(Auth::SigV4(AwsCredentials {
            access_key_id,
            secret_access_key,
            session_token: setting(vault, request, "aws_session_token", &["AWS_SESSION_TOKEN"])?,
        })),
        _ => Err(UpstreamError::Config(format!(
            "deployment {} has no AWS credentials: set aws_access_key_id and aws_secret_access_key",
            request.deployment.id
        ))),
    }
}

/// Where and how a deployment's calls go: the signing region, the runtime
/// endpoint and the credentials.
struct Target {
    region: String,
    base: Url,
    auth: Auth,
}

impl Target {
    fn of(vault: &Vault, request: &UpstreamRequest<'_>) -> Result<Self, UpstreamError> {
        let region = setting(
            vault,
            request,
            "aws_region_name",
            &["AWS_REGION", "AWS_DEFAULT_REGION"],
        )?
        .unwrap_or_else(|| DEFAULT_REGION.to_owned());
        let base = request
            .deployment
            .api_base
            .clone()
            .or_else(|| param(request, "aws_bedrock_runtime_endpoint").map(str::to_owned))
            .unwrap_or_else(|| format!("https://bedrock-runtime.{region}.amazonaws.com"));
        let base = Url::parse(&base).map_err(|err| {
            UpstreamError::Config(format!(
                "deployment {} has a bad Bedrock endpoint: {err}",
                request.deployment.id
            ))
        })?;
        Ok(Self {
            auth: auth(vault, request)?,
            region,
            base,
        })
    }

    /// POSTs a JSON body to `url`, signed for this instant; an error status
    /// is read as a Bedrock exception.
    async fn post(
        &self,
        http: &reqwest::Client,
        request: &UpstreamRequest<'_>,
        url: Url,
        body: &Value,
        accept: &str,
    ) -> Result<reqwest::Response, UpstreamError> {
        let body = serde_json::to_vec(body)
            .map_err(|err| UpstreamError::Protocol(format!("cannot encode the request: {err}")))?;
        let mut headers = vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("accept".to_owned(), accept.to_owned()),
        ];
        headers.extend(native::extra_headers(request));
        match &self.auth {
            Auth::SigV4(credentials) => {
                let signed = sign(
                    "POST",
                    &url,
                    &headers,
                    &body,
                    credentials,
                    &self.region,
                    "bedrock",
                    chrono::Utc::now(),
                )
                .map_err(|err| UpstreamError::Config(err.0))?;
                headers.extend(signed);
            }
            Auth::Bearer(key) => {
                headers.push(("authorization".to_owned(), format!("Bearer {key}")));
            }
        }
        let mut builder = http.post(url).timeout(request.timeout).body(body);
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        native::send(builder, status_error).await
    }
}

/// Sends a chat or embeddings request to a Bedrock deployment.
pub(super) async fn send(
    http: &reqwest::Client,
    vault: &Vault,
    request: UpstreamRequest<'_>,
) -> Result<UpstreamReply, UpstreamError> {
    match request.operation {
        operation if native::is_chat(operation) => {
            let target = Target::of(vault, &request)?;
            converse(http, &target, request).await
        }
        Operation::Embedding => {
            let family = EmbedFamily::of(&request.model).ok_or_else(|| {
                UpstreamError::Config(format!(
                    "{} is not a Bedrock embedding model (Titan Embed or Cohere Embed) (deployment {})",
                    request.model, request.deployment.id
                ))
            })?;
            let target = Target::of(vault, &request)?;
            embed(http, &target, family, request).await
        }
        _ => Err(native::unsupported(&request)),
    }
}

/// A chat request over Converse (or ConverseStream).
async fn converse(
    http: &reqwest::Client,
    target: &Target,
    request: UpstreamRequest<'_>,
) -> Result<UpstreamReply, UpstreamError> {
    // LiteLLM's `bedrock/converse/<model>` names the route; Converse is the only one here.
    let model = request
        .model
        .strip_prefix("converse/")
        .unwrap_or(&request.model);
    let url = converse_url(&target.base, model, request.stream);
    let body = chat_to_converse(&request.body).map_err(native::request_error)?;
    let accept = if request.stream {
        "application/vnd.amazon.eventstream"
    } else {
        "application/json"
    };
    let response = target.post(http, &request, url, &body, accept).await?;
    if request.stream {
        return Ok(UpstreamReply::Stream(ChunkStream::new(
            response,
            StreamFormat::Bedrock {
                decoder: EventStreamDecoder::new(),
                translator: Box::new(ConverseStreamToChat::new(&request.model)),
            },
        )));
    }
    let reply = native::read_json(response).await?;
    converse_to_chat(&reply, &request.model)
        .map(UpstreamReply::Json)
        .map_err(native::response_error)
}

/// An embeddings request over InvokeModel: one call per text for Titan,
/// one call for the whole batch for Cohere.
async fn embed(
    http: &reqwest::Client,
    target: &Target,
    family: EmbedFamily,
    request: UpstreamRequest<'_>,
) -> Result<UpstreamReply, UpstreamError> {
    let texts = embedding_texts(&request.body).map_err(native::request_error)?;
    let url = invoke_url(&target.base, &request.model);
    let call = |body: Value| {
        let (url, request) = (url.clone(), &request);
        async move {
            let response = target
                .post(http, request, url, &body, "application/json")
                .await?;
            let tokens = response
                .headers()
                .get("x-amzn-bedrock-input-token-count")
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.parse::<u64>().ok())
                .unwrap_or(0);
            Ok::<_, UpstreamError>((native::read_json(response).await?, tokens))
        }
    };
    let list = match family {
        EmbedFamily::Titan => {
            let calls = texts
                .iter()
                .map(|text| call(titan_request(text, &request.body)));
            let replies: Vec<Value> = futures::future::try_join_all(calls)
                .await?
                .into_iter()
                .map(|(reply, _)| reply)
                .collect();
            titan_to_embeddings(&replies, &request.model).map_err(native::response_error)?
        }
        EmbedFamily::Cohere => {
            let (reply, tokens) = call(cohere_request(&texts, &request.body)).await?;
            cohere_reply_to_embeddings(&reply, &request.model, tokens)
        }
    };
    Ok(UpstreamReply::Json(list))
}

/// The HTTP status AWS answers a Bedrock exception with; stream exceptions
/// (`throttlingException`) are spelled in lower camel case.
pub(super) fn exception_status(exception: &str) -> u16 {
    let name = exception.split(':').next().unwrap_or(exception);
    match name.to_ascii_lowercase().as_str() {
        "validationexception" => 400,
        "accessdeniedexception" | "unrecognizedclientexception" => 403,
        "resourcenotfoundexception" => 404,
        "modeltimeoutexception" => 408,
        "throttlingexception" | "servicequotaexceededexception" | "modelnotreadyexception" => 429,
        "modelerrorexception" | "modelstreamerrorexception" => 424,
        "serviceunavailableexception" => 503,
        _ => 500,
    }
}

/// Reads Bedrock's `{"message"}` body; the exception is named by the
/// `x-amzn-errortype` header (`ValidationException:http://...`).
async fn status_error(response: reqwest::Response) -> UpstreamError {
    let reply = ErrorReply::read(response).await;
    let exception = reply
        .headers
        .get("x-amzn-errortype")
        .and_then(|value| value.to_str().ok())
        .map(|value| value.split(':').next().unwrap_or(value).to_owned());
    let message = reply.json.as_ref().and_then(|body| {
        body["message"]
            .as_str()
            .or_else(|| body["Message"].as_str())
            .map(|message| match &exception {
                Some(exception) => format!("Bedrock {exception}: {message}"),
                None => message.to_owned(),
            })
    });
    reply.into_error(message, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exceptions_get_the_status_aws_gives_them() {
        assert_eq!(exception_status("throttlingException"), 429);
        assert_eq!(exception_status("ValidationException"), 400);
        assert_eq!(exception_status("modelStreamErrorException"), 424);
        assert_eq!(exception_status("internalServerException"), 500);
    }
}
