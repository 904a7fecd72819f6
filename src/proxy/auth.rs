//! Who is calling: the key is read from LiteLLM's headers in LiteLLM's
//! order, the master key acts inside the account named by `x-account-id`
//! (or the default account), and a virtual key resolves through the cache.
//! Refusals carry LiteLLM's exact status, type and message.

use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};
use chrono::Utc;

use super::ApiError;
use crate::AppState;
use crate::db::AccountId;
use crate::keys::KeyRecord;
use crate::secret;

/// The authenticated caller of an LLM route.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account: AccountId,
    /// `None` for the master key.
    pub key: Option<Arc<KeyRecord>>,
}

impl Caller {
    /// The key hash for spend logs ('' for the master key).
    pub fn api_key_hash(&self) -> String {
        self.key
            .as_ref()
            .map(|key| key.token.clone())
            .unwrap_or_default()
    }
}

/// Headers a key may arrive in, in the order LiteLLM checks them.
const KEY_HEADERS: [&str; 7] = [
    "x-alchemi-api-key",
    "x-litellm-api-key",
    "authorization",
    "api-key",
    "x-api-key",
    "x-goog-api-key",
    "ocp-apim-subscription-key",
];

/// Reads the presented key; `Err` for an `Authorization` header without a
/// scheme LiteLLM accepts.
pub fn presented_key(
    headers: &HeaderMap,
    query_key: Option<&str>,
) -> Result<Option<String>, ApiError> {
    for name in KEY_HEADERS {
        let Some(value) = headers.get(name).and_then(|value| value.to_str().ok()) else {
            continue;
        };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let key = match name {
            "authorization" => {
                let stripped = ["Bearer ", "bearer ", "Basic ", "basic "]
                    .iter()
                    .find_map(|prefix| value.strip_prefix(prefix));
                match stripped {
                    Some(key) => key.trim(),
                    None => {
                        return Err(ApiError::auth(
                            "Malformed API Key passed in. Ensure Key has `Bearer ` prefix.",
                        ));
                    }
                }
            }
            "x-litellm-api-key" => value.strip_prefix("Bearer ").unwrap_or(value),
            _ => value,
        };
        return Ok(Some(key.to_owned()));
    }
    Ok(query_key.filter(|key| !key.is_empty()).map(str::to_owned))
}

/// `sk-...abcd`: enough to recognise a key in an error without revealing it.
pub fn abbreviate(key: &str) -> String {
    let tail: String = key
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("sk-...{tail}")
}

/// Authenticates an LLM request.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    query_key: Option<&str>,
) -> Result<Caller, ApiError> {
    let Some(key) = presented_key(headers, query_key)? else {
        return Err(ApiError::auth("No api key passed in.").with_param("None"));
    };
    let settings = state.settings();
    if settings.credentials.is_master_key(&key) {
        let account = operator_account(state, headers).await?;
        return Ok(Caller { account, key: None });
    }
    if !key.starts_with("sk-") {
        let head: String = key.chars().take(4).collect();
        let tail: String = key
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return Err(ApiError::auth(format!(
            "LiteLLM Virtual Key expected. Received={head}****{tail}, expected to start with 'sk-'."
        )));
    }
    let hash = secret::hash_api_key(&key);
    let record = state
        .keys()
        .resolve(state.db(), &hash)
        .await
        .map_err(ApiError::internal)?;
    let Some(record) = record else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "token_not_found_in_db",
            format!(
                "Authentication Error, Invalid proxy server token passed. Received API Key = {}, Key Hash (Token) ={hash}. \
                 Unable to find token in cache or `LiteLLM_VerificationTokenTable`",
                abbreviate(&key)
            ),
        ));
    };
    check_key(&record, &key)?;
    Ok(Caller {
        account: record.account_id,
        key: Some(record),
    })
}

/// The account the operator (master key, super-admin session) acts in:
/// `x-account-id`, else the default account. A suspended or unknown account
/// is refused alike, so the answer tells nothing about which it is.
pub async fn operator_account(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<AccountId, ApiError> {
    let account = match headers
        .get("x-account-id")
        .and_then(|value| value.to_str().ok())
    {
        Some(text) => text.parse().map_err(|_| {
            ApiError::bad_request("x-account-id is not a valid account id")
                .with_param("x-account-id")
        })?,
        None => state.settings().default_account,
    };
    let holder = state
        .holders()
        .account(state.db(), account)
        .await
        .map_err(ApiError::internal)?;
    if holder.blocked {
        return Err(
            ApiError::auth("the account in x-account-id is not available.")
                .with_param("x-account-id"),
        );
    }
    Ok(account)
}

/// The refusals that depend on the key and its team alone.
fn check_key(record: &KeyRecord, key: &str) -> Result<(), ApiError> {
    if record.blocked {
        return Err(ApiError::auth(
            "Key is blocked. Update via `/key/unblock` if you're admin.",
        ));
    }
    if let Some(expires) = record.expires {
        let now = Utc::now();
        if expires < now {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "expired_key",
                format!("Authentication Error - Expired Key. Key Expiry time {expires} and current time {now}"),
            )
            .with_param(&abbreviate(key)));
        }
    }
    if let Some(team) = &record.team
        && team.blocked
    {
        return Err(ApiError::auth(format!(
            "Team={} is blocked. Update via `/team/unblock` if your admin.",
            team.team_id
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    }

    #[test]
    fn the_alchemi_header_wins_then_litellm_order() {
        let map = headers(&[
            ("authorization", "Bearer sk-b"),
            ("x-alchemi-api-key", "sk-a"),
        ]);
        assert_eq!(presented_key(&map, None).unwrap().as_deref(), Some("sk-a"));
        let map = headers(&[("api-key", "sk-azure"), ("x-api-key", "sk-anthropic")]);
        assert_eq!(
            presented_key(&map, None).unwrap().as_deref(),
            Some("sk-azure")
        );
        let map = headers(&[("x-litellm-api-key", "Bearer sk-l")]);
        assert_eq!(presented_key(&map, None).unwrap().as_deref(), Some("sk-l"));
        assert_eq!(
            presented_key(&HeaderMap::new(), Some("sk-q"))
                .unwrap()
                .as_deref(),
            Some("sk-q")
        );
    }

    #[test]
    fn authorization_needs_a_scheme() {
        let err = presented_key(&headers(&[("authorization", "sk-raw")]), None).unwrap_err();
        assert_eq!(err.status, StatusCode::UNAUTHORIZED);
        assert!(err.message.contains("Ensure Key has `Bearer ` prefix"));
    }

    #[test]
    fn abbreviations_keep_only_the_tail() {
        assert_eq!(abbreviate("sk-1234567890abcd"), "sk-...abcd");
    }
}
