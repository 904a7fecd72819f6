//! Single sign-on in the console: the sign-in through an account's OpenID
//! provider (`/ui/sso/start` → provider → `/ui/sso/callback`), the super
//! admin's SSO settings page of an account, and the account's read-only view
//! of its own settings (account administrators and admin viewers). Every
//! failed sign-in ends on a readable page, never a server error page with
//! no explanation.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::page::{AccountConsole, Chrome, PageError, SuperConsole, render, see_other};
use crate::AppState;
use crate::db::AccountId;
use crate::management::accounts::account_info;
use crate::management::accounts::sso::{SsoRequest, roles, set_sso, sso_info};
use crate::sso::flow::{self, Flow};
use crate::sso::provider::ProviderClient;
use crate::sso::{SsoConfig, SsoError, signin};

/// Where the provider sends the browser back.
const CALLBACK_PATH: &str = "/ui/sso/callback";

/// `?email=`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StartParams {
    email: String,
}

/// The provider's answer: `code` and `state`, or `error`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CallbackParams {
    code: String,
    state: String,
    error: String,
    error_description: String,
}

/// The callback URL this server is reached at, which the provider must
/// know: `PROXY_BASE_URL` when set, else the request's host.
fn callback_url(state: &AppState, headers: &HeaderMap) -> Result<String, SsoError> {
    let settings = state.settings();
    if let Some(base) = &settings.public_url {
        return Ok(format!(
            "{}{CALLBACK_PATH}",
            base.as_str().trim_end_matches('/')
        ));
    }
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .filter(|host| !host.is_empty() && !host.contains(['/', '@', ' ']))
        .ok_or_else(|| SsoError::Provider("the request names no host".into()))?;
    let scheme = if settings.sessions.secure() {
        "https"
    } else {
        "http"
    };
    Ok(format!("{scheme}://{host}{CALLBACK_PATH}"))
}

/// The account's usable SSO settings, read in its own tenant transaction.
async fn usable_config(state: &AppState, account: AccountId) -> Result<SsoConfig, SsoError> {
    let holder = state
        .holders()
        .account(state.db(), account)
        .await
        .map_err(|err| SsoError::Provider(err.to_string()))?;
    if holder.blocked {
        return Err(SsoError::AccountUnavailable);
    }
    let tx = state.db().tenant(account).await?;
    let config = crate::sso::config(&tx).await?;
    tx.commit().await?;
    config
        .filter(SsoConfig::usable)
        .ok_or(SsoError::NotConfigured)
}

fn provider<'a>(
    state: &AppState,
    account: AccountId,
    config: &'a SsoConfig,
    redirect_uri: &'a str,
) -> Result<ProviderClient<'a>, SsoError> {
    let client_secret = match &config.settings.client_secret {
        Some(sealed) => Some(state.upstream().vault().reveal(sealed)?),
        None => None,
    };
    Ok(ProviderClient {
        account,
        issuer: &config.settings.issuer,
        client_id: &config.settings.client_id,
        client_secret,
        redirect_uri,
    })
}

/// The page a failed sign-in ends on; the flow cookie is forgotten.
fn failed(state: &AppState, err: &SsoError) -> Response {
    let (status, message) = match err {
        SsoError::NotConfigured => (
            StatusCode::BAD_REQUEST,
            "Single sign-on is not set up for this email's account. Sign in with your password, or ask the account's administrator.",
        ),
        SsoError::Expired => (
            StatusCode::BAD_REQUEST,
            "The sign-in took too long or was started in another browser. Start again from the sign-in page.",
        ),
        SsoError::StateMismatch => (
            StatusCode::BAD_REQUEST,
            "The identity provider's answer does not belong to this sign-in. Start again from the sign-in page.",
        ),
        SsoError::Refused(_) => (
            StatusCode::FORBIDDEN,
            "The identity provider did not sign you in.",
        ),
        SsoError::Token(_) => (
            StatusCode::FORBIDDEN,
            "The identity provider's answer could not be verified, so it was not accepted.",
        ),
        SsoError::NoVerifiedEmail => (
            StatusCode::FORBIDDEN,
            "The identity provider did not give a verified email address for you.",
        ),
        SsoError::NotAdmitted => (
            StatusCode::FORBIDDEN,
            "This email address may not sign in to this account.",
        ),
        SsoError::NoUser => (
            StatusCode::FORBIDDEN,
            "There is no user for this email address in the account. Ask the account's administrator to add you.",
        ),
        SsoError::IdentityConflict => (
            StatusCode::FORBIDDEN,
            "This email address is linked to another identity at the provider. Ask the account's administrator.",
        ),
        SsoError::AccountUnavailable => (
            StatusCode::FORBIDDEN,
            "This account is not available. Contact the platform administrator.",
        ),
        SsoError::Provider(_) => (
            StatusCode::BAD_GATEWAY,
            "The identity provider could not be reached or answered unexpectedly. Try again in a moment.",
        ),
        SsoError::Secret(_) | SsoError::Db(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "The sign-in could not be completed. Try again in a moment.",
        ),
    };
    if err.is_server_side() {
        tracing::error!(error = %err, "SSO sign-in failed");
    } else {
        tracing::warn!(error = %err, "SSO sign-in refused");
    }
    let mut response = PageError {
        status,
        heading: "Sign-in failed",
        message: message.to_owned(),
    }
    .into_response();
    set_cookie(
        &mut response,
        &flow::clear_cookie(&state.settings().sessions),
    );
    response
}

