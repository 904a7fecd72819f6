//! `POST /spend/calculate`: what a call costs, before it is made (from a
//! model and its messages) or after (from a completion response), priced as
//! the gateway prices calls.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::AppState;
use crate::management::Actor;
use crate::management::body::Body;
use crate::pricing::{PriceOverride, PriceTable, cost};
use crate::proxy::ApiError;
use crate::translate::Usage;

/// `{model, messages}` or `{completion_response}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CalculateRequest {
    /// A model group of the account, else a model of the price table.
    model: Option<String>,
    messages: Option<Vec<Value>>,
    /// An OpenAI chat completion with its `usage`.
    completion_response: Option<Value>,
}

/// Prompt tokens of `messages`, estimated at four characters a token as the
/// gateway's budget reservations estimate them.
fn prompt_tokens(messages: &[Value]) -> u64 {
    let chars: usize = messages
        .iter()
        .map(|message| match &message["content"] {
            Value::String(text) => text.len(),
            Value::Array(parts) => parts
                .iter()
                .filter_map(|part| part["text"].as_str())
                .map(str::len)
                .sum(),
            _ => 0,
        })
        .sum();
    u64::try_from(chars.div_ceil(4)).unwrap_or(u64::MAX)
}

/// The cost of a call: `{"cost": dollars}`. A model the account serves is
/// priced with its deployment's own prices; anything else from the table
/// (0 for a model nobody priced).
#[utoipa::path(post, path = "/spend/calculate", tag = "spend", request_body = CalculateRequest,
    responses((status = 200, description = "{\"cost\": float}")))]
pub async fn calculate(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<CalculateRequest>,
) -> Result<Json<Value>, ApiError> {
    if let Some(model) = &body.model {
        let Some(messages) = &body.messages else {
            return Err(ApiError::bad_request(
                "Bad Request - messages must be provided if 'model' is provided",
            )
            .with_param("messages"));
        };
        let usage = Usage {
            prompt_tokens: prompt_tokens(messages),
            ..Usage::default()
        };
        let models = state
            .models()
            .get(state.db(), actor.account)
            .await
            .map_err(ApiError::internal)?;
        let price = match models.candidates(model).first() {
            Some(deployment) => deployment.cost_of(&deployment.upstream_for(model), &usage, 0.0),
            None => cost(
                PriceTable::builtin().lookup(model, None),
                &PriceOverride::default(),
                &usage,
                0.0,
            ),
        };
        return Ok(Json(json!({"cost": price})));
    }
    if let Some(response) = &body.completion_response {
        let model = response["model"].as_str().unwrap_or_default();
        let usage = Usage::from_openai(&response["usage"]);
        let price = cost(
            PriceTable::builtin().lookup(model, None),
            &PriceOverride::default(),
            &usage,
            0.0,
        );
        return Ok(Json(json!({"cost": price})));
    }
    Err(ApiError::bad_request(
        "Bad Request - Either 'model' or 'completion_response' must be provided",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_are_estimated_at_four_characters_a_token() {
        let messages = vec![
            json!({"role": "user", "content": "12345678"}),
            json!({"role": "user", "content": [{"type": "text", "text": "1"}]}),
        ];
        assert_eq!(prompt_tokens(&messages), 3);
        assert_eq!(prompt_tokens(&[]), 0);
    }
}
