//! Account settings: the branding the console shows the account's users
//! (display name, logo address, accent colour from a fixed palette). Admins
//! change it; viewers see it. Saved through the management layer, which
//! checks the values and writes the audit row.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use super::page::{AccountConsole, Chrome, PageError, render, see_other};
use super::view::Choice;
use crate::AppState;
use crate::management::ui_settings::{ACCENTS, Branding, update_branding};

#[derive(Template)]
#[template(path = "console/settings/show.html")]
struct SettingsPage {
    chrome: Chrome,
    can_write: bool,
    branding: Branding,
    accents: Vec<Choice>,
}

/// The account's branding, with its form for admins.
pub async fn show(console: AccountConsole) -> Result<Response, PageError> {
    console.require_reader()?;
    let mut accents = vec![Choice {
        value: String::new(),
        label: "Default".to_owned(),
        selected: console.branding.accent.is_empty(),
    }];
    accents.extend(Choice::list(&ACCENTS, &console.branding.accent));
    Ok(render(&SettingsPage {
        chrome: console.chrome("Settings", "/ui/settings"),
        can_write: console.can_write(),
        branding: console.branding.clone(),
        accents,
    }))
}

/// The branding form's fields.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BrandingFields {
    display_name: String,
    logo_url: String,
    accent: String,
}

/// Saves the branding.
pub async fn save(
    State(state): State<AppState>,
    console: AccountConsole,
    Form(fields): Form<BrandingFields>,
) -> Result<Response, PageError> {
    console.require_writer()?;
    let branding = Branding::checked(&fields.display_name, &fields.logo_url, &fields.accent)?;
    update_branding(&state, &console.actor, &branding).await?;
    Ok(see_other("/ui/settings"))
}
