//! Console sessions: a signed JWT in an HttpOnly, SameSite=Lax `token`
//! cookie (LiteLLM's name), and the counters that throttle failed logins.
//! The signing key is derived from the master key (and the salt key when
//! one is set), so changing the master key ends every session. Only what a
//! request needs to act is in the token: who, which account, which role.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use aes_gcm::Aes256Gcm;
use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use moka::future::Cache;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::crypto;
use crate::db::AccountId;

/// The cookie LiteLLM's console keeps its session in.
pub const COOKIE: &str = "token";

/// How long a session lasts.
pub const LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);

/// The role a super-admin session carries.
pub const SUPER_ADMIN_ROLE: &str = "super_admin";

/// Labels the derived key, so the same secrets never sign anything else.
const KEY_LABEL: &[u8] = b"alchemi console session v1";

/// Labels the key CSRF tokens are signed with.
const CSRF_LABEL: &[u8] = b"alchemi console csrf v1";

/// Labels the key short-lived browser state (the SSO sign-in) is sealed with.
const SEAL_LABEL: &[u8] = b"alchemi console sealed state v1";

/// The token's claims.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Claims {
    sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    account: Option<Uuid>,
    role: String,
    iat: i64,
    exp: i64,
}

/// Who a valid session speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The user id (or the super admin's login name).
    pub subject: String,
    /// `None` for the super admin.
    pub account: Option<AccountId>,
    /// A LiteLLM `user_role`, or [`SUPER_ADMIN_ROLE`].
    pub role: String,
}

impl Session {
    /// True for the super admin's session.
    pub fn is_super_admin(&self) -> bool {
        self.account.is_none() && self.role == SUPER_ADMIN_ROLE
    }
}

/// Issues and checks session tokens, and writes their cookie.
pub struct Sessions {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Signs the console's CSRF tokens; derived apart from the JWT key.
    csrf_key: Vec<u8>,
    /// Seals state the browser carries but must not read or change.
    sealer: Aes256Gcm,
    secure: bool,
}

impl Sessions {
    /// Derives the signing key from the master key's hash and the salt key;
    /// `secure` adds the cookie's `Secure` attribute (an https base URL).
    pub fn new(master_key_hash: &str, salt_key: Option<&str>, secure: bool) -> Self {
        let key = derive_key(master_key_hash, salt_key);
        Self {
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
            csrf_key: mac(&key, CSRF_LABEL).unwrap_or_else(|| key.clone()),
            sealer: <Aes256Gcm as aes_gcm::KeyInit>::new(&Sha256::digest(
                mac(&key, SEAL_LABEL).unwrap_or_else(|| key.clone()),
            )),
            secure,
        }
    }

    /// The CSRF token a form carries for `binding` (the session token, or a
    /// login nonce): an HMAC under the server's key, so it cannot be forged
    /// and dies with the session it is bound to.
    pub fn csrf_token(&self, binding: &str) -> String {
        hex::encode(mac(&self.csrf_key, binding.as_bytes()).unwrap_or_default())
    }

    /// True when `given` is the CSRF token for `binding` (compared in
    /// constant time).
    pub fn csrf_valid(&self, binding: &str, given: &str) -> bool {
        let Ok(given) = hex::decode(given) else {
            return false;
        };
        match Hmac::<Sha256>::new_from_slice(&self.csrf_key) {
            Ok(mut mac) => {
                mac.update(binding.as_bytes());
                mac.verify_slice(&given).is_ok()
            }
            Err(_) => false,
        }
    }

    /// `plain` encrypted and authenticated under the server's key
    /// (AES-256-GCM), as URL-safe text: the browser can carry it but
    /// neither read nor alter it.
    pub fn seal(&self, plain: &[u8]) -> Option<String> {
        crypto::seal(&self.sealer, plain).map(|sealed| URL_SAFE_NO_PAD.encode(sealed))
    }

    /// The plain bytes of a value [`Sessions::seal`] made; `None` for
    /// anything else (forged, altered, or sealed under another key).
    pub fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        crypto::open(&self.sealer, &URL_SAFE_NO_PAD.decode(sealed).ok()?)
    }

    /// True when the cookie carries the `Secure` attribute.
    pub fn secure(&self) -> bool {
        self.secure
    }

    /// A signed token for `session`, valid for [`LIFETIME`].
    pub fn issue(&self, session: &Session) -> Result<String, jsonwebtoken::errors::Error> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: session.subject.clone(),
            account: session.account.map(AccountId::uuid),
            role: session.role.clone(),
            iat: now,
            exp: now + LIFETIME.as_secs() as i64,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    /// The session of a token this gateway signed and that has not expired.
    pub fn verify(&self, token: &str) -> Option<Session> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .ok()?
            .claims;
        let account = match claims.account {
            Some(id) => Some(AccountId::new(id).ok()?),
            None => None,
        };
        Some(Session {
            subject: claims.sub,
            account,
            role: claims.role,
        })
    }

    /// The session of the request's cookie, if it carries a valid one.
    pub fn from_headers(&self, headers: &HeaderMap) -> Option<Session> {
        cookie_value(headers, COOKIE).and_then(|token| self.verify(token))
    }

    /// `Set-Cookie` for a new session token.
    pub fn cookie(&self, token: &str) -> String {
        self.render(token, LIFETIME.as_secs())
    }

    /// `Set-Cookie` that ends the session in the browser.
    pub fn clear_cookie(&self) -> String {
        self.render("", 0)
    }

    fn render(&self, value: &str, max_age: u64) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!("{COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
    }
}

fn mac(key: &[u8], message: &[u8]) -> Option<Vec<u8>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
    mac.update(message);
    Some(mac.finalize().into_bytes().to_vec())
}

