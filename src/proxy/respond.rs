//! Turning a routed call into the client's response — JSON, bytes or an SSE
//! stream relayed chunk by chunk — with LiteLLM's response headers, and
//! recording the call's spend event (successes and failures alike).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::call::{Attempts, LlmRequest, Routed, upstream_error};
use super::relay::Relay;
use super::{ApiError, Caller};
use crate::AppState;
use crate::governance::{self, Admission};
use crate::providers::Operation;
use crate::routing::Deployment;
use crate::spend::SpendEvent;
use crate::translate::Usage;
use crate::upstream::{ChunkStream, UpstreamReply};

/// Everything about the call that outlives the handler (for streams).
#[derive(Clone)]
pub struct CallContext {
    pub state: AppState,
    /// What the call holds against budgets and limits until it is recorded.
    pub admission: Arc<Admission>,
    pub caller: Caller,
    pub request: LlmRequest,
    pub call_id: String,
    pub started: Instant,
    pub started_at: DateTime<Utc>,
    pub end_user: Option<String>,
    pub tags: Vec<String>,
    /// The client's session (`litellm_session_id`), for the spend log.
    pub session_id: Option<String>,
    pub client_metadata: Value,
    pub requester_ip: Option<String>,
}

/// What a finished call cost and used.
struct Bill {
    usage: Usage,
    cost: f64,
}

impl CallContext {
    fn bill(&self, deployment: &Deployment, upstream_model: &str, usage: Usage) -> Bill {
        let cost = deployment.cost_of(upstream_model, &usage, self.started.elapsed().as_secs_f64());
        Bill { usage, cost }
    }

    /// Queues the spend event of this call.
    fn record(
        &self,
        deployment: Option<&Deployment>,
        group: &str,
        upstream_model: &str,
        request_id: Option<String>,
        bill: &Bill,
        outcome: Outcome<'_>,
    ) {
        let alerts = self.admission.settle(bill.cost, bill.usage.total_tokens());
        if let Some(deployment) = deployment {
            governance::count_deployment_tokens(
                self.state.counters(),
                self.caller.account,
                deployment,
                bill.usage.total_tokens(),
            );
        }
        if !alerts.is_empty() {
            let db = self.state.db().clone();
            tokio::spawn(async move {
                if let Err(err) = governance::record_alerts(&db, alerts).await {
                    tracing::warn!(error = %err, "soft budget alert not stored");
                }
            });
        }
        let key = self.caller.key.as_deref();
        let mut metadata = json!({
            "user_api_key_alias": key.and_then(|k| k.key_alias.clone()),
            "user_api_key_team_alias": key.and_then(|k| k.team.as_ref()).and_then(|t| t.team_alias.clone()),
            "user_api_key_user_id": key.and_then(|k| k.user_id.clone()),
            "call_id": self.call_id,
            "status": if outcome.is_success() { "success" } else { "failure" },
        });
        if let Outcome::Failure(error) = outcome {
            metadata["error_information"] = json!({
                "error_code": error.status.as_u16().to_string(),
                "error_class": error.kind,
                "error_message": error.message,
            });
        }
        if let Value::Object(client) = &self.client_metadata {
            metadata["requester_metadata"] = Value::Object(client.clone());
        }
        let completion_start = match outcome {
            Outcome::Success { first_token } => first_token,
            Outcome::Failure(_) => None,
        };
        self.state.spend().record(SpendEvent {
            request_id: request_id.unwrap_or_else(|| self.call_id.clone()),
            call_id: self.call_id.clone(),
            account_id: self.caller.account.uuid(),
            call_type: self.request.operation.call_type().to_owned(),
            api_key: self.caller.api_key_hash(),
            user_id: key.and_then(|k| k.user_id.clone()),
            team_id: key.and_then(|k| k.team_id.clone()),
            organization_id: key.and_then(|k| k.organization_id.clone()),
            end_user: self.end_user.clone(),
            model: upstream_model.to_owned(),
            model_group: group.to_owned(),
            model_id: deployment.map(|d| d.id.clone()).unwrap_or_default(),
            custom_llm_provider: deployment
                .map(|d| d.provider.name.clone())
                .unwrap_or_default(),
            api_base: deployment
                .and_then(|d| d.api_base.clone())
                .unwrap_or_default(),
            endpoint: self.request.operation.endpoint().to_owned(),
            usage: bill.usage,
            spend: bill.cost,
            start_time: self.started_at,
            end_time: Utc::now(),
            completion_start_time: completion_start,
            success: outcome.is_success(),
            metadata,
            request_tags: self.tags.clone(),
            requester_ip_address: self.requester_ip.clone(),
            session_id: self.session_id.clone(),
        });
    }

