//! "Test connection": one minimal real call to a deployment through the
//! same provider code the proxy uses (a one-token chat completion, or a
//! one-word embedding for embedding models), with a short timeout. The
//! answer says whether the provider accepted it, or the provider's error
//! with the deployment's key scrubbed out. Nothing is stored or billed to
//! the account's keys.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::AppState;
use crate::management::Actor;
use crate::management::rows;
use crate::providers::Operation;
use crate::proxy::ApiError;
use crate::routing::Deployment;
use crate::upstream::{UpstreamError, UpstreamRequest};

/// How long the provider gets to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// What a connection test found.
#[derive(Debug, Clone)]
pub struct Probe {
    /// True when the provider answered the call successfully.
    pub ok: bool,
    /// `"Connected"` or the provider's error, without the deployment's key.
    pub message: String,
    /// How long the call took.
    pub elapsed: Duration,
}

/// Calls the account's deployment `id` once. A deployment of another
/// account (or of the platform) is missing.
pub(crate) async fn test_connection(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> Result<Probe, ApiError> {
    actor.require_writer("/model/test_connection")?;
    let models = state
        .models()
        .get(state.db(), actor.account)
        .await
        .map_err(ApiError::internal)?;
    let deployment = models
        .deployments
        .iter()
        .find(|deployment| deployment.id == id && !deployment.platform)
        .ok_or_else(|| rows::not_found("Model", id))?;
    let started = Instant::now();
    let outcome = call(state, deployment).await;
    let elapsed = started.elapsed();
    Ok(match outcome {
        Ok(()) => Probe {
            ok: true,
            message: "Connected".to_owned(),
            elapsed,
        },
        Err(err) => Probe {
            ok: false,
            message: scrub(state, deployment, &err.client_message()),
            elapsed,
        },
    })
}

async fn call(state: &AppState, deployment: &Deployment) -> Result<(), UpstreamError> {
    let model = deployment.upstream_model.clone();
    if model.contains('*') {
        return Err(UpstreamError::Config(
            "a wildcard deployment names no single model to call".to_owned(),
        ));
    }
    let embedding = deployment.model_info.get("mode").and_then(Value::as_str) == Some("embedding");
    let (operation, body) = if embedding {
        (
            Operation::Embedding,
            json!({"model": model, "input": ["ping"]}),
        )
    } else {
        (
            Operation::Chat,
            json!({"model": model, "messages": [{"role": "user", "content": "ping"}], "max_tokens": 1}),
        )
    };
    let request = UpstreamRequest {
        deployment,
        operation,
        model,
        body,
        stream: false,
        timeout: TIMEOUT,
        attachment: None,
    };
    match tokio::time::timeout(TIMEOUT, state.upstream().send(request)).await {
        Ok(reply) => reply.map(|_| ()),
        Err(_) => Err(UpstreamError::Timeout),
    }
}

/// `message` with the deployment's key (if a provider echoed it) replaced.
fn scrub(state: &AppState, deployment: &Deployment, message: &str) -> String {
    let key = deployment
        .api_key
        .as_deref()
        .and_then(|stored| state.upstream().vault().reveal(stored).ok())
        .filter(|key| key.len() >= 4);
    match key {
        Some(key) => message.replace(&key, "[key]"),
        None => message.to_owned(),
    }
}
