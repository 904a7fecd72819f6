//! What every console page shares: the layout's data (`Chrome`), rendering,
//! the readable error page (`PageError`), and the session extractors that
//! send a browser without a session to the login page. No page logic here.

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::assets;
use crate::AppState;
use crate::management::Actor;
use crate::management::ui_settings::Branding;
use crate::proxy::ApiError;
use crate::session::{COOKIE, Session, cookie_value};

/// One link of the navigation.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What the layout shows around a page: assets, navigation, who is signed
/// in, and the CSRF token its forms carry.
pub struct Chrome {
    pub title: String,
    pub css: String,
    pub js: String,
    pub nav: Vec<NavItem>,
    /// The account (or "Platform" for the super admin); empty when signed out.
    pub account_name: String,
    pub user: String,
    pub csrf: String,
    /// The name at the top left: the account's display name, else ours.
    pub brand: String,
    /// The account's logo address (empty for none).
    pub logo: String,
    /// The body's accent class (`accent-teal`...; empty for the default).
    pub accent: String,
}

impl Chrome {
    /// The chrome of a page shown without a session (login, errors).
    pub fn bare(title: &str) -> Self {
        Self {
            title: title.to_owned(),
            css: assets::url("console.css"),
            js: assets::url("console.js"),
            nav: Vec::new(),
            account_name: String::new(),
            user: String::new(),
            csrf: String::new(),
            brand: "Alchemi Console".to_owned(),
            logo: String::new(),
            accent: String::new(),
        }
    }

    fn signed_in(
        title: &str,
        console: &Console,
        account_name: String,
        links: &[(&'static str, &'static str)],
        current: &str,
    ) -> Self {
        let mut chrome = Self::bare(title);
        chrome.nav = links
            .iter()
            .map(|(href, label)| NavItem {
                href,
                label,
                current: *href == current,
            })
            .collect();
        chrome.account_name = account_name;
        chrome.user = console.session.subject.clone();
        chrome.csrf = console.csrf.clone();
        chrome
    }
}

/// Renders a page, or the error page when the template fails.
pub fn render(page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(err) => PageError::internal(err).into_response(),
    }
}

/// A 303 to `to`: the answer to every successful form POST.
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

#[derive(Template)]
#[template(path = "console/error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    status: u16,
    heading: &'a str,
    message: &'a str,
}

/// An error as a readable HTML page.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub heading: &'static str,
    pub message: String,
}

impl PageError {
    /// The one "not found" page: a missing object and another account's
    /// object look exactly alike.
    pub fn not_found() -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            heading: "Not found",
            message: "There is nothing at this address.".to_owned(),
        }
    }

    /// A form without a valid CSRF token.
    pub fn forbidden_form() -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            heading: "Form expired",
            message: "This form could not be accepted. Go back, reload the page and try again."
                .to_owned(),
        }
    }

    /// A form value the page cannot accept.
    pub fn invalid(message: &str) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            heading: "Not accepted",
            message: message.to_owned(),
        }
    }

    /// A page the session's role may not use.
    pub fn forbidden(message: &str) -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            heading: "Not allowed",
            message: message.to_owned(),
        }
    }

    /// A failure of ours; the cause goes to the log only.
    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "console page failed");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            heading: "Something went wrong",
            message: "The page could not be shown. Try again in a moment.".to_owned(),
        }
    }
}

impl From<ApiError> for PageError {
    fn from(err: ApiError) -> Self {
        match err.status {
            StatusCode::NOT_FOUND => Self::not_found(),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Self::forbidden(
                "Your role does not allow this. Ask an administrator of the account.",
            ),
            status if status.is_server_error() => Self::internal(err.message),
            status => Self {
                status,
                heading: "Not accepted",
                message: err.message,
            },
        }
    }
}

impl From<crate::db::DbError> for PageError {
    fn from(err: crate::db::DbError) -> Self {
        ApiError::from(err).into()
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            chrome: Chrome::bare(self.heading),
            status: self.status.as_u16(),
            heading: self.heading,
            message: &self.message,
        };
        let body = page.render().unwrap_or_else(|_| self.message.clone());
        (self.status, Html(body)).into_response()
    }
}

/// A signed-in browser: its session, the cookie's token, and the CSRF token
/// its forms carry. Without a valid session the request is redirected to the
/// login page.
pub struct Console {
    pub session: Session,
    pub csrf: String,
}

impl FromRequestParts<AppState> for Console {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let sessions = &state.settings().sessions;
        let found = cookie_value(&parts.headers, COOKIE)
            .and_then(|token| sessions.verify(token).map(|session| (token, session)));
        let Some((token, session)) = found else {
            return Err(see_other("/ui/login"));
        };
        Ok(Self {
            csrf: sessions.csrf_token(token),
            session,
        })
    }
}

/// The super admin's navigation.
const PLATFORM_LINKS: [(&str, &str); 1] = [("/ui/accounts", "Accounts")];

/// An account user's navigation.
const ACCOUNT_LINKS: [(&str, &str); 5] = [
    ("/ui/dashboard", "Dashboard"),
    ("/ui/keys", "Virtual keys"),
    ("/ui/teams", "Teams"),
    ("/ui/organizations", "Organizations"),
    ("/ui/spend", "Spend logs"),
];

