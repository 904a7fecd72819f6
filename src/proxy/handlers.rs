//! The LLM route handlers: read and check the request, authenticate,
//! authorize the model, route, respond. One generic path serves every
//! JSON operation; the operation decides the upstream path and rendering.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::call::{self, LlmRequest};
use super::respond::{CallContext, in_client_format, prompt_chars};
use super::{ApiError, access, auth};
use crate::AppState;
use crate::governance::{self, Admission, Subjects};
use crate::providers::Operation;
use crate::routing::AccountModels;
use crate::translate::Usage;
use crate::upstream::Attachment;

/// `?key=` (Google-style clients) and Azure's `api-version`.
#[derive(Debug, Default, Deserialize)]
pub struct KeyQuery {
    key: Option<String>,
}

/// Reads the body under the configured limit: 413 in OpenAI's shape beyond it.
async fn read_json(body: Body, limit: usize) -> Result<Value, ApiError> {
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request_error",
            format!("Request body is larger than the limit of {limit} bytes"),
        )
    })?;
    if bytes.is_empty() {
        return Err(ApiError::bad_request(
            "litellm.BadRequestError: the request body is empty; send a JSON object",
        ));
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err(ApiError::bad_request(
            "litellm.BadRequestError: the request body must be a JSON object",
        )),
        Err(err) => Err(ApiError::bad_request(format!(
            "litellm.BadRequestError: Invalid JSON in request body: {err}"
        ))),
    }
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// The end user: LiteLLM's headers win over `user`, then `litellm_metadata.user`, then `metadata.user_id`.
fn end_user(headers: &HeaderMap, body: &Value) -> Option<String> {
    header_text(headers, "x-litellm-end-user-id")
        .or_else(|| header_text(headers, "x-litellm-customer-id"))
        .map(str::to_owned)
        .or_else(|| body.get("user").and_then(Value::as_str).map(str::to_owned))
        .or_else(|| body["litellm_metadata"]["user"].as_str().map(str::to_owned))
        .or_else(|| body["metadata"]["user_id"].as_str().map(str::to_owned))
        .filter(|user| !user.is_empty())
}

/// The session the call belongs to, kept on its spend log so that
/// `/spend/logs/session/ui` can list the session: LiteLLM's
/// `litellm_session_id`, else `litellm_trace_id` (in the body or its
/// `metadata`), else the `x-litellm-session-id` header.
fn session_id(headers: &HeaderMap, body: &Value) -> Option<String> {
    ["litellm_session_id", "litellm_trace_id"]
        .iter()
        .find_map(|name| {
            body.get(*name)
                .or_else(|| body["metadata"].get(*name))
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|id| !id.is_empty())
        })
        .or_else(|| header_text(headers, "x-litellm-session-id"))
        .map(str::to_owned)
}

