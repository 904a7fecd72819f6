//! A browser-like client signed in to an account with a role, speaking
//! plain HTTP to the console: the page tests' way in, so each of them
//! issues sessions and carries CSRF tokens the same way.

use alchemi::db::AccountId;
use alchemi::session::{COOKIE, Session};
use reqwest::{StatusCode, header};

use crate::common::app::{TestApp, settings};

/// A signed-in browser of one account, without following redirects.
pub struct Visitor<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
    cookie: String,
    csrf: String,
}

impl<'a> Visitor<'a> {
    /// `user` signed in to `account` with `role`.
    pub fn new(app: &'a TestApp, account: AccountId, user: &str, role: &str) -> Self {
        let sessions = settings(app.default_account).sessions;
        let token = sessions
            .issue(&Session {
                subject: user.to_owned(),
                account: Some(account),
                role: role.to_owned(),
            })
            .unwrap();
        Self {
            app,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookie: format!("{COOKIE}={token}"),
            csrf: sessions.csrf_token(&token),
        }
    }

    /// The status and body of a page.
    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        let answer = self
            .http
            .get(self.app.url(path))
            .header(header::COOKIE, &self.cookie)
            .send()
            .await
            .unwrap();
        (answer.status(), answer.text().await.unwrap())
    }

    /// Posts `form` with the session's CSRF token; the status, the
    /// `Location` (empty when none) and the body.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String, String) {
        let mut fields = vec![("csrf", self.csrf.as_str())];
        fields.extend_from_slice(form);
        self.post_raw(path, &fields).await
    }

    /// Posts `form` as it is (without a CSRF token unless it has one).
    pub async fn post_raw(
        &self,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String, String) {
        let answer = self
            .http
            .post(self.app.url(path))
            .header(header::COOKIE, &self.cookie)
            .form(form)
            .send()
            .await
            .unwrap();
        let location = answer
            .headers()
            .get(header::LOCATION)
            .map(|value| value.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (answer.status(), location, answer.text().await.unwrap())
    }

    /// Where a POST redirects to, or, when it does not, what it says.
    pub async fn submit(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let (status, location, body) = self.post(path, form).await;
        (status, if location.is_empty() { body } else { location })
    }
}
