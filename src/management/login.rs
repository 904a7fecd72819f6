//! Console sign-in: email-first resolution (`/v2/login/resolve`), LiteLLM's
//! `/login` form, and `/logout`. The super admin signs in with
//! `UI_USERNAME`/`UI_PASSWORD`; anyone else through the account their email
//! resolves to (the `alchemi.login_account` door), as an account admin or a
//! user with a password. Answers never tell whether an email exists or which
//! part of a login was wrong, and repeated failures are throttled per email
//! and per client address.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::LazyLock;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Role;
use super::body::Body;
use crate::AppState;
use crate::db::AccountId;
use crate::proxy::ApiError;
use crate::session::{LOGIN_FAILURE_WINDOW, SUPER_ADMIN_ROLE, Session};

/// Users of the account with this email and a password (a handful at most).
const CANDIDATES_SQL: &str = "
    SELECT u.user_id, u.user_role, u.password,
           EXISTS (SELECT 1 FROM \"Alchemi_AccountAdminTable\" m
                    WHERE m.account_id = u.account_id AND lower(m.user_email) = lower($2))
      FROM \"LiteLLM_UserTable\" u
     WHERE u.account_id = $1 AND lower(u.user_email) = lower($2) AND u.password IS NOT NULL
     ORDER BY u.created_at
     LIMIT 5";

/// Where the console lives.
const CONSOLE: &str = "/ui";

/// Checked when no stored hash matches the email, so an unknown email costs
/// the same time as a wrong password.
static DECOY_HASH: LazyLock<Option<String>> =
    LazyLock::new(|| crate::secret::hash_password("alchemi decoy password").ok());

/// `{email}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResolveRequest {
    email: String,
}

/// LiteLLM's login form (urlencoded or JSON).
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginForm {
    pub username: String,
    pub password: String,
}

/// The client's address, as the listener saw it.
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0.ip()),
        ))
    }
}

/// How the console should ask for credentials for `email`: a password, or
/// the account's SSO. Unknown emails get a password field too.
#[utoipa::path(post, path = "/v2/login/resolve", tag = "login", request_body = ResolveRequest,
    responses((status = 200, description = "`{\"method\": \"password\"}` or `{\"method\": \"sso\", \"redirect_url\"}`")))]
async fn resolve(
    State(state): State<AppState>,
    Body(body): Body<ResolveRequest>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(match sso_redirect(&state, &body.email).await? {
        Some(url) => json!({"method": "sso", "redirect_url": url}),
        None => json!({"method": "password"}),
    }))
}

/// Where `email` signs in with SSO, or `None` when it gets a password field
/// (unknown emails too), shared with the console's login page.
pub(crate) async fn sso_redirect(
    state: &AppState,
    email: &str,
) -> Result<Option<String>, ApiError> {
    let email = email.trim();
    if email == state.settings().credentials.ui_username || !email.contains('@') {
        return Ok(None);
    }
    Ok(match state.db().doors().login_account(email).await? {
        Some(found) if found.sso_enabled => Some(format!(
            "/ui/sso/start?{}",
            form_urlencoded::Serializer::new(String::new())
                .append_pair("email", &email.to_lowercase())
                .finish()
        )),
        _ => None,
    })
}

/// Reads the form as JSON or urlencoded, whichever the client sent.
fn parse_form(headers: &HeaderMap, bytes: &[u8]) -> Result<LoginForm, ApiError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("json"));
    let parsed = if json {
        serde_json::from_slice::<Value>(bytes)
            .ok()
            .and_then(|value| value.as_object().cloned())
            .map(|object| object.into_iter().collect::<Vec<(String, Value)>>())
            .unwrap_or_default()
    } else {
        form_urlencoded::parse(bytes)
            .map(|(name, value)| (name.into_owned(), Value::String(value.into_owned())))
            .collect()
    };
    let field = |name: &str| -> Result<String, ApiError> {
        parsed
            .iter()
            .find(|(key, _)| key == name)
            .and_then(|(_, value)| value.as_str())
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_request_error",
                    format!("invalid request body: {name}: a non-empty string is required"),
                )
                .with_param(name)
            })
    };
    Ok(LoginForm {
        username: field("username")?,
        password: field("password")?,
    })
}

/// Checks argon2 hashes off the async workers; true when any matches.
async fn any_matches(password: &str, hashes: Vec<String>) -> Result<Option<usize>, ApiError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        if hashes.is_empty() {
            if let Some(decoy) = DECOY_HASH.as_deref() {
                crate::secret::verify_password(&password, decoy);
            }
            return None;
        }
        hashes
            .iter()
            .position(|hash| crate::secret::verify_password(&password, hash))
    })
    .await
    .map_err(ApiError::internal)
}