fn tags(headers: &HeaderMap, body: &Value) -> Vec<String> {
    let mut tags: Vec<String> = body["metadata"]["tags"]
        .as_array()
        .map(|tags| {
            tags.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if let Some(header) = header_text(headers, "x-litellm-tags") {
        tags.extend(
            header
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
        );
    }
    tags.sort();
    tags.dedup();
    tags
}

fn seconds(value: Option<&Value>) -> Option<Duration> {
    let seconds = value?.as_f64().or_else(|| value?.as_str()?.parse().ok())?;
    (seconds > 0.0 && seconds.is_finite()).then(|| Duration::from_secs_f64(seconds))
}

/// Builds the routed request from the body; `path_model` is the Azure-style
/// path's model, which the body's `model` overrides.
fn llm_request(
    operation: Operation,
    path_model: Option<String>,
    headers: &HeaderMap,
    body: Value,
) -> Result<LlmRequest, ApiError> {
    let model = match body.get("model") {
        Some(Value::String(model)) if !model.trim().is_empty() => model.trim().to_owned(),
        Some(Value::String(_)) | None => match (path_model, operation) {
            (Some(model), _) => model,
            (None, Operation::Moderation) => "omni-moderation-latest".to_owned(),
            (None, _) => {
                return Err(ApiError::bad_request(
                    "litellm.BadRequestError: `model` is required: name the model to call",
                )
                .with_param("model"));
            }
        },
        Some(_) => {
            return Err(
                ApiError::bad_request("litellm.BadRequestError: `model` must be a string")
                    .with_param("model"),
            );
        }
    };
    let stream = match body.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(stream)) => *stream,
        Some(_) => {
            return Err(ApiError::bad_request(
                "litellm.BadRequestError: `stream` must be a boolean",
            )
            .with_param("stream"));
        }
    };
    let include_usage = body["stream_options"]["include_usage"]
        .as_bool()
        .unwrap_or(false);
    let timeout = header_text(headers, "x-litellm-timeout")
        .and_then(|text| text.parse::<f64>().ok())
        .filter(|s| *s > 0.0 && s.is_finite())
        .map(Duration::from_secs_f64)
        .or_else(|| seconds(body.get("timeout")));
    let num_retries = body
        .get("num_retries")
        .and_then(Value::as_u64)
        .map(|n| n.min(50) as u32);
    let client_fallbacks = body
        .get("fallbacks")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| {
                    item.as_str()
                        .or_else(|| item["model"].as_str())
                        .map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(LlmRequest {
        attachment: None,
        operation,
        route_model: model.clone(),
        model,
        body,
        stream,
        include_usage,
        timeout,
        num_retries,
        client_fallbacks,
    })
}

/// Serves one JSON LLM operation.
pub async fn serve_json(
    state: AppState,
    operation: Operation,
    path_model: Option<String>,
    headers: HeaderMap,
    query: KeyQuery,
    peer: Option<SocketAddr>,
    body: Body,
) -> Response {
    let started = Instant::now();
    let started_at = chrono::Utc::now();
    let reject = |error: ApiError| in_client_format(operation, error).into_response();
    let caller = match auth::authenticate(&state, &headers, query.key.as_deref()).await {
        Ok(caller) => caller,
        Err(error) => return reject(error),
    };
    let mut body = match read_json(body, state.settings().max_request_bytes).await {
        Ok(body) => body,
        Err(error) => return reject(error),
    };
    if operation == Operation::Messages {
        body = match crate::translate::anthropic::messages_to_chat_request(&body) {
            Ok(chat) => chat,
            Err(err) => return reject(ApiError::bad_request(err.to_string())),
        };
    }
    let started = Started {
        instant: started,
        at: started_at,
    };
    serve_request(
        state, caller, operation, path_model, headers, peer, body, None, started,
    )
    .await
}

/// When the call started, for durations and the spend log.
struct Started {
    instant: Instant,
    at: chrono::DateTime<chrono::Utc>,
}

/// Serves a multipart operation whose form was read into `body` and `file`.
pub async fn serve_form(
    state: AppState,
    operation: Operation,
    headers: HeaderMap,
    query: KeyQuery,
    peer: Option<SocketAddr>,
    body: Value,
    file: Attachment,
) -> Response {
    let started = Started {
        instant: Instant::now(),
        at: chrono::Utc::now(),
    };
    let caller = match auth::authenticate(&state, &headers, query.key.as_deref()).await {
        Ok(caller) => caller,
        Err(error) => return error.into_response(),
    };
    serve_request(
        state,
        caller,
        operation,
        None,
        headers,
        peer,
        body,
        Some(file),
        started,
    )
    .await
}

#[expect(
    clippy::too_many_arguments,
    reason = "the parts of one request, gathered by the route handlers"
)]
async fn serve_request(
    state: AppState,
    caller: super::Caller,
    operation: Operation,
    path_model: Option<String>,
    headers: HeaderMap,
    peer: Option<SocketAddr>,
    body: Value,
    attachment: Option<Attachment>,
    started: Started,
) -> Response {
    let reject = |error: ApiError| in_client_format(operation, error).into_response();
    if operation == Operation::Chat
        && let Some(models) = body["model"].as_str().filter(|m| m.contains(','))
    {
        let models: Vec<String> = models
            .split(',')
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty())
            .collect();
        return serve_each(state, caller, headers, peer, body, models).await;
    }
    let mut request = match llm_request(operation, path_model, &headers, body) {
        Ok(request) => request,
        Err(error) => return reject(error),
    };
    request.attachment = attachment;
    if let Some(target) = caller
        .key
        .as_ref()
        .and_then(|key| key.aliases.get(&request.model))
        .and_then(Value::as_str)
    {
        request.route_model = target.to_owned();
    }
    let (started, started_at) = (started.instant, started.at);
    let mut context = CallContext {
        admission: Arc::new(Admission::free()),
        end_user: end_user(&headers, &request.body),
        tags: tags(&headers, &request.body),
        session_id: session_id(&headers, &request.body),
        client_metadata: request.body.get("metadata").cloned().unwrap_or(Value::Null),
        requester_ip: peer.map(|peer| peer.ip().to_string()),
        call_id: uuid::Uuid::new_v4().to_string(),
        started,
        started_at,
        state: state.clone(),
        caller: caller.clone(),
        request,
    };
    let models = match state.models().get(state.db(), caller.account).await {
        Ok(models) => models,
        Err(err) => return reject(ApiError::internal(err)),
    };
    let attempts = call::Attempts::default();
    // An alias is allowed when either its name or its target is.
    let access =
        access::check_model(&caller, &context.request.route_model, &models).or_else(|error| {
            access::check_model(&caller, &context.request.model, &models).map_err(|_| error)
        });
    if let Err(error) = access {
        return context.fail(error, None, &attempts);
    }
    match admit(&state, &caller, &context, &models).await {
        Ok(admission) => context.admission = Arc::new(admission),
        Err(error) => return context.fail(error, None, &attempts),
    }
    if let Some(mock) = context.request.body.get("mock_response").cloned() {
        if models.candidates(&context.request.route_model).is_empty() {
            let error = call::unknown_model(operation, &context.request.route_model);
            return context.fail(error, None, &attempts);
        }
        return mock_reply(context, &mock);
    }
    match call::route(&state, &caller, &models, &context.request).await {
        Ok(routed) => context.succeed(routed).await,
        Err(failed) => context.fail(failed.error, failed.deployment.as_ref(), &failed.attempts),
    }
}