    /// LiteLLM's response headers for this call.
    fn headers(
        &self,
        deployment: Option<&Deployment>,
        group: &str,
        attempts: &Attempts,
        cost: Option<f64>,
    ) -> HeaderMap {
        // Room for every header below without regrowing the map.
        let mut headers = HeaderMap::with_capacity(32);
        let mut put = |name: &'static str, value: String| {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        };
        put("x-litellm-call-id", self.call_id.clone());
        put("x-litellm-model-group", group.to_owned());
        put("x-litellm-version", env!("CARGO_PKG_VERSION").to_owned());
        if let Some(deployment) = deployment {
            put("x-litellm-model-id", deployment.id.clone());
            if let Some(base) = &deployment.api_base {
                put(
                    "x-litellm-model-api-base",
                    base.split('?').next().unwrap_or(base).to_owned(),
                );
            }
        }
        if let Some(cost) = cost {
            put("x-litellm-response-cost", cost.to_string());
        }
        if let Some(key) = &self.caller.key {
            put(
                "x-litellm-key-spend",
                (key.spend + cost.unwrap_or(0.0)).to_string(),
            );
            if let Some(max) = key.limits.max_budget {
                put("x-litellm-key-max-budget", max.to_string());
            }
            if let Some(tpm) = key.limits.tpm_limit {
                put("x-litellm-key-tpm-limit", tpm.to_string());
            }
            if let Some(rpm) = key.limits.rpm_limit {
                put("x-litellm-key-rpm-limit", rpm.to_string());
            }
        }
        let elapsed = self.started.elapsed().as_secs_f64() * 1000.0;
        put("x-litellm-response-duration-ms", format!("{elapsed:.3}"));
        put("x-litellm-attempted-retries", attempts.retries.to_string());
        put("x-litellm-max-retries", attempts.max_retries.to_string());
        put(
            "x-litellm-attempted-fallbacks",
            attempts.fallbacks.to_string(),
        );
        put(
            "x-litellm-max-fallbacks",
            attempts.max_fallbacks.to_string(),
        );
        put(
            "x-litellm-timeout",
            attempts.timeout.as_secs_f64().to_string(),
        );
        for (name, value) in &self.admission.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                headers.insert(name, value);
            }
        }
        headers
    }

    /// The client's error, recorded as a failed call.
    pub fn fail(
        &self,
        error: ApiError,
        deployment: Option<&Deployment>,
        attempts: &Attempts,
    ) -> Response {
        let error = in_client_format(self.request.operation, error);
        let group = self.request.model.clone();
        let upstream_model = deployment
            .map(|d| d.upstream_for(&group))
            .unwrap_or_else(|| group.clone());
        self.record(
            deployment,
            &group,
            &upstream_model,
            None,
            &Bill {
                usage: Usage::default(),
                cost: 0.0,
            },
            Outcome::Failure(&error),
        );
        let headers = self.headers(deployment, &group, attempts, None);
        let mut response = error.into_response();
        response.headers_mut().extend(headers);
        response
    }

    /// The response for a `mock_response` request: recorded at zero cost,
    /// streamed as chunks when the client asked for a stream.
    pub fn mocked(self, body: Value, usage: Usage) -> Response {
        let group = self.request.model.clone();
        let bill = Bill { usage, cost: 0.0 };
        let request_id = body["id"].as_str().map(str::to_owned);
        self.record(
            None,
            &group,
            &group,
            request_id,
            &bill,
            Outcome::Success {
                first_token: Some(Utc::now()),
            },
        );
        let headers = self.headers(None, &group, &Attempts::default(), Some(0.0));
        if !self.request.stream {
            return match render(&self.request, body) {
                Ok(rendered) => (StatusCode::OK, headers, axum::Json(rendered)).into_response(),
                Err(error) => error.into_response(),
            };
        }
        let base = json!({"id": body["id"], "object": "chat.completion.chunk", "created": body["created"], "model": group});
        let content = body["choices"][0]["message"]["content"].clone();
        let mut relay = Relay::new(&self);
        let mut frames: Vec<Bytes> = Vec::new();
        for (delta, finish) in [
            (json!({"role": "assistant", "content": ""}), Value::Null),
            (json!({"content": content}), Value::Null),
            (json!({}), json!("stop")),
        ] {
            let mut chunk = base.clone();
            chunk["choices"] = json!([{"index": 0, "delta": delta, "finish_reason": finish}]);
            frames.extend(relay.frame(chunk));
        }
        let mut chunk = base;
        chunk["choices"] = json!([]);
        chunk["usage"] = usage.to_openai();
        frames.extend(relay.frame(chunk));
        frames.push(relay.end_frame());
        let mut response = (StatusCode::OK, headers, frames.concat()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        response
    }

    /// The client's response for a routed call.
    pub async fn succeed(self, routed: Routed) -> Response {
        let Routed {
            deployment,
            group,
            upstream_model,
            reply,
            attempts,
        } = routed;
        match reply {
            UpstreamReply::Json(mut body) => {
                let usage = body
                    .get("usage")
                    .map(Usage::from_openai)
                    .unwrap_or_default();
                let bill = self.bill(&deployment, &upstream_model, usage);
                // LiteLLM re-stamps the model the client asked for, except after a fallback.
                if body.get("model").is_some() && attempts.fallbacks == 0 {
                    body["model"] = Value::String(self.request.model.clone());
                }
                let request_id = body.get("id").and_then(Value::as_str).map(str::to_owned);
                self.record(
                    Some(&deployment),
                    &group,
                    &upstream_model,
                    request_id,
                    &bill,
                    Outcome::Success { first_token: None },
                );
                let headers = self.headers(Some(&deployment), &group, &attempts, Some(bill.cost));
                let rendered = match render(&self.request, body) {
                    Ok(rendered) => rendered,
                    Err(error) => return error.into_response(),
                };
                let mut response = (StatusCode::OK, axum::Json(rendered)).into_response();
                response.headers_mut().extend(headers);
                response
            }
            UpstreamReply::Binary {
                content_type,
                bytes,
            } => {
                let bill = self.bill(&deployment, &upstream_model, Usage::default());
                self.record(
                    Some(&deployment),
                    &group,
                    &upstream_model,
                    None,
                    &bill,
                    Outcome::Success { first_token: None },
                );
                let mut headers =
                    self.headers(Some(&deployment), &group, &attempts, Some(bill.cost));
                if let Ok(value) = HeaderValue::from_str(&content_type) {
                    headers.insert(header::CONTENT_TYPE, value);
                }
                (StatusCode::OK, headers, bytes).into_response()
            }
            UpstreamReply::Stream(stream) => {
                self.relay(stream, deployment, group, upstream_model, attempts)
                    .await
            }
        }
    }

    /// Starts relaying a stream: the first chunk is awaited here, so an error
    /// before it becomes a JSON error response; the rest is relayed by a task
    /// that owns the bookkeeping, so a client that goes away still gets its
    /// consumption recorded (and the provider call cancelled).
    async fn relay(
        self,
        mut stream: ChunkStream,
        deployment: Deployment,
        group: String,
        upstream_model: String,
        attempts: Attempts,
    ) -> Response {
        let first = match stream.next().await {
            Some(Ok(chunk)) => Some(chunk),
            Some(Err(err)) => {
                self.state.health().failed(
                    &deployment.id,
                    err.failure_kind(),
                    1,
                    Duration::ZERO,
                    None,
                );
                return self.fail(upstream_error(&err), Some(&deployment), &attempts);
            }
            None => None,
        };
        let first_token = Utc::now();
        let headers = self.headers(Some(&deployment), &group, &attempts, None);
        let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(32);
        tokio::spawn(async move {
            let mut relay = Relay::new(&self);
            let mut pending = first;
            let mut error = None;
            let mut client_gone = false;
            loop {
                let chunk = match pending.take() {
                    Some(chunk) => chunk,
                    None => match stream.next().await {
                        Some(Ok(chunk)) => chunk,
                        Some(Err(err)) => {
                            error = Some(err);
                            break;
                        }
                        None => break,
                    },
                };
                if let Some(bytes) = relay.frame(chunk)
                    && sender.send(Ok(bytes)).await.is_err()
                {
                    client_gone = true;
                    break;
                }
            }
            drop(stream);
            if let Some(err) = &error {
                let _ = sender
                    .send(Ok(relay.error_frame(&upstream_error(err))))
                    .await;
            }
            if !client_gone {
                let _ = sender.send(Ok(relay.end_frame())).await;
            }
            let usage = relay.usage_or_estimate();
            let bill = self.bill(&deployment, &upstream_model, usage);
            let health = self.state.health();
            match &error {
                None => {
                    health.succeeded(&deployment.id, self.started.elapsed(), usage.total_tokens())
                }
                Some(err) => {
                    health.failed(&deployment.id, err.failure_kind(), 1, Duration::ZERO, None)
                }
            }
            let outcome = match &error {
                None => Outcome::Success {
                    first_token: Some(first_token),
                },
                Some(err) => Outcome::Failure(&upstream_error(err)),
            };
            self.record(
                Some(&deployment),
                &group,
                &upstream_model,
                relay.response_id.clone(),
                &bill,
                outcome,
            );
        });
        let body = Body::from_stream(tokio_stream_from(receiver));
        let mut response = Response::new(body);
        *response.status_mut() = StatusCode::OK;
        let response_headers = response.headers_mut();
        response_headers.extend(headers);
        response_headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        response
    }
}