fn set_cookie(response: &mut Response, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// Sends the browser to the provider of the account `email` signs in to.
pub async fn start(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<StartParams>,
) -> Response {
    match begin(&state, &headers, params.email.trim()).await {
        Ok(response) => response,
        Err(err) => failed(&state, &err),
    }
}

async fn begin(state: &AppState, headers: &HeaderMap, email: &str) -> Result<Response, SsoError> {
    let account = match email.contains('@') {
        true => state.db().doors().login_account(email).await?,
        false => None,
    };
    let account = account
        .filter(|found| found.sso_enabled)
        .ok_or(SsoError::NotConfigured)?
        .account_id;
    let config = usable_config(state, account).await?;
    let redirect_uri = callback_url(state, headers)?;
    let started = state
        .sso()
        .start(&provider(state, account, &config, &redirect_uri)?, email)
        .await?;
    let sessions = &state.settings().sessions;
    let cookie = Flow {
        account: account.uuid(),
        state: started.state,
        nonce: started.nonce,
        verifier: started.verifier,
        redirect_uri,
        expires: chrono::Utc::now().timestamp() + flow::LIFETIME_SECONDS,
    }
    .cookie(sessions)
    .ok_or_else(|| SsoError::Provider("the sign-in state could not be sealed".into()))?;
    let mut response = see_other(&started.url);
    set_cookie(&mut response, &cookie);
    Ok(response)
}

/// The provider's answer: verifies it, signs the user in to the account the
/// sign-in was started for, and opens the console.
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<CallbackParams>,
) -> Response {
    match finish(&state, &headers, params).await {
        Ok(response) => response,
        Err(err) => failed(&state, &err),
    }
}

async fn finish(
    state: &AppState,
    headers: &HeaderMap,
    params: CallbackParams,
) -> Result<Response, SsoError> {
    let sessions = &state.settings().sessions;
    let flow = Flow::from_headers(sessions, headers).ok_or(SsoError::Expired)?;
    if !flow.state_matches(&params.state) {
        return Err(SsoError::StateMismatch);
    }
    if !params.error.is_empty() {
        return Err(SsoError::Refused(format!(
            "{}: {}",
            params.error, params.error_description
        )));
    }
    if params.code.is_empty() {
        return Err(SsoError::Refused("no authorization code".into()));
    }
    let account = crate::sso::account_of(&flow)?;
    let config = usable_config(state, account).await?;
    let identity = state
        .sso()
        .finish(
            &provider(state, account, &config, &flow.redirect_uri)?,
            params.code,
            flow.nonce,
            flow.verifier,
        )
        .await?;
    let session = signin::sign_in(state, account, &config.settings, &identity).await?;
    let token = sessions
        .issue(&session)
        .map_err(|err| SsoError::Provider(format!("session token: {err}")))?;
    let mut response = see_other("/ui");
    set_cookie(&mut response, &sessions.cookie(&token));
    set_cookie(&mut response, &flow::clear_cookie(sessions));
    Ok(response)
}

/// The settings as a page shows them.
pub struct SsoView {
    pub enabled: bool,
    pub issuer: String,
    pub client_id: String,
    pub secret_set: bool,
    pub allowed_domains: String,
    pub allow_signup: bool,
    pub default_role: String,
    pub role_claim: String,
    /// `value = role`, one a line.
    pub role_map: String,
}

