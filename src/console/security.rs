//! The console's two guards: security headers on every response (CSP
//! without inline code, no framing, no sniffing) and the CSRF check on every
//! form POST. A form's token is an HMAC, under the server's key, of the
//! session cookie (or, on the login page, of a random login nonce cookie),
//! so a page elsewhere can neither read nor forge it.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::page::PageError;
use crate::AppState;
use crate::session::{COOKIE, cookie_value};

/// The form field that carries the token.
pub const CSRF_FIELD: &str = "csrf";

/// The cookie the login page binds its form's token to.
pub const LOGIN_COOKIE: &str = "alchemi_login";

/// Largest form body the console reads.
const FORM_LIMIT: usize = 64 * 1024;

/// Images may also come over https: an account's logo may live elsewhere.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Adds the security headers to every console response.
pub async fn headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// What a form's token is bound to: the login nonce on the login page, the
/// session token elsewhere.
fn binding(request: &Request) -> Option<&str> {
    let name = if request.uri().path().starts_with("/ui/login") {
        LOGIN_COOKIE
    } else {
        COOKIE
    };
    cookie_value(request.headers(), name)
}

/// Refuses a POST whose form lacks the right CSRF token with a 403 page;
/// the body is read here and handed on unchanged.
pub async fn csrf(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let binding = binding(&request).map(str::to_owned);
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, FORM_LIMIT).await else {
        return PageError::forbidden_form().into_response();
    };
    let given = form_urlencoded::parse(&bytes)
        .find(|(name, _)| name == CSRF_FIELD)
        .map(|(_, value)| value.into_owned());
    let valid = match (binding, given) {
        (Some(binding), Some(given)) => state.settings().sessions.csrf_valid(&binding, &given),
        _ => false,
    };
    if !valid {
        return PageError::forbidden_form().into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