/// Admits the call against every budget and rate limit that governs it.
async fn admit(
    state: &AppState,
    caller: &super::Caller,
    context: &CallContext,
    models: &AccountModels,
) -> Result<Admission, ApiError> {
    let request = &context.request;
    let end_user = match &context.end_user {
        Some(id) => state
            .holders()
            .end_user(state.db(), caller.account, id)
            .await
            .map_err(ApiError::internal)?,
        None => None,
    };
    if let Some(end_user) = end_user.as_deref()
        && end_user.blocked
    {
        return Err(ApiError::auth(format!(
            "End User={} is blocked. Update via `/customer/unblock` if you're admin.",
            end_user.id
        )));
    }
    let account = state
        .holders()
        .account(state.db(), caller.account)
        .await
        .map_err(ApiError::internal)?;
    let candidates = models.candidates(&request.route_model);
    let mut subjects = Subjects {
        account: caller.account,
        key: caller.key.as_deref(),
        end_user: end_user.as_deref(),
        account_limits: &account,
        model: &request.route_model,
        reservation: None,
        under_pressure: candidates.iter().any(|d| state.health().is_cooling(&d.id)),
    };
    // Pricing the call is only worth it when some level has a budget.
    if subjects.has_budgets() {
        let prompt_tokens = prompt_chars(&request.body).div_ceil(4) as u64;
        let output_tokens = match request.operation {
            Operation::Embedding | Operation::Moderation | Operation::Rerank => 0,
            _ => governance::output_cap(&request.body).unwrap_or(governance::DEFAULT_OUTPUT_TOKENS),
        };
        subjects.reservation = governance::reservation(
            &candidates,
            &request.route_model,
            prompt_tokens,
            output_tokens,
        );
    }
    Admission::request(state.counters(), &subjects)
        .await
        .map_err(ApiError::from)
}

