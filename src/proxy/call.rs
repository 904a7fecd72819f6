//! Routing one request: pick a deployment of the requested group, call it,
//! retry what may succeed on another try, cool down failing deployments, and
//! fall back to other groups when the configuration (or the client) says so.

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use serde_json::Value;

use super::{ApiError, Caller, access};
use crate::AppState;
use crate::db::AccountId;
use crate::governance::take_deployment;
use crate::providers::Operation;
use crate::routing::settings::FallbackKind;
use crate::routing::{AccountModels, Deployment};
use crate::upstream::{Attachment, UpstreamError, UpstreamReply, UpstreamRequest};

/// Default per-request timeout (LiteLLM's test configuration uses 600 s).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// A parsed LLM request.
#[derive(Debug, Clone)]
pub struct LlmRequest {
    pub operation: Operation,
    /// The model the client asked for (responses are re-stamped with it).
    pub model: String,
    /// The model group to route to: `model`, or its target when `model` is
    /// one of the key's aliases.
    pub route_model: String,
    /// The body in OpenAI's format.
    pub body: Value,
    pub stream: bool,
    /// The client asked for a usage chunk at the end of its stream.
    pub include_usage: bool,
    pub timeout: Option<Duration>,
    pub num_retries: Option<u32>,
    /// Fallback groups named in the request body.
    pub client_fallbacks: Vec<String>,
    /// The uploaded file of a multipart operation (audio transcription).
    pub attachment: Option<Attachment>,
}

/// A successful call and how it was reached.
pub struct Routed {
    pub deployment: Deployment,
    /// The group that served (differs from the requested one after a fallback).
    pub group: String,
    /// The model the provider was asked for.
    pub upstream_model: String,
    pub reply: UpstreamReply,
    pub attempts: Attempts,
}

/// Retry and fallback bookkeeping, reported in `x-litellm-*` headers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Attempts {
    pub retries: u32,
    pub max_retries: u32,
    pub fallbacks: u32,
    pub max_fallbacks: usize,
    pub timeout: Duration,
}

/// A failed call, with the last deployment tried (for the spend log).
pub struct Failed {
    pub error: ApiError,
    pub deployment: Option<Deployment>,
    pub attempts: Attempts,
}

impl Failed {
    fn new(error: ApiError, attempts: Attempts) -> Self {
        Self {
            error,
            deployment: None,
            attempts,
        }
    }
}

/// The client-facing error of an upstream failure; upstream statuses are kept.
pub fn upstream_error(err: &UpstreamError) -> ApiError {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_GATEWAY);
    ApiError::new(status, &err.client_kind(), err.client_message())
}

/// Routes `request` within the caller's account.
pub async fn route(
    state: &AppState,
    caller: &Caller,
    models: &AccountModels,
    request: &LlmRequest,
) -> Result<Routed, Failed> {
    let settings = &models.settings;
    let mut attempts = Attempts {
        max_retries: request.num_retries.unwrap_or(settings.num_retries),
        max_fallbacks: settings.max_fallbacks,
        timeout: request
            .timeout
            .or(settings.timeout.map(Duration::from_secs_f64))
            .unwrap_or(DEFAULT_TIMEOUT),
        ..Attempts::default()
    };
    let mut groups = vec![request.route_model.clone()];
    let mut last_failure: Option<Failed> = None;
    let mut index = 0;
    while index < groups.len() {
        let group = groups[index].clone();
        if index > 0 {
            attempts.fallbacks += 1;
            if let Err(error) = access::check_model(caller, &group, models) {
                return Err(Failed::new(error, attempts));
            }
        }
        let candidates = models.candidates(&group);
        if candidates.is_empty() {
            if index == 0 {
                return Err(Failed::new(
                    unknown_model(request.operation, &group),
                    attempts,
                ));
            }
            index += 1;
            continue;
        }
        let group_call = GroupCall {
            account: caller.account,
            request,
            models,
            group: &group,
            candidates: &candidates,
        };
        match try_group(state, &group_call, &mut attempts).await {
            Ok(routed) => return Ok(routed),
            Err((error, deployment)) => {
                let kind = if error.is_context_window() {
                    Some(FallbackKind::ContextWindow)
                } else if error.is_content_policy() {
                    Some(FallbackKind::ContentPolicy)
                } else if error.retryable() || matches!(error.status(), 401 | 403 | 404) {
                    Some(FallbackKind::General)
                } else {
                    None
                };
                if index == 0
                    && let Some(kind) = kind
                {
                    let mut extra = settings.fallbacks_for(&group, kind);
                    if kind == FallbackKind::General {
                        extra.extend(request.client_fallbacks.iter().cloned());
                    }
                    extra.truncate(settings.max_fallbacks);
                    groups.extend(extra);
                }
                last_failure = Some(Failed {
                    error: upstream_error(&error),
                    deployment: Some(deployment),
                    attempts,
                });
                if kind.is_none() {
                    break;
                }
            }
        }
        index += 1;
    }
    Err(last_failure.map_or_else(
        || {
            Failed::new(
                unknown_model(request.operation, &request.route_model),
                attempts,
            )
        },
        |mut failed| {
            failed.attempts = attempts;
            failed
        },
    ))
}