fn derive_key(master_key_hash: &str, salt_key: Option<&str>) -> Vec<u8> {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(master_key_hash.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return master_key_hash.as_bytes().to_vec(),
    };
    mac.update(KEY_LABEL);
    if let Some(salt) = salt_key {
        mac.update(b"\0");
        mac.update(salt.as_bytes());
    }
    mac.finalize().into_bytes().to_vec()
}

/// The value of cookie `name` among the request's `Cookie` headers.
pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, value)| *key == name && !value.is_empty())
        .map(|(_, value)| value)
}

/// Failed logins allowed per email and per client address in a window.
pub const LOGIN_FAILURE_LIMIT: u32 = 10;

/// The window failed logins are counted over, from the first failure.
pub const LOGIN_FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Failed-login counters per email and per client address, kept in memory
/// (each replica counts its own).
#[derive(Clone)]
pub struct LoginThrottle {
    failures: Cache<String, Arc<AtomicU32>>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self::new()
    }
}

impl LoginThrottle {
    /// Empty counters.
    pub fn new() -> Self {
        Self {
            failures: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(LOGIN_FAILURE_WINDOW)
                .build(),
        }
    }

    /// True when any of `subjects` has used up its failures.
    pub async fn is_throttled(&self, subjects: &[String]) -> bool {
        for subject in subjects {
            if let Some(count) = self.failures.get(subject).await
                && count.load(Ordering::Relaxed) >= LOGIN_FAILURE_LIMIT
            {
                return true;
            }
        }
        false
    }

    /// Counts one failure against each of `subjects`.
    pub async fn fail(&self, subjects: &[String]) {
        for subject in subjects {
            let count = self
                .failures
                .get_with(subject.clone(), async { Arc::new(AtomicU32::new(0)) })
                .await;
            count.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Forgets `subject`'s failures (after a successful login).
    pub async fn forget(&self, subject: &str) {
        self.failures.invalidate(subject).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sessions(secure: bool) -> Sessions {
        Sessions::new("hash", Some("salt"), secure)
    }

    #[test]
    fn sealed_state_opens_only_unaltered_and_under_the_same_key() {
        let sealed = sessions(false).seal(b"state and nonce").unwrap();
        assert!(!sealed.contains("nonce"));
        assert_eq!(
            sessions(false).open(&sealed).as_deref(),
            Some(&b"state and nonce"[..])
        );
        assert_eq!(
            Sessions::new("other", Some("salt"), false).open(&sealed),
            None
        );
        let mut altered = sealed.into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            sessions(false).open(&String::from_utf8(altered).unwrap()),
            None
        );
        assert_eq!(sessions(false).open("short"), None);
    }

    #[test]
    fn tokens_round_trip_and_reject_other_keys() {
        let account: AccountId = "6f1c2a4e-8d0b-4a55-9a51-0f2f7d9c1e33".parse().unwrap();
        let session = Session {
            subject: "u-1".into(),
            account: Some(account),
            role: "proxy_admin".into(),
        };
        let token = sessions(false).issue(&session).unwrap();
        assert_eq!(sessions(false).verify(&token), Some(session));
        assert_eq!(Sessions::new("hash", None, false).verify(&token), None);
        assert_eq!(
            Sessions::new("other", Some("salt"), false).verify(&token),
            None
        );
        assert_eq!(sessions(false).verify("not.a.token"), None);
    }

    #[test]
    fn expired_and_unsigned_tokens_are_refused() {
        let key = derive_key("hash", Some("salt"));
        let expired = Claims {
            sub: "u".into(),
            account: None,
            role: SUPER_ADMIN_ROLE.into(),
            iat: 0,
            exp: chrono::Utc::now().timestamp() - 5,
        };
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &expired,
            &EncodingKey::from_secret(&key),
        )
        .unwrap();
        assert_eq!(sessions(false).verify(&token), None);
        let mut unsigned = token.rsplit_once('.').unwrap().0.to_owned();
        unsigned.push('.');
        assert_eq!(sessions(false).verify(&unsigned), None);
    }

    #[test]
    fn cookies_carry_the_security_attributes() {
        let cookie = sessions(false).cookie("abc");
        assert!(cookie.starts_with("token=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=43200"));
        assert!(!cookie.contains("Secure"));
        assert!(sessions(true).cookie("abc").ends_with("; Secure"));
        assert!(sessions(true).clear_cookie().starts_with("token=; Path=/"));
        assert!(sessions(true).clear_cookie().contains("Max-Age=0"));
    }

    #[test]
    fn csrf_tokens_are_bound_and_keyed() {
        let token = sessions(false).csrf_token("session-a");
        assert!(sessions(false).csrf_valid("session-a", &token));
        assert!(!sessions(false).csrf_valid("session-b", &token));
        assert!(!Sessions::new("other", Some("salt"), false).csrf_valid("session-a", &token));
        assert!(!sessions(false).csrf_valid("session-a", ""));
        assert!(!sessions(false).csrf_valid("session-a", "zz"));
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, "a=1; token=xyz; b=2".parse().unwrap());
        assert_eq!(cookie_value(&headers, "token"), Some("xyz"));
        assert_eq!(cookie_value(&headers, "missing"), None);
    }

    #[tokio::test]
    async fn failures_throttle_after_the_limit() {
        let throttle = LoginThrottle::new();
        let subjects = vec!["email:a@b.c".to_owned()];
        for _ in 0..LOGIN_FAILURE_LIMIT - 1 {
            throttle.fail(&subjects).await;
        }
        assert!(!throttle.is_throttled(&subjects).await);
        throttle.fail(&subjects).await;
        assert!(throttle.is_throttled(&subjects).await);
        throttle.forget("email:a@b.c").await;
        assert!(!throttle.is_throttled(&subjects).await);
    }
}
