//! `AccountId`: a tenant's id, parsed once, never the platform account.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// The id of a tenant account. Only a parsed, non-nil UUID can become one, so
/// the literal rendered into `SET LOCAL app.account_id` is always a
/// hyphenated UUID and can never name the platform account (the nil UUID that
/// owns global rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct AccountId(Uuid);

/// Why a value is not a tenant account id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidAccountId {
    #[error("account id is not a UUID")]
    NotUuid,
    #[error("the platform account cannot be used as a tenant")]
    Platform,
}

impl AccountId {
    /// Wraps a UUID read from the database or a request.
    pub fn new(id: Uuid) -> Result<Self, InvalidAccountId> {
        if id.is_nil() {
            Err(InvalidAccountId::Platform)
        } else {
            Ok(Self(id))
        }
    }

    /// The UUID, for query parameters.
    pub fn uuid(self) -> Uuid {
        self.0
    }
}

impl FromStr for AccountId {
    type Err = InvalidAccountId;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let id = Uuid::parse_str(value.trim()).map_err(|_| InvalidAccountId::NotUuid)?;
        Self::new(id)
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl<'de> serde::Deserialize<'de> for AccountId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = Uuid::deserialize(deserializer)?;
        Self::new(id).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hyphenated_and_simple_forms() {
        let id: AccountId = "6f1c2a4e-8d0b-4a55-9a51-0f2f7d9c1e33".parse().unwrap();
        let simple: AccountId = "6f1c2a4e8d0b4a559a510f2f7d9c1e33".parse().unwrap();
        assert_eq!(id, simple);
        assert_eq!(id.to_string(), "6f1c2a4e-8d0b-4a55-9a51-0f2f7d9c1e33");
    }

    #[test]
    fn rejects_injection_and_the_platform_account() {
        assert_eq!(
            "x'; RESET ROLE; --".parse::<AccountId>(),
            Err(InvalidAccountId::NotUuid)
        );
        assert_eq!(
            "00000000-0000-0000-0000-000000000000".parse::<AccountId>(),
            Err(InvalidAccountId::Platform)
        );
    }
}
