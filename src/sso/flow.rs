//! The sign-in in flight between `/ui/sso/start` and `/ui/sso/callback`:
//! which account it is for, the `state` the provider must send back, the
//! nonce the ID token must carry and the PKCE verifier. It travels in one
//! short-lived cookie, sealed under the server's key (see
//! [`crate::session::Sessions::seal`]), so it is bound to the browser that
//! started it and nothing in it can be read or changed there. The account
//! is fixed here, at the start, never taken from what the provider says.

use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::db::AccountId;
use crate::session::{Sessions, cookie_value};

/// The cookie the sign-in in flight travels in.
pub const COOKIE: &str = "alchemi_sso";

/// How long a sign-in may take, from the start to the callback.
pub const LIFETIME_SECONDS: i64 = 600;

/// One sign-in in flight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    pub account: Uuid,
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    /// The redirect URI the authorization request named (the code
    /// exchange must name the same).
    pub redirect_uri: String,
    pub expires: i64,
}

impl Flow {
    /// The account the sign-in is for.
    pub fn account(&self) -> Option<AccountId> {
        AccountId::new(self.account).ok()
    }

    /// True when `given` is this flow's state (constant time).
    pub fn state_matches(&self, given: &str) -> bool {
        let (ours, theirs) = (self.state.as_bytes(), given.as_bytes());
        ours.len() == theirs.len()
            && ours
                .iter()
                .zip(theirs)
                .fold(0u8, |diff, (a, b)| diff | (a ^ b))
                == 0
    }

    /// `Set-Cookie` carrying the sealed flow.
    pub fn cookie(&self, sessions: &Sessions) -> Option<String> {
        let plain = serde_json::to_vec(self).ok()?;
        let sealed = sessions.seal(&plain)?;
        Some(render(sessions, &sealed, LIFETIME_SECONDS))
    }

    /// The unexpired flow of the request's cookie.
    pub fn from_headers(sessions: &Sessions, headers: &HeaderMap) -> Option<Self> {
        let sealed = cookie_value(headers, COOKIE)?;
        let flow: Self = serde_json::from_slice(&sessions.open(sealed)?).ok()?;
        (flow.expires > chrono::Utc::now().timestamp()).then_some(flow)
    }
}

/// `Set-Cookie` that forgets the flow (it is used once).
pub fn clear_cookie(sessions: &Sessions) -> String {
    render(sessions, "", 0)
}

fn render(sessions: &Sessions, value: &str, max_age: i64) -> String {
    let secure = if sessions.secure() { "; Secure" } else { "" };
    // Lax: the provider's redirect back is a cross-site top-level GET.
    format!("{COOKIE}={value}; Path=/ui/sso; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header;

    fn flow(expires: i64) -> Flow {
        Flow {
            account: Uuid::nil(),
            state: "state-1".into(),
            nonce: "nonce-1".into(),
            verifier: "verifier-1".into(),
            redirect_uri: "http://localhost/ui/sso/callback".into(),
            expires,
        }
    }

    fn headers(set_cookie: &str) -> HeaderMap {
        let pair = set_cookie.split(';').next().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, pair.parse().unwrap());
        headers
    }

    #[test]
    fn flows_round_trip_until_they_expire() {
        let sessions = Sessions::new("hash", None, false);
        let live = flow(chrono::Utc::now().timestamp() + 60);
        let cookie = live.cookie(&sessions).unwrap();
        assert!(cookie.contains("HttpOnly") && cookie.contains("Path=/ui/sso"));
        assert!(!cookie.contains("nonce-1"));
        assert_eq!(
            Flow::from_headers(&sessions, &headers(&cookie)),
            Some(live.clone())
        );
        let other = Sessions::new("other", None, false);
        assert_eq!(Flow::from_headers(&other, &headers(&cookie)), None);
        let stale = flow(chrono::Utc::now().timestamp() - 1)
            .cookie(&sessions)
            .unwrap();
        assert_eq!(Flow::from_headers(&sessions, &headers(&stale)), None);
        assert!(live.state_matches("state-1"));
        assert!(!live.state_matches("state-2"));
        assert!(!live.state_matches("state-10"));
    }
}
