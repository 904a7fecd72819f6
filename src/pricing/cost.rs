//! The dollar cost of one call, from its usage, the model's table entry and
//! the deployment's own prices, with LiteLLM's billing rules.

use serde::{Deserialize, Deserializer};

use super::ModelPrice;
use crate::translate::Usage;

/// Prices a deployment sets in its `litellm_params`, for models the table
/// lacks or prices differently (negotiated rates, self-hosted models). Each
/// field set here beats the table's; the others still come from the table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PriceOverride {
    #[serde(deserialize_with = "price")]
    pub input_cost_per_token: Option<f64>,
    #[serde(deserialize_with = "price")]
    pub output_cost_per_token: Option<f64>,
    #[serde(deserialize_with = "price")]
    pub input_cost_per_second: Option<f64>,
    #[serde(deserialize_with = "price")]
    pub output_cost_per_second: Option<f64>,
}

/// A price as LiteLLM accepts it in `litellm_params`: a number, a numeric
/// string (as forms and YAML may store it) or null.
fn price<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(f64),
        Text(String),
    }
    match Option::<Raw>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Raw::Number(value)) => Ok(Some(value)),
        Some(Raw::Text(text)) if text.trim().is_empty() => Ok(None),
        Some(Raw::Text(text)) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("`{text}` is not a price"))),
    }
}

/// How one side (prompt or completion) of a call is billed.
#[derive(Clone, Copy)]
enum Rate {
    PerToken(f64),
    PerSecond(f64),
    Unpriced,
}

impl Rate {
    /// The deployment's prices before the table's; per token before per
    /// second from the same source, as LiteLLM only bills time for models
    /// with no token price.
    fn pick(
        override_token: Option<f64>,
        override_second: Option<f64>,
        table_token: Option<f64>,
        table_second: Option<f64>,
    ) -> Self {
        match (override_token, override_second, table_token, table_second) {
            (Some(price), ..) => Self::PerToken(price),
            (None, Some(price), ..) => Self::PerSecond(price),
            (None, None, Some(price), _) => Self::PerToken(price),
            (None, None, None, Some(price)) => Self::PerSecond(price),
            (None, None, None, None) => Self::Unpriced,
        }
    }

    fn per_token(self) -> Option<f64> {
        match self {
            Self::PerToken(rate) => Some(rate),
            Self::PerSecond(_) | Self::Unpriced => None,
        }
    }
}

/// What a call cost in dollars; never negative, 0 for a model nobody
/// priced. `usage.prompt_tokens` includes the cached tokens, which are
/// billed at their cache prices (the input price when the table has none);
/// reasoning tokens are part of `completion_tokens` and billed at the
/// reasoning price when the table sets one. Per-second prices bill
/// `duration_seconds` for a side that has no token price.
pub fn cost(
    price: Option<&ModelPrice>,
    overrides: &PriceOverride,
    usage: &Usage,
    duration_seconds: f64,
) -> f64 {
    let table = |field: fn(&ModelPrice) -> Option<f64>| price.and_then(field);
    let seconds = if duration_seconds.is_finite() {
        duration_seconds.max(0.0)
    } else {
        0.0
    };

    let input = Rate::pick(
        overrides.input_cost_per_token,
        overrides.input_cost_per_second,
        table(|p| p.input_cost_per_token),
        table(|p| p.input_cost_per_second),
    );
    let prompt_cost = match input {
        Rate::PerSecond(rate) => rate * seconds,
        Rate::PerToken(_) | Rate::Unpriced => {
            let per_token = input.per_token();
            let cached = usage.cache_read_input_tokens;
            let created = usage.cache_creation_input_tokens;
            let plain = usage
                .prompt_tokens
                .saturating_sub(cached)
                .saturating_sub(created);
            tokens(plain, per_token)
                + tokens(
                    cached,
                    table(|p| p.cache_read_input_token_cost).or(per_token),
                )
                + tokens(
                    created,
                    table(|p| p.cache_creation_input_token_cost).or(per_token),
                )
        }
    };

    let output = Rate::pick(
        overrides.output_cost_per_token,
        overrides.output_cost_per_second,
        table(|p| p.output_cost_per_token),
        table(|p| p.output_cost_per_second),
    );
    let completion_cost = match output {
        Rate::PerSecond(rate) => rate * seconds,
        Rate::PerToken(_) | Rate::Unpriced => {
            let per_token = output.per_token();
            match table(|p| p.output_cost_per_reasoning_token) {
                Some(reasoning_price) => {
                    let reasoning = usage.reasoning_tokens.min(usage.completion_tokens);
                    tokens(reasoning, Some(reasoning_price))
                        + tokens(usage.completion_tokens - reasoning, per_token)
                }
                None => tokens(usage.completion_tokens, per_token),
            }
        }
    };

    let total = prompt_cost + completion_cost;
    if total.is_finite() && total > 0.0 {
        total
    } else {
        0.0
    }
}

