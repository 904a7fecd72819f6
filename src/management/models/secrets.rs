//! Provider secrets inside `litellm_params`, credential values and guardrail
//! settings: sealed with the vault before they are stored, never shown again
//! (responses drop or mask them, audit rows redact them). `os.environ/NAME`
//! references are stored as they are: the gateway reads the variable when it
//! calls the provider.

use axum::http::StatusCode;
use serde_json::{Map, Value};

use crate::crypto::Vault;
use crate::proxy::ApiError;

pub use crate::crypto::is_secret;

/// Encrypts every secret of `params` in place. `path` names the object in
/// errors (`litellm_params`). Without a salt key a literal secret cannot be
/// stored: that is a 400 naming the field, never a plaintext row.
pub fn seal(vault: &Vault, params: &mut Map<String, Value>, path: &str) -> Result<(), ApiError> {
    vault.seal_secrets(params).map_err(|(name, _)| {
        let field = format!("{path}.{name}");
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            format!(
                "{field}: provider secrets are stored encrypted and no ALCHEMI_SALT_KEY is configured; \
                 configure it or pass os.environ/<NAME>"
            ),
        )
        .with_param(&field)
    })
}

/// `params` without its secrets, for responses.
pub fn strip(params: &Value) -> Value {
    match params {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(name, _)| !is_secret(name))
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `params` with its secrets replaced by `<redacted>`, for audit rows.
pub fn redact(params: &Value) -> Value {
    match params {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(name, value)| {
                    if is_secret(name) && !value.is_null() {
                        (name.clone(), Value::String("<redacted>".to_owned()))
                    } else {
                        (name.clone(), value.clone())
                    }
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `params` with its secrets masked as LiteLLM shows them (`sk****34`): the
/// value is revealed only to keep its first and last two characters.
pub fn mask(vault: &Vault, params: &Value) -> Value {
    match params {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(name, value)| match value {
                    Value::String(stored) if is_secret(name) => {
                        (name.clone(), Value::String(masked(vault, stored)))
                    }
                    Value::Null => (name.clone(), Value::Null),
                    _ if is_secret(name) => (name.clone(), Value::String("****".to_owned())),
                    _ => (name.clone(), value.clone()),
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// One stored secret, masked; an environment reference is masked as text,
/// never read.
fn masked(vault: &Vault, stored: &str) -> String {
    let plain = if stored.starts_with(crate::crypto::PREFIX) {
        vault.reveal(stored).ok()
    } else {
        Some(stored.to_owned())
    };
    let Some(plain) = plain else {
        return "****".to_owned();
    };
    let chars: Vec<char> = plain.chars().collect();
    if chars.len() < 8 {
        return "****".to_owned();
    }
    let head: String = chars[..2].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}****{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_recognised_by_name() {
        for name in [
            "api_key",
            "aws_secret_access_key",
            "lakera_api_key",
            "hf_token",
            "Authorization",
        ] {
            assert!(is_secret(name), "{name}");
        }
        for name in [
            "api_base",
            "model",
            "max_tokens",
            "litellm_credential_name",
            "aws_region_name",
        ] {
            assert!(!is_secret(name), "{name}");
        }
    }

    #[test]
    fn literal_secrets_are_sealed_and_references_kept() {
        let vault = Vault::new(Some("salt"));
        let mut params = json!({
            "model": "openai/gpt-4o",
            "api_key": "sk-provider-secret",
            "aws_secret_access_key": "os.environ/AWS_SECRET",
            "vertex_credentials": {"type": "service_account"},
        });
        let map = params.as_object_mut().unwrap();
        seal(&vault, map, "litellm_params").unwrap();
        let sealed = map["api_key"].as_str().unwrap();
        assert!(sealed.starts_with("enc:v1:"));
        assert_eq!(vault.reveal(sealed).unwrap(), "sk-provider-secret");
        assert_eq!(map["aws_secret_access_key"], "os.environ/AWS_SECRET");
        assert!(
            map["vertex_credentials"]
                .as_str()
                .unwrap()
                .starts_with("enc:v1:")
        );
        assert_eq!(map["model"], "openai/gpt-4o");
        // Sealing twice leaves sealed values alone.
        let again = map["api_key"].clone();
        seal(&vault, map, "litellm_params").unwrap();
        assert_eq!(map["api_key"], again);
    }

    #[test]
    fn without_a_salt_key_literal_secrets_are_refused() {
        let mut params = json!({"api_key": "sk-x", "model": "m"});
        let err = seal(
            &Vault::new(None),
            params.as_object_mut().unwrap(),
            "litellm_params",
        )
        .unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert_eq!(err.param.as_deref(), Some("litellm_params.api_key"));
        let mut params = json!({"api_key": "os.environ/KEY"});
        seal(
            &Vault::new(None),
            params.as_object_mut().unwrap(),
            "litellm_params",
        )
        .unwrap();
    }

    #[test]
    fn responses_drop_mask_or_redact_secrets() {
        let vault = Vault::new(Some("salt"));
        let stored =
            json!({"api_key": vault.encrypt("sk-provider-1234").unwrap(), "api_base": "http://x"});
        assert_eq!(strip(&stored), json!({"api_base": "http://x"}));
        assert_eq!(mask(&vault, &stored)["api_key"], "sk****34");
        assert_eq!(mask(&vault, &stored)["api_base"], "http://x");
        assert_eq!(redact(&stored)["api_key"], "<redacted>");
        assert_eq!(mask(&Vault::new(None), &stored)["api_key"], "****");
    }
}