/// One model group to try, for one request.
struct GroupCall<'a> {
    account: AccountId,
    request: &'a LlmRequest,
    models: &'a AccountModels,
    group: &'a str,
    candidates: &'a [&'a Deployment],
}

async fn try_group(
    state: &AppState,
    call: &GroupCall<'_>,
    attempts: &mut Attempts,
) -> Result<Routed, (UpstreamError, Deployment)> {
    let GroupCall {
        account,
        request,
        models,
        group,
        candidates,
    } = *call;
    let settings = &models.settings;
    let health = state.health();
    let mut last: Option<(UpstreamError, Deployment)> = None;
    let mut tried: Vec<&str> = Vec::new();
    let default_timeout = attempts.timeout;
    for attempt in 0..=attempts.max_retries {
        let mut available: Vec<&Deployment> = candidates
            .iter()
            .copied()
            .filter(|d| !health.is_cooling(&d.id))
            .collect();
        // A retry goes to a deployment this request has not failed on, while there is one.
        if available.iter().any(|d| !tried.contains(&d.id.as_str())) {
            available.retain(|d| !tried.contains(&d.id.as_str()));
        }
        let picked = loop {
            let Some(deployment) = health.pick(settings.routing_strategy, &available) else {
                break None;
            };
            if take_deployment(state.counters(), account, deployment).await {
                break Some(deployment);
            }
            available.retain(|d| d.id != deployment.id);
        };
        let Some(deployment) = picked else {
            let error = UpstreamError::Status {
                status: 429,
                message: format!(
                    "No deployments available for selected model, Try again in {} seconds. Passed model={group}.",
                    settings.cooldown_time
                ),
                kind: None,
            };
            let fallback = candidates
                .first()
                .map(|d| (*d).clone())
                .unwrap_or_else(|| placeholder(group));
            return Err(last.unwrap_or((error, fallback)));
        };
        if attempt > 0 {
            attempts.retries += 1;
            let backoff = Duration::from_millis(50u64 << attempt.min(5))
                .max(Duration::from_secs_f64(settings.retry_after.max(0.0)));
            tokio::time::sleep(backoff).await;
        }
        let upstream_model = deployment.upstream_for(&request.route_model);
        let mut body = request.body.clone();
        body["model"] = Value::String(upstream_model.clone());
        if let Some(object) = body.as_object_mut() {
            for field in [
                "fallbacks",
                "num_retries",
                "mock_response",
                "metadata",
                "litellm_metadata",
                "litellm_session_id",
                "litellm_trace_id",
                "timeout",
            ] {
                object.remove(field);
            }
        }
        let timeout = deployment_timeout(deployment, request, default_timeout);
        // The header reports the timeout in force for the deployment tried.
        attempts.timeout = timeout;
        health.started(&deployment.id);
        let started = std::time::Instant::now();
        let result = state
            .upstream()
            .send(UpstreamRequest {
                deployment,
                operation: request.operation,
                model: upstream_model.clone(),
                body,
                stream: request.stream,
                timeout,
                attachment: request.attachment.clone(),
            })
            .await;
        match result {
            Ok(reply) => {
                if !request.stream {
                    health.succeeded(&deployment.id, started.elapsed(), 0);
                }
                return Ok(Routed {
                    deployment: deployment.clone(),
                    group: group.to_owned(),
                    upstream_model,
                    reply,
                    attempts: *attempts,
                });
            }
            Err(error) => {
                health.failed(
                    &deployment.id,
                    error.failure_kind(),
                    candidates.len(),
                    settings.cooldown(),
                    settings.allowed_fails,
                );
                tried.push(&deployment.id);
                let retry = error.retryable() && !error.is_context_window();
                last = Some((error, deployment.clone()));
                if !retry {
                    break;
                }
            }
        }
    }
    Err(last.unwrap_or_else(|| {
        (
            UpstreamError::Protocol("no attempt was made".into()),
            placeholder(group),
        )
    }))
}

/// The deployment's own timeout (stream timeout for streams) bounds the request's.
fn deployment_timeout(
    deployment: &Deployment,
    request: &LlmRequest,
    default: Duration,
) -> Duration {
    let own = if request.stream {
        deployment.stream_timeout.or(deployment.timeout)
    } else {
        deployment.timeout
    };
    match (request.timeout, own) {
        (Some(requested), _) => requested,
        (None, Some(seconds)) if seconds > 0.0 => Duration::from_secs_f64(seconds),
        _ => default,
    }
}

fn placeholder(group: &str) -> Deployment {
    Deployment {
        id: String::new(),
        model_name: group.to_owned(),
        provider: crate::providers::Provider::named("openai"),
        upstream_model: group.to_owned(),
        api_base: None,
        api_key: None,
        api_version: None,
        weight: None,
        rpm: None,
        tpm: None,
        timeout: None,
        stream_timeout: None,
        max_retries: None,
        params: Arc::default(),
        prices: Default::default(),
        model_info: Arc::default(),
        platform: false,
    }
}

/// LiteLLM's message for a model no deployment serves.
pub fn unknown_model(operation: Operation, model: &str) -> ApiError {
    ApiError::bad_request(format!(
        "{}: Invalid model name passed in model={model}. Call `/v1/models` to view available models for your key.",
        operation.endpoint()
    ))
    .with_param("model")
}