enum Outcome<'a> {
    Success { first_token: Option<DateTime<Utc>> },
    Failure(&'a ApiError),
}

impl Outcome<'_> {
    fn is_success(&self) -> bool {
        matches!(self, Outcome::Success { .. })
    }
}

/// The response body in the client's format: Anthropic Messages for
/// `/v1/messages`, OpenAI's as the provider answered otherwise.
fn render(request: &LlmRequest, body: Value) -> Result<Value, ApiError> {
    if request.operation != Operation::Messages {
        return Ok(body);
    }
    crate::translate::anthropic::chat_to_messages_response(&body, &request.model).map_err(|err| {
        ApiError::internal(format!("cannot render the answer as a message: {err}")).for_anthropic()
    })
}

/// Errors of `/v1/messages` use Anthropic's envelope.
pub fn in_client_format(operation: Operation, error: ApiError) -> ApiError {
    if operation == Operation::Messages {
        error.for_anthropic()
    } else {
        error
    }
}

/// Characters of the prompt, for usage estimates.
pub fn prompt_chars(body: &Value) -> usize {
    let mut total = 0;
    if let Some(messages) = body.get("messages").and_then(Value::as_array) {
        for message in messages {
            match &message["content"] {
                Value::String(text) => total += text.len(),
                Value::Array(parts) => {
                    total += parts
                        .iter()
                        .filter_map(|p| p["text"].as_str())
                        .map(str::len)
                        .sum::<usize>();
                }
                _ => {}
            }
        }
    }
    if let Some(prompt) = body.get("prompt").and_then(Value::as_str) {
        total += prompt.len();
    }
    if let Some(input) = body.get("input") {
        total += match input {
            Value::String(text) => text.len(),
            Value::Array(items) => items.iter().filter_map(Value::as_str).map(str::len).sum(),
            _ => 0,
        };
    }
    total
}

fn tokio_stream_from(
    mut receiver: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    futures::stream::poll_fn(move |cx| receiver.poll_recv(cx))
}
