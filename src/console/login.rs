//! Signing in and out of the console. The login page asks for the email
//! first: an account with SSO is sent to its SSO address; anyone else (the
//! super admin, password users, unknown emails alike) gets the password step
//! on the same page. Credentials are checked by the management API's login
//! code, so throttling and the answers' vagueness are the same.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::page::{Chrome, PageError, render, see_other};
use super::security::LOGIN_COOKIE;
use crate::AppState;
use crate::management::login::{ClientAddr, LoginForm, check_credentials, sso_redirect};
use crate::session::cookie_value;

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage {
    chrome: Chrome,
    csrf: String,
    /// `email`, `password` or `sso`.
    step: &'static str,
    email: String,
    sso_url: String,
    error: String,
}

/// The login form's fields (`csrf` is checked before the handler runs).
#[derive(Debug, Deserialize)]
pub struct LoginFields {
    #[serde(default)]
    step: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// `/ui`: the console's front door.
pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match state.settings().sessions.from_headers(&headers) {
        Some(session) if session.is_super_admin() => see_other("/ui/accounts"),
        Some(_) => see_other("/ui/dashboard"),
        None => see_other("/ui/login"),
    }
}

fn page(state: &AppState, nonce: &str, step: &'static str, email: String) -> LoginPage {
    LoginPage {
        chrome: Chrome::bare("Sign in"),
        csrf: state.settings().sessions.csrf_token(nonce),
        step,
        email,
        sso_url: String::new(),
        error: String::new(),
    }
}

/// The email step; a signed-in browser goes straight to its pages.
pub async fn show(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if state.settings().sessions.from_headers(&headers).is_some() {
        return home(State(state), headers).await;
    }
    let (nonce, fresh) = match cookie_value(&headers, LOGIN_COOKIE) {
        Some(nonce) => (nonce.to_owned(), false),
        None => (hex::encode(rand::random::<[u8; 16]>()), true),
    };
    let mut response = render(&page(&state, &nonce, "email", String::new()));
    if fresh {
        let secure = if state.settings().sessions.secure() {
            "; Secure"
        } else {
            ""
        };
        let cookie = format!(
            "{LOGIN_COOKIE}={nonce}; Path=/ui/login; HttpOnly; SameSite=Strict; Max-Age=3600{secure}"
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
    }
    response
}

/// Either step's POST: the email resolves to SSO or the password step; the
/// password signs in and redirects to the console.
pub async fn submit(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    Form(fields): Form<LoginFields>,
) -> Result<Response, PageError> {
    let nonce = cookie_value(&headers, LOGIN_COOKIE)
        .unwrap_or_default()
        .to_owned();
    let email = fields.email.trim().to_owned();
    if email.is_empty() {
        let mut page = page(&state, &nonce, "email", email);
        page.error = "Enter your email address.".to_owned();
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    }
    if fields.step != "password" {
        return Ok(match sso_redirect(&state, &email).await? {
            Some(url) => {
                let mut page = page(&state, &nonce, "sso", email);
                page.sso_url = url;
                render(&page)
            }
            None => render(&page(&state, &nonce, "password", email)),
        });
    }
    let form = LoginForm {
        username: email.clone(),
        password: fields.password,
    };
    match check_credentials(&state, address, &form).await {
        Ok(session) => {
            let sessions = &state.settings().sessions;
            let token = sessions.issue(&session).map_err(PageError::internal)?;
            let mut response = see_other("/ui");
            if let Ok(value) = HeaderValue::from_str(&sessions.cookie(&token)) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            Ok(response)
        }
        Err(err) if err.status.is_client_error() => {
            let mut page = page(&state, &nonce, "password", email);
            page.error = if err.status == StatusCode::TOO_MANY_REQUESTS {
                "Too many failed attempts. Try again later.".to_owned()
            } else {
                "The email or password is not right.".to_owned()
            };
            Ok((err.status, render(&page)).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

/// Ends the session and returns to the login page.
pub async fn logout(State(state): State<AppState>) -> Response {
    let mut response = see_other("/ui/login");
    if let Ok(value) = HeaderValue::from_str(&state.settings().sessions.clear_cookie()) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}