/// `"model": "a,b"`: the same chat asked of each model, answered as a JSON
/// list in that order (LiteLLM's batch completion). Each call is authorized,
/// routed and billed on its own; the first failure is the answer.
async fn serve_each(
    state: AppState,
    caller: super::Caller,
    headers: HeaderMap,
    peer: Option<SocketAddr>,
    body: Value,
    models: Vec<String>,
) -> Response {
    let mut answers = Vec::with_capacity(models.len());
    for model in models {
        let mut single = body.clone();
        single["model"] = Value::String(model);
        single["stream"] = Value::Bool(false);
        let started = Started {
            instant: Instant::now(),
            at: chrono::Utc::now(),
        };
        let call = serve_request(
            state.clone(),
            caller.clone(),
            Operation::Chat,
            None,
            headers.clone(),
            peer,
            single,
            None,
            started,
        );
        let response = Box::pin(call).await;
        if !response.status().is_success() {
            return response;
        }
        let bytes = match axum::body::to_bytes(response.into_body(), usize::MAX).await {
            Ok(bytes) => bytes,
            Err(err) => return ApiError::internal(err).into_response(),
        };
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(answer) => answers.push(answer),
            Err(err) => return ApiError::internal(err).into_response(),
        }
    }
    axum::Json(Value::Array(answers)).into_response()
}

/// `mock_response`: a canned answer without calling any provider, still
/// authenticated, limited and recorded (at zero cost).
fn mock_reply(context: CallContext, mock: &Value) -> Response {
    let content = mock
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| mock.to_string());
    let usage = Usage {
        prompt_tokens: (prompt_chars(&context.request.body) / 4).max(1) as u64,
        completion_tokens: content.len().div_ceil(4) as u64,
        ..Usage::default()
    };
    let id = format!("chatcmpl-{}", uuid::Uuid::new_v4().simple());
    let created = context.started_at.timestamp();
    let model = context.request.model.clone();
    let body = json!({
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
        "usage": usage.to_openai(),
    });
    context.mocked(body, usage)
}

/// `Router` entry points, one per route shape.
pub mod routes {
    use super::*;

    /// `POST /v1/{operation}`.
    pub async fn plain(
        operation: Operation,
        State(state): State<AppState>,
        ConnectInfo(peer): ConnectInfo<SocketAddr>,
        Query(query): Query<KeyQuery>,
        headers: HeaderMap,
        body: Body,
    ) -> Response {
        serve_json(state, operation, None, headers, query, Some(peer), body).await
    }

    /// `POST /v1/messages/count_tokens`: Anthropic's token count, estimated
    /// at four characters per token.
    pub async fn count_tokens(
        State(state): State<AppState>,
        Query(query): Query<KeyQuery>,
        headers: HeaderMap,
        body: Body,
    ) -> Response {
        let reject = |error: ApiError| error.for_anthropic().into_response();
        if let Err(error) = auth::authenticate(&state, &headers, query.key.as_deref()).await {
            return reject(error);
        }
        let body = match read_json(body, state.settings().max_request_bytes).await {
            Ok(body) => body,
            Err(error) => return reject(error),
        };
        let chat = match crate::translate::anthropic::messages_to_chat_request(&body) {
            Ok(chat) => chat,
            Err(err) => return reject(ApiError::bad_request(err.to_string())),
        };
        let system = chat["system"].as_str().map_or(0, str::len);
        let tokens = (prompt_chars(&chat) + system).div_ceil(4).max(1);
        axum::Json(json!({"input_tokens": tokens})).into_response()
    }

    /// `POST /openai/deployments/{model}/...` and `/engines/{model}/...`.
    pub async fn deployment(
        operation: Operation,
        State(state): State<AppState>,
        ConnectInfo(peer): ConnectInfo<SocketAddr>,
        Path(model): Path<String>,
        Query(query): Query<KeyQuery>,
        headers: HeaderMap,
        body: Body,
    ) -> Response {
        serve_json(
            state,
            operation,
            Some(model),
            headers,
            query,
            Some(peer),
            body,
        )
        .await
    }
}