fn tokens(count: u64, price: Option<f64>) -> f64 {
    match price {
        Some(price) if count > 0 => count as f64 * price,
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::PriceTable;

    fn close(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() < 1e-10,
            "cost {actual}, expected {expected}"
        );
    }

    fn usage(prompt_tokens: u64, completion_tokens: u64) -> Usage {
        Usage {
            prompt_tokens,
            completion_tokens,
            ..Usage::default()
        }
    }

    fn builtin(model: &str) -> Option<&'static ModelPrice> {
        PriceTable::builtin().lookup(model, None)
    }

    #[test]
    fn legacy_gpt_3_5_turbo_0301() {
        let price = builtin("gpt-3.5-turbo-0301");
        assert!(price.is_some());
        let cost = cost(price, &PriceOverride::default(), &usage(9, 12), 0.0);
        close(cost, 3.75e-5);
    }

    #[test]
    fn gpt_4o_at_table_prices() {
        let price = builtin("gpt-4o");
        // 1,000 × 2.5e-6 + 500 × 1e-5
        close(
            cost(price, &PriceOverride::default(), &usage(1000, 500), 1.0),
            0.0075,
        );
    }

    #[test]
    fn claude_3_5_sonnet_at_table_prices() {
        let price = PriceTable::builtin().lookup("anthropic/claude-3-5-sonnet-20241022", None);
        // 1,000 × 3e-6 + 500 × 1.5e-5
        close(
            cost(price, &PriceOverride::default(), &usage(1000, 500), 0.0),
            0.0105,
        );
    }

    #[test]
    fn cached_prompt_tokens_at_cache_prices() {
        let price = builtin("claude-3-5-sonnet-20241022");
        let usage = Usage {
            prompt_tokens: 3000,
            completion_tokens: 100,
            cache_read_input_tokens: 1000,
            cache_creation_input_tokens: 1000,
            reasoning_tokens: 0,
        };
        // 1,000 × 3e-6 + 1,000 × 3e-7 + 1,000 × 3.75e-6 + 100 × 1.5e-5
        close(
            cost(price, &PriceOverride::default(), &usage, 0.0),
            0.003 + 0.0003 + 0.00375 + 0.0015,
        );
        // gpt-4o has a cache-read price: 200 × 2.5e-6 + 800 × 1.25e-6
        let gpt = Usage {
            prompt_tokens: 1000,
            cache_read_input_tokens: 800,
            ..Usage::default()
        };
        close(
            cost(builtin("gpt-4o"), &PriceOverride::default(), &gpt, 0.0),
            0.0005 + 0.001,
        );
    }

    #[test]
    fn cache_prices_fall_back_to_the_input_price() {
        let table = PriceTable::from_json(
            r#"{"m": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6}}"#,
        )
        .unwrap();
        let usage = Usage {
            prompt_tokens: 100,
            cache_read_input_tokens: 40,
            cache_creation_input_tokens: 10,
            ..Usage::default()
        };
        close(
            cost(
                table.lookup("m", None),
                &PriceOverride::default(),
                &usage,
                0.0,
            ),
            100.0 * 1e-6,
        );
    }

    #[test]
    fn reasoning_tokens_at_the_reasoning_price() {
        let table = PriceTable::from_json(
            r#"{
                "thinker": {"input_cost_per_token": 1e-6, "output_cost_per_token": 4e-6,
                            "output_cost_per_reasoning_token": 1e-5},
                "plain": {"input_cost_per_token": 1e-6, "output_cost_per_token": 4e-6}
            }"#,
        )
        .unwrap();
        let usage = Usage {
            prompt_tokens: 10,
            completion_tokens: 100,
            reasoning_tokens: 60,
            ..Usage::default()
        };
        let none = PriceOverride::default();
        // 10 × 1e-6 + 60 × 1e-5 + 40 × 4e-6
        close(
            cost(table.lookup("thinker", None), &none, &usage, 0.0),
            1e-5 + 6e-4 + 1.6e-4,
        );
        // Without a reasoning price they are ordinary output tokens.
        close(
            cost(table.lookup("plain", None), &none, &usage, 0.0),
            1e-5 + 4e-4,
        );
    }

    #[test]
    fn an_override_beats_the_table_field_by_field() {
        let price = builtin("gpt-4o");
        let overrides = PriceOverride {
            input_cost_per_token: Some(1e-6),
            ..PriceOverride::default()
        };
        // 1,000 × 1e-6 (override) + 500 × 1e-5 (table)
        close(cost(price, &overrides, &usage(1000, 500), 0.0), 0.006);

        let per_second = PriceOverride {
            input_cost_per_second: Some(0.01),
            output_cost_per_second: Some(0.02),
            ..PriceOverride::default()
        };
        close(cost(price, &per_second, &usage(1000, 500), 2.0), 0.06);
    }

    #[test]
    fn per_second_prices_bill_the_duration() {
        let price = builtin("assemblyai/best");
        let expected = price.and_then(|p| p.input_cost_per_second).unwrap() * 30.0;
        close(
            cost(price, &PriceOverride::default(), &usage(0, 0), 30.0),
            expected,
        );
        close(
            cost(price, &PriceOverride::default(), &usage(0, 0), f64::NAN),
            0.0,
        );
    }

    #[test]
    fn an_unknown_model_costs_nothing_unless_overridden() {
        let price = builtin("no-such-model");
        assert!(price.is_none());
        assert_eq!(
            cost(price, &PriceOverride::default(), &usage(1000, 1000), 5.0),
            0.0
        );
        let overrides = PriceOverride {
            input_cost_per_token: Some(1e-6),
            output_cost_per_token: Some(2e-6),
            ..PriceOverride::default()
        };
        close(cost(price, &overrides, &usage(1000, 1000), 5.0), 0.003);
    }

    #[test]
    fn inconsistent_usage_never_costs_less_than_nothing() {
        let usage = Usage {
            prompt_tokens: 10,
            completion_tokens: 5,
            cache_read_input_tokens: 50,
            cache_creation_input_tokens: 50,
            reasoning_tokens: 500,
        };
        let price = builtin("gpt-4o");
        let cost = cost(price, &PriceOverride::default(), &usage, -3.0);
        // Cached tokens billed as reported, no plain prompt tokens left.
        close(cost, 50.0 * 1.25e-6 + 50.0 * 2.5e-6 + 5.0 * 1e-5);
        let negative = PriceOverride {
            input_cost_per_token: Some(-1.0),
            ..PriceOverride::default()
        };
        assert_eq!(super::cost(None, &negative, &usage, 0.0), 0.0);
    }

    #[test]
    fn overrides_read_from_litellm_params() {
        let params = serde_json::json!({
            "model": "openai/my-model",
            "api_key": "os.environ/KEY",
            "input_cost_per_token": 1.5e-6,
            "output_cost_per_token": "2e-6",
            "input_cost_per_second": null,
        });
        let overrides: PriceOverride = serde_json::from_value(params).unwrap();
        assert_eq!(
            overrides,
            PriceOverride {
                input_cost_per_token: Some(1.5e-6),
                output_cost_per_token: Some(2e-6),
                input_cost_per_second: None,
                output_cost_per_second: None,
            }
        );
        assert!(
            serde_json::from_value::<PriceOverride>(
                serde_json::json!({"input_cost_per_token": "free"})
            )
            .is_err()
        );
        assert_eq!(
            serde_json::from_value::<PriceOverride>(serde_json::json!({})).unwrap(),
            PriceOverride::default()
        );
    }
}
