//! What to reserve against budgets before a call: the prompt (estimated at
//! four characters a token) plus the output the request allows, priced at
//! the dearest deployment that may serve it.

use serde_json::Value;

use crate::routing::Deployment;
use crate::translate::Usage;

/// Output tokens reserved for a request that does not cap its output.
pub const DEFAULT_OUTPUT_TOKENS: u64 = 256;

/// The output cap a request sets, in any of the APIs' spellings.
pub fn output_cap(body: &Value) -> Option<u64> {
    ["max_tokens", "max_completion_tokens", "max_output_tokens"]
        .iter()
        .find_map(|name| body.get(*name).and_then(Value::as_u64))
}

/// The reservation in dollars; `None` when no candidate charges anything,
/// which exempts the call from budgets (LiteLLM skips budget checks for
/// models whose cost is zero).
pub fn reservation(
    candidates: &[&Deployment],
    requested: &str,
    prompt_tokens: u64,
    output_tokens: u64,
) -> Option<f64> {
    let expected = Usage {
        prompt_tokens,
        completion_tokens: output_tokens,
        ..Usage::default()
    };
    let unit = Usage {
        prompt_tokens: 1,
        completion_tokens: 1,
        ..Usage::default()
    };
    let mut priced = false;
    let mut dearest: f64 = 0.0;
    for deployment in candidates {
        let upstream = deployment.upstream_for(requested);
        priced |= deployment.cost_of(&upstream, &unit, 0.0) > 0.0;
        dearest = dearest.max(deployment.cost_of(&upstream, &expected, 0.0));
    }
    priced.then_some(dearest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_cap_is_read_in_every_spelling() {
        assert_eq!(output_cap(&json!({"max_tokens": 12})), Some(12));
        assert_eq!(output_cap(&json!({"max_completion_tokens": 7})), Some(7));
        assert_eq!(output_cap(&json!({"max_output_tokens": 3})), Some(3));
        assert_eq!(output_cap(&json!({})), None);
    }
}
