//! Generating and hashing secrets: keys, passwords, their stored forms.

use rand::Rng;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};

/// A random alphanumeric string of `len` characters from the OS-seeded CSPRNG.
pub fn random_token(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// A new key in LiteLLM's format (`sk-` and 22+ random characters).
pub fn new_api_key() -> String {
    format!("sk-{}", random_token(32))
}

/// How LiteLLM stores a key: the sha256 hex of the whole key, `sk-` included.
pub fn hash_api_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// An argon2id PHC string for a password.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    let salt = SaltString::generate(&mut OsRng);
    Ok(argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Checks a password against an argon2 PHC string; false on any mismatch or
/// malformed hash.
pub fn verify_password(password: &str, phc: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(phc).is_ok_and(|hash| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// Compares two secrets in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_hash_matches_litellm() {
        // sha256("sk-1234") as LiteLLM stores it in `LiteLLM_VerificationToken.token`.
        assert_eq!(
            hash_api_key("sk-1234"),
            "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b"
        );
    }

    #[test]
    fn passwords_round_trip() {
        let phc = hash_password("correct horse").unwrap();
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("wrong", &phc));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn generated_keys_look_like_litellm_keys() {
        let key = new_api_key();
        assert!(key.starts_with("sk-"));
        assert_eq!(key.len(), 35);
        assert_ne!(key, new_api_key());
    }
}
