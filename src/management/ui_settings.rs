//! An account's console settings (`LiteLLM_UISettings`, one row per account
//! with id `ui_settings`): for now its branding, which the console's layout
//! shows to the account's users. Values are checked when written and again
//! when read, so a row written behind our back cannot put an arbitrary URL
//! or class name into the pages.

use serde_json::{Map, Value, json};

use super::Actor;
use super::audited;
use crate::AppState;
use crate::db::TenantTx;
use crate::proxy::ApiError;

const TABLE: &str = "LiteLLM_UISettings";
/// The row's fixed id.
const ROW_ID: &str = "ui_settings";
/// The longest display name.
const MAX_NAME: usize = 60;
/// The longest logo URL.
const MAX_URL: usize = 2048;

/// The accent colours an account may pick: a fixed palette, so the layout
/// applies one stylesheet class (the CSP allows no inline styles).
pub const ACCENTS: [(&str, &str); 7] = [
    ("blue", "Blue"),
    ("teal", "Teal"),
    ("green", "Green"),
    ("purple", "Purple"),
    ("red", "Red"),
    ("orange", "Orange"),
    ("slate", "Slate"),
];

const READ_SQL: &str = "
    SELECT ui_settings FROM \"LiteLLM_UISettings\" WHERE account_id = $1 AND id = 'ui_settings'
       FOR UPDATE";
const UPSERT_SQL: &str = "
    INSERT INTO \"LiteLLM_UISettings\" (account_id, id, ui_settings) VALUES ($1, 'ui_settings', $2)
    ON CONFLICT (account_id, id) DO UPDATE SET ui_settings = EXCLUDED.ui_settings, updated_at = now()
    RETURNING ui_settings";

/// How the console presents an account. Empty fields mean the default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Branding {
    pub display_name: String,
    /// An `https://` URL or a path on this server.
    pub logo_url: String,
    /// One of [`ACCENTS`].
    pub accent: String,
}

impl Branding {
    /// Checks the given fields; the error names the field at fault.
    pub fn checked(display_name: &str, logo_url: &str, accent: &str) -> Result<Self, ApiError> {
        let display_name = name_of(display_name).ok_or_else(|| {
            field_error(
                "display_name",
                &format!("at most {MAX_NAME} characters, on one line"),
            )
        })?;
        let logo_url = logo_of(logo_url).ok_or_else(|| {
            field_error("logo_url", "an https:// address or a path on this server")
        })?;
        let accent = accent_of(accent).ok_or_else(|| {
            let names: Vec<&str> = ACCENTS.iter().map(|(name, _)| *name).collect();
            field_error("accent", &format!("one of {}", names.join(", ")))
        })?;
        Ok(Self {
            display_name,
            logo_url,
            accent,
        })
    }

    /// The branding a stored `ui_settings` object holds; a field that does
    /// not pass the checks reads as unset.
    pub fn of_settings(settings: &Value) -> Self {
        let field = |name: &str| settings["branding"][name].as_str().unwrap_or_default();
        Self {
            display_name: name_of(field("display_name")).unwrap_or_default(),
            logo_url: logo_of(field("logo_url")).unwrap_or_default(),
            accent: accent_of(field("accent")).unwrap_or_default(),
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "display_name": self.display_name,
            "logo_url": self.logo_url,
            "accent": self.accent,
        })
    }
}

/// A display name of one line and at most [`MAX_NAME`] characters.
fn name_of(text: &str) -> Option<String> {
    let text = text.trim();
    (text.chars().count() <= MAX_NAME && !text.chars().any(char::is_control))
        .then(|| text.to_owned())
}

/// An empty or allowed logo address.
fn logo_of(text: &str) -> Option<String> {
    let text = text.trim();
    (text.is_empty() || logo_allowed(text)).then(|| text.to_owned())
}

/// No accent, or one of the palette's.
fn accent_of(text: &str) -> Option<String> {
    let text = text.trim();
    (text.is_empty() || ACCENTS.iter().any(|(name, _)| *name == text)).then(|| text.to_owned())
}

fn field_error(field: &str, expected: &str) -> ApiError {
    ApiError::bad_request(format!("{field}: expected {expected}")).with_param(field)
}

/// An absolute `https` URL, or a same-origin path (not `//host`).
fn logo_allowed(text: &str) -> bool {
    if text.len() > MAX_URL || text.chars().any(|c| c.is_whitespace() || c == '"') {
        return false;
    }
    if text.starts_with('/') {
        return !text.starts_with("//") && !text.starts_with("/\\");
    }
    url::Url::parse(text).is_ok_and(|url| url.scheme() == "https" && url.host().is_some())
}

/// The account's stored settings object (empty when never saved).
async fn stored(tx: &TenantTx) -> Result<Option<Value>, ApiError> {
    Ok(tx
        .query_opt(READ_SQL, &[&tx.account_id().uuid()])
        .await?
        .map(|row| row.get(0)))
}

/// Saves the account's branding (account admins only), with its audit row
/// in the same transaction; other settings in the row are kept.
pub(crate) async fn update_branding(
    state: &AppState,
    actor: &Actor,
    branding: &Branding,
) -> Result<(), ApiError> {
    actor.require_admin("/update/ui_settings")?;
    let tx = state.db().tenant(actor.account).await?;
    let before = stored(&tx).await?;
    let mut settings = before
        .as_ref()
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_else(Map::new);
    settings.insert("branding".into(), branding.to_json());
    let after: Value = tx
        .query_one(
            UPSERT_SQL,
            &[&actor.account.uuid(), &Value::Object(settings)],
        )
        .await?
        .get(0);
    let action = if before.is_some() {
        "updated"
    } else {
        "created"
    };
    audited::record(&tx, actor, action, TABLE, ROW_ID, before, Some(after)).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_local_logos_pass() {
        assert!(logo_allowed("https://cdn.example.com/logo.png"));
        assert!(logo_allowed("/ui/static/logo.png"));
        assert!(!logo_allowed("http://example.com/logo.png"));
        assert!(!logo_allowed("javascript:alert(1)"));
        assert!(!logo_allowed("//evil.example/logo.png"));
        assert!(!logo_allowed("https://a.example/x\" onload=\"y"));
    }

    #[test]
    fn branding_is_checked_when_read() {
        let stored =
            json!({"branding": {"display_name": "Acme", "logo_url": "data:x", "accent": "pink"}});
        let branding = Branding::of_settings(&stored);
        assert_eq!(branding.display_name, "Acme");
        assert_eq!(branding.logo_url, "");
        assert_eq!(branding.accent, "");
        assert!(Branding::checked("A", "", "teal").is_ok());
        assert!(Branding::checked("A", "", "#ff0000").is_err());
        assert!(Branding::checked(&"x".repeat(61), "", "").is_err());
    }
}