impl SsoView {
    fn of(config: &SsoConfig) -> Self {
        let settings = &config.settings;
        Self {
            enabled: config.enabled,
            issuer: settings.issuer.clone(),
            client_id: settings.client_id.clone(),
            secret_set: settings.client_secret.is_some(),
            allowed_domains: settings.allowed_domains.join(", "),
            allow_signup: settings.allow_signup,
            default_role: if settings.default_role.is_empty() {
                "internal_user_viewer".to_owned()
            } else {
                settings.default_role.clone()
            },
            role_claim: settings.role_claim.clone(),
            role_map: settings
                .role_map
                .iter()
                .map(|(value, role)| format!("{value} = {role}"))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

#[derive(Template)]
#[template(path = "console/sso/edit.html")]
struct EditPage {
    chrome: Chrome,
    account_id: String,
    account_name: String,
    view: SsoView,
    roles: Vec<&'static str>,
    callback: String,
    error: String,
    saved: bool,
}

/// `?saved=1` after a save.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EditParams {
    saved: Option<String>,
}

/// The super admin's SSO settings page of an account.
pub async fn edit(
    State(state): State<AppState>,
    admin: SuperConsole,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Query<EditParams>,
) -> Result<Response, PageError> {
    let account = account_info(&state, &id).await?;
    let config = sso_info(&state, &id).await?;
    let name = super::view::text(&account["account_name"]);
    Ok(render(&EditPage {
        chrome: admin.chrome(&format!("{name}: single sign-on"), "/ui/accounts"),
        account_id: id,
        account_name: name,
        view: SsoView::of(&config),
        roles: roles(),
        callback: callback_url(&state, &headers).unwrap_or_default(),
        error: String::new(),
        saved: params.saved.is_some(),
    }))
}

/// The SSO settings form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SsoFields {
    enabled: Option<String>,
    issuer: String,
    client_id: String,
    client_secret: String,
    clear_client_secret: Option<String>,
    allowed_domains: String,
    allow_signup: Option<String>,
    default_role: String,
    role_claim: String,
    role_map: String,
}

impl SsoFields {
    /// The management request; role-map lines read `value = role`.
    fn request(self) -> Result<SsoRequest, String> {
        let mut role_map = std::collections::BTreeMap::new();
        for line in self.role_map.lines().map(str::trim) {
            if line.is_empty() {
                continue;
            }
            let Some((value, role)) = line.split_once('=') else {
                return Err(format!(
                    "Role mapping line {line:?} should read `claim value = role`."
                ));
            };
            role_map.insert(value.trim().to_owned(), role.trim().to_owned());
        }
        Ok(SsoRequest {
            enabled: self.enabled.is_some(),
            issuer: self.issuer,
            client_id: self.client_id,
            client_secret: Some(self.client_secret),
            clear_client_secret: self.clear_client_secret.is_some(),
            allowed_domains: self
                .allowed_domains
                .split([',', ' ', '\n'])
                .map(str::to_owned)
                .collect(),
            allow_signup: self.allow_signup.is_some(),
            default_role: self.default_role,
            role_claim: self.role_claim,
            role_map,
        })
    }

    /// What the form showed, to show it again with an error.
    fn view(&self, secret_set: bool) -> SsoView {
        SsoView {
            enabled: self.enabled.is_some(),
            issuer: self.issuer.clone(),
            client_id: self.client_id.clone(),
            secret_set,
            allowed_domains: self.allowed_domains.clone(),
            allow_signup: self.allow_signup.is_some(),
            default_role: self.default_role.clone(),
            role_claim: self.role_claim.clone(),
            role_map: self.role_map.clone(),
        }
    }
}

/// Saves an account's SSO settings; a refused field shows the form again
/// with what was entered (the secret never).
pub async fn save(
    State(state): State<AppState>,
    admin: SuperConsole,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(fields): Form<SsoFields>,
) -> Result<Response, PageError> {
    let account = account_info(&state, &id).await?;
    let secret_set = sso_info(&state, &id)
        .await?
        .settings
        .client_secret
        .is_some();
    let view = fields.view(secret_set);
    let outcome = match fields.request() {
        Ok(request) => set_sso(&state, &id, request).await.map_err(|err| {
            if err.status == StatusCode::UNPROCESSABLE_ENTITY {
                Ok(err.message)
            } else {
                Err(err)
            }
        }),
        Err(message) => Err(Ok(message)),
    };
    let error = match outcome {
        Ok(_) => return Ok(see_other(&format!("/ui/accounts/{id}/sso?saved=1"))),
        Err(Ok(message)) => message,
        Err(Err(err)) => return Err(err.into()),
    };
    let name = super::view::text(&account["account_name"]);
    let page = EditPage {
        chrome: admin.chrome(&format!("{name}: single sign-on"), "/ui/accounts"),
        account_id: id,
        account_name: name,
        view,
        roles: roles(),
        callback: callback_url(&state, &headers).unwrap_or_default(),
        error,
        saved: false,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
}

#[derive(Template)]
#[template(path = "console/sso/view.html")]
struct ViewPage {
    chrome: Chrome,
    view: SsoView,
    callback: String,
}

/// The account's own SSO settings, read-only: only the platform's super
/// admin changes them.
pub async fn show(
    State(state): State<AppState>,
    console: AccountConsole,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    if !console.actor.sees_everything() {
        return Err(PageError::forbidden(
            "Only the account's administrators see its single sign-on settings.",
        ));
    }
    let tx = state.db().tenant(console.actor.account).await?;
    let config = crate::sso::config(&tx).await?.unwrap_or_default();
    tx.commit().await?;
    Ok(render(&ViewPage {
        chrome: console.chrome("Single sign-on", "/ui/sso"),
        view: SsoView::of(&config),
        callback: callback_url(&state, &headers).unwrap_or_default(),
    }))
}
