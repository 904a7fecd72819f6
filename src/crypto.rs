//! Provider credentials at rest: AES-256-GCM under a key derived from
//! `ALCHEMI_SALT_KEY` (or `LITELLM_SALT_KEY`). Stored values look like
//! `enc:v1:<base64(nonce || ciphertext)>`; anything else is a plain value (as
//! LiteLLM allows), and `os.environ/NAME` reads the variable when used.

use aes_gcm::aead::{Aead, KeyInit, OsRng};
use aes_gcm::{AeadCore, Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// How sealed values start.
pub const PREFIX: &str = "enc:v1:";

/// Why a stored secret could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("a credential is encrypted but no ALCHEMI_SALT_KEY is configured")]
    NoKey,
    #[error("a credential cannot be decrypted with the configured ALCHEMI_SALT_KEY")]
    Undecryptable,
    #[error("environment variable {0} named by a credential is not set")]
    MissingEnv(String),
}

/// Names that always hold a secret.
const SECRET_NAMES: [&str; 10] = [
    "api_key",
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_bearer_token",
    "vertex_credentials",
    "azure_ad_token",
    "client_secret",
    "password",
    "authorization",
];

/// Name endings that mark a secret (`lakera_api_key`, `hf_token`...).
const SECRET_SUFFIXES: [&str; 5] = ["_api_key", "_secret", "_secret_key", "_token", "_password"];

/// True when a provider parameter of this name holds a secret.
pub fn is_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_NAMES.contains(&name.as_str()) || SECRET_SUFFIXES.iter().any(|end| name.ends_with(end))
}

/// Encrypts and decrypts credential values.
#[derive(Clone)]
pub struct Vault {
    cipher: Option<Aes256Gcm>,
}

impl Vault {
    /// A vault keyed by the salt key; without one, only plain values work.
    pub fn new(salt_key: Option<&str>) -> Self {
        let cipher = salt_key.map(|key| {
            let digest = Sha256::digest(key.as_bytes());
            Aes256Gcm::new(&digest)
        });
        Self { cipher }
    }

    /// True when values can be encrypted.
    pub fn can_encrypt(&self) -> bool {
        self.cipher.is_some()
    }

    /// The stored form of `plain`.
    pub fn encrypt(&self, plain: &str) -> Result<String, CryptoError> {
        let cipher = self.cipher.as_ref().ok_or(CryptoError::NoKey)?;
        let bytes = seal(cipher, plain.as_bytes()).ok_or(CryptoError::Undecryptable)?;
        Ok(format!("{PREFIX}{}", STANDARD.encode(bytes)))
    }

    /// Encrypts the secrets of `params` (`litellm_params`, credential
    /// values) in place; `os.environ/NAME` references and values already
    /// sealed are kept. A failure names the field.
    pub fn seal_secrets(
        &self,
        params: &mut serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), (String, CryptoError)> {
        for (name, value) in params.iter_mut() {
            if !is_secret(name) || value.is_null() {
                continue;
            }
            let text = match &*value {
                serde_json::Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            if text.is_empty() || text.starts_with("os.environ/") || text.starts_with(PREFIX) {
                *value = serde_json::Value::String(text);
                continue;
            }
            let sealed = self.encrypt(&text).map_err(|err| (name.clone(), err))?;
            *value = serde_json::Value::String(sealed);
        }
        Ok(())
    }

    /// The usable value of a stored credential.
    pub fn reveal(&self, stored: &str) -> Result<String, CryptoError> {
        if let Some(name) = stored.strip_prefix("os.environ/") {
            return std::env::var(name).map_err(|_| CryptoError::MissingEnv(name.to_owned()));
        }
        let Some(encoded) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_owned());
        };
        let cipher = self.cipher.as_ref().ok_or(CryptoError::NoKey)?;
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|_| CryptoError::Undecryptable)?;
        let plain = open(cipher, &bytes).ok_or(CryptoError::Undecryptable)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Undecryptable)
    }
}

/// Length of an AES-GCM nonce.
const NONCE_LEN: usize = 12;

/// `plain` encrypted and authenticated under `cipher`, as a fresh random
/// nonce followed by the ciphertext: the one framing every sealed value
/// (stored credentials, browser-carried state) uses.
pub fn seal(cipher: &Aes256Gcm, plain: &[u8]) -> Option<Vec<u8>> {
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let mut sealed = nonce.to_vec();
    sealed.extend(cipher.encrypt(&nonce, plain).ok()?);
    Some(sealed)
}

/// The plain bytes of what [`seal`] made under the same key; `None` for
/// anything altered, truncated or sealed under another key.
pub fn open(cipher: &Aes256Gcm, sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < NONCE_LEN {
        return None;
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    cipher.decrypt(Nonce::from_slice(nonce), body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_the_wrong_key() {
        let vault = Vault::new(Some("salt-1"));
        let stored = vault.encrypt("sk-provider-secret").unwrap();
        assert!(stored.starts_with("enc:v1:"));
        assert!(!stored.contains("provider"));
        assert_eq!(vault.reveal(&stored).unwrap(), "sk-provider-secret");
        assert_eq!(
            Vault::new(Some("salt-2")).reveal(&stored),
            Err(CryptoError::Undecryptable)
        );
        assert_eq!(Vault::new(None).reveal(&stored), Err(CryptoError::NoKey));
    }

    #[test]
    fn plain_values_and_environment_references_pass_through() {
        let vault = Vault::new(None);
        assert_eq!(vault.reveal("plain").unwrap(), "plain");
        assert_eq!(
            vault.reveal("os.environ/ALCHEMI_TEST_SURELY_UNSET"),
            Err(CryptoError::MissingEnv("ALCHEMI_TEST_SURELY_UNSET".into()))
        );
    }
}