/// The session an account login earns, if the credentials are right.
async fn account_login(state: &AppState, form: &LoginForm) -> Result<Option<Session>, ApiError> {
    let email = form.username.trim();
    let account = if email.contains('@') {
        state.db().doors().login_account(email).await?
    } else {
        None
    };
    let Some(account) = account else {
        any_matches(&form.password, Vec::new()).await?;
        return Ok(None);
    };
    let candidates = candidates(state, account.account_id, email).await?;
    let hashes = candidates.iter().map(|c| c.2.clone()).collect();
    let Some(index) = any_matches(&form.password, hashes).await? else {
        return Ok(None);
    };
    let Some((user_id, role, _, admin)) = candidates.into_iter().nth(index) else {
        return Ok(None);
    };
    let role = if admin {
        Role::ProxyAdmin
    } else {
        Role::parse(role.as_deref())
    };
    Ok(Some(Session {
        subject: user_id,
        account: Some(account.account_id),
        role: role.name().to_owned(),
    }))
}

type Candidate = (String, Option<String>, String, bool);

async fn candidates(
    state: &AppState,
    account: AccountId,
    email: &str,
) -> Result<Vec<Candidate>, ApiError> {
    let tx = state.db().tenant(account).await?;
    let rows = tx.query(CANDIDATES_SQL, &[&account.uuid(), &email]).await?;
    tx.commit().await?;
    Ok(rows
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3)))
        .collect())
}

fn refused() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "auth_error",
        "Invalid credentials used to access UI.",
    )
}

fn throttled() -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limit_error",
        "Too many failed login attempts. Try again later.",
    )
    .with_header(
        header::RETRY_AFTER,
        &LOGIN_FAILURE_WINDOW.as_secs().to_string(),
    )
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("text/html"))
}

/// The JSON answer with a `Set-Cookie`, as a 303 to the console for a browser.
fn with_cookie(headers: &HeaderMap, cookie: &str, body: Value) -> Response {
    let mut response = if wants_html(headers) {
        let mut response = (StatusCode::SEE_OTHER, Json(body)).into_response();
        response
            .headers_mut()
            .insert(header::LOCATION, HeaderValue::from_static(CONSOLE));
        response
    } else {
        Json(body).into_response()
    };
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Sign in with `username` (the super admin's name or an email) and
/// `password`; answers the session as a cookie and in the body.
#[utoipa::path(post, path = "/login", tag = "login",
    request_body(content = LoginForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "`{user_id, role, account_id, token}` and the session cookie"),
              (status = 303, description = "The same, redirecting a browser to the console"),
              (status = 401, description = "Wrong credentials"),
              (status = 429, description = "Too many failed attempts")))]
async fn login(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let form = parse_form(&headers, &bytes)?;
    let session = check_credentials(&state, address, &form).await?;
    let settings = state.settings();
    let token = settings
        .sessions
        .issue(&session)
        .map_err(ApiError::internal)?;
    let body = json!({
        "user_id": session.subject,
        "role": session.role,
        "account_id": session.account,
        "token": token,
    });
    Ok(with_cookie(
        &headers,
        &settings.sessions.cookie(&token),
        body,
    ))
}

/// The session `form`'s credentials earn, with failures throttled per
/// email and client address (shared with the console's login page): a 401
/// for wrong credentials, a 429 when throttled.
pub(crate) async fn check_credentials(
    state: &AppState,
    address: Option<IpAddr>,
    form: &LoginForm,
) -> Result<Session, ApiError> {
    let email_subject = format!("login:{}", form.username.trim().to_lowercase());
    let mut subjects = vec![email_subject.clone()];
    if let Some(address) = address {
        subjects.push(format!("addr:{address}"));
    }
    let throttle = state.logins();
    if throttle.is_throttled(&subjects).await {
        return Err(throttled());
    }
    let settings = state.settings();
    let session = if form.username == settings.credentials.ui_username {
        let password = form.password.clone();
        let credentials_ok = {
            let username = form.username.clone();
            let state = state.clone();
            tokio::task::spawn_blocking(move || {
                state
                    .settings()
                    .credentials
                    .is_super_admin(&username, &password)
            })
            .await
            .map_err(ApiError::internal)?
        };
        credentials_ok.then(|| Session {
            subject: form.username.clone(),
            account: None,
            role: SUPER_ADMIN_ROLE.to_owned(),
        })
    } else {
        account_login(state, form).await?
    };
    let Some(session) = session else {
        throttle.fail(&subjects).await;
        return Err(refused());
    };
    throttle.forget(&email_subject).await;
    Ok(session)
}

/// End the console session (clears the cookie).
#[utoipa::path(post, path = "/logout", tag = "login",
    responses((status = 200, description = "The session cookie is cleared")))]
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let cookie = state.settings().sessions.clear_cookie();
    with_cookie(&headers, &cookie, json!({"message": "Logged out"}))
}

/// This family's routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(resolve))
        .routes(routes!(login))
        .routes(routes!(logout))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(content_type: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(header::CONTENT_TYPE, content_type.parse().unwrap());
        map
    }

    #[test]
    fn forms_parse_from_either_encoding() {
        let form = parse_form(
            &headers("application/x-www-form-urlencoded"),
            b"username=a%40b.co&password=p%26w",
        )
        .unwrap();
        assert_eq!(
            (form.username.as_str(), form.password.as_str()),
            ("a@b.co", "p&w")
        );
        let form = parse_form(
            &headers("application/json"),
            br#"{"username": "admin", "password": "x"}"#,
        )
        .unwrap();
        assert_eq!(form.username, "admin");
        let err =
            parse_form(&headers("application/json"), br#"{"username": "admin"}"#).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("password"));
    }
}