/// The pages of roles that read the whole account (admins and viewers).
const ACCOUNT_WIDE_LINKS: [(&str, &str); 7] = [
    ("/ui/users", "Users"),
    ("/ui/models", "Models"),
    ("/ui/budgets", "Budgets"),
    ("/ui/guardrails", "Guardrails"),
    ("/ui/audit", "Audit log"),
    ("/ui/settings", "Settings"),
    ("/ui/sso", "Single sign-on"),
];

/// The super admin's session; account users get a 403 page.
pub struct SuperConsole(pub Console);

impl SuperConsole {
    /// The layout data, with `current` marked in the navigation.
    pub fn chrome(&self, title: &str, current: &str) -> Chrome {
        Chrome::signed_in(
            title,
            &self.0,
            "Platform".to_owned(),
            &PLATFORM_LINKS,
            current,
        )
    }
}

impl FromRequestParts<AppState> for SuperConsole {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let console = Console::from_request_parts(parts, state).await?;
        if !console.session.is_super_admin() {
            return Err(PageError::not_found().into_response());
        }
        Ok(Self(console))
    }
}

/// An account user's session, as the management API's actor; the super
/// admin is sent to the accounts list.
pub struct AccountConsole {
    pub console: Console,
    pub actor: Actor,
    pub account_name: String,
    /// The user's email (their id when they have none).
    pub user: String,
    /// How the account brands its pages.
    pub branding: Branding,
}

/// The account's name, the signed-in user's email and the account's
/// console settings, for the layout.
const NAMES_SQL: &str = "
    SELECT a.account_name,
           (SELECT u.user_email FROM \"LiteLLM_UserTable\" u
             WHERE u.account_id = a.account_id AND u.user_id = $2),
           (SELECT s.ui_settings FROM \"LiteLLM_UISettings\" s
             WHERE s.account_id = a.account_id AND s.id = 'ui_settings')
      FROM \"Alchemi_AccountTable\" a WHERE a.account_id = $1";

impl AccountConsole {
    /// The layout data, with `current` marked in the navigation and the
    /// account's branding applied.
    pub fn chrome(&self, title: &str, current: &str) -> Chrome {
        let mut links = ACCOUNT_LINKS.to_vec();
        if self.actor.sees_everything() {
            links.extend(ACCOUNT_WIDE_LINKS);
        }
        let mut chrome = Chrome::signed_in(
            title,
            &self.console,
            self.account_name.clone(),
            &links,
            current,
        );
        chrome.user.clone_from(&self.user);
        if !self.branding.display_name.is_empty() {
            chrome.brand.clone_from(&self.branding.display_name);
        }
        chrome.logo.clone_from(&self.branding.logo_url);
        if !self.branding.accent.is_empty() {
            chrome.accent = format!("accent-{}", self.branding.accent);
        }
        chrome
    }

    /// True when the role may change things (viewers read only).
    pub fn can_write(&self) -> bool {
        self.actor.is_admin()
    }

    /// Refuses roles that only read (their POSTs too, not only the forms),
    /// before anything is asked of the management API.
    pub fn require_writer(&self) -> Result<(), PageError> {
        if self.can_write() {
            Ok(())
        } else {
            Err(PageError::forbidden(
                "Your role reads this account; it does not change it.",
            ))
        }
    }

    /// Refuses roles that do not read the whole account.
    pub fn require_reader(&self) -> Result<(), PageError> {
        if self.actor.sees_everything() {
            Ok(())
        } else {
            Err(PageError::forbidden(
                "This page is for the account's administrators and viewers.",
            ))
        }
    }
}

impl FromRequestParts<AppState> for AccountConsole {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let console = Console::from_request_parts(parts, state).await?;
        if console.session.is_super_admin() {
            return Err(see_other("/ui/accounts"));
        }
        let actor = Actor::from_account_session(state, console.session.clone())
            .await
            .map_err(|_| signed_out(state))?;
        let subject = console.session.subject.clone();
        let names = async {
            let tx = state.db().tenant(actor.account).await?;
            let row = tx
                .query_opt(NAMES_SQL, &[&actor.account.uuid(), &subject])
                .await?;
            tx.commit().await?;
            Ok::<_, crate::db::DbError>(row.map(|row| {
                (
                    row.get::<_, String>(0),
                    row.get::<_, Option<String>>(1),
                    row.get::<_, Option<serde_json::Value>>(2),
                )
            }))
        }
        .await
        .map_err(|err| PageError::from(err).into_response())?;
        let (account_name, email, settings) = names.unwrap_or_default();
        Ok(Self {
            console,
            actor,
            account_name,
            user: email.unwrap_or(subject),
            branding: settings
                .map(|settings| Branding::of_settings(&settings))
                .unwrap_or_default(),
        })
    }
}

/// The answer to a session whose account is suspended (or gone): the
/// refusal page, with the session cookie cleared so the browser is signed
/// out.
fn signed_out(state: &AppState) -> Response {
    let mut response =
        PageError::forbidden("This account is not available. Contact the platform administrator.")
            .into_response();
    if let Ok(value) = HeaderValue::from_str(&state.settings().sessions.clear_cookie()) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}
