//! Console form fields into the management API's request objects: numbers,
//! whole numbers, comma-separated lists and text, with a readable 422 page
//! naming the field that does not parse. A field a form does not carry is
//! left out; an empty one is left out by a create form and cleared (`null`,
//! or an empty list) by an edit form. No page logic here.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::fields;
use super::page::PageError;

/// A management request object built from form fields.
pub struct Request {
    body: Map<String, Value>,
    /// True for edit forms: an empty field clears the value.
    clears: bool,
}

impl Request {
    /// A create form's request: empty fields are left out.
    pub fn create() -> Self {
        Self {
            body: Map::new(),
            clears: false,
        }
    }

    /// An edit form's request: empty fields clear the value.
    pub fn edit() -> Self {
        Self {
            body: Map::new(),
            clears: true,
        }
    }

    /// Sets `name` to `value` as is.
    pub fn set(&mut self, name: &str, value: Value) -> &mut Self {
        self.body.insert(name.to_owned(), value);
        self
    }

    /// The trimmed text of a field the form carried and filled; `Err` with
    /// the empty value (`null`) an edit form sends for an empty field.
    fn given<'a>(&self, given: Option<&'a str>) -> Option<Result<&'a str, Value>> {
        let given = given?.trim();
        match (given.is_empty(), self.clears) {
            (false, _) => Some(Ok(given)),
            (true, true) => Some(Err(Value::Null)),
            (true, false) => None,
        }
    }

    /// A text field.
    pub fn text(&mut self, name: &str, given: Option<&str>) -> &mut Self {
        if let Some(value) = self.given(given) {
            self.set(name, value.map_or_else(|empty| empty, |text| json!(text)));
        }
        self
    }

    /// A comma-separated list; empty is the empty list.
    pub fn list(&mut self, name: &str, given: Option<&str>) -> &mut Self {
        if let Some(value) = self.given(given) {
            self.set(name, json!(split(value.unwrap_or_default())));
        }
        self
    }

    /// A number (a budget in dollars).
    pub fn number(
        &mut self,
        name: &str,
        given: Option<&str>,
        label: &str,
    ) -> Result<&mut Self, PageError> {
        if let Some(value) = self.given(given) {
            let value = match value {
                Ok(text) => fields::number(text, label)?,
                Err(empty) => empty,
            };
            self.set(name, value);
        }
        Ok(self)
    }

    /// A whole number (a limit).
    pub fn integer(
        &mut self,
        name: &str,
        given: Option<&str>,
        label: &str,
    ) -> Result<&mut Self, PageError> {
        if let Some(value) = self.given(given) {
            let value = match value {
                Ok(text) => fields::integer(text, label)?,
                Err(empty) => empty,
            };
            self.set(name, value);
        }
        Ok(self)
    }

    /// The budget and limit fields (`limits.html`).
    pub fn limits(&mut self, fields: &LimitFields) -> Result<&mut Self, PageError> {
        self.number("max_budget", fields.max_budget.as_deref(), "Max budget")?
            .text("budget_duration", fields.budget_duration.as_deref())
            .integer(
                "rpm_limit",
                fields.rpm_limit.as_deref(),
                "Requests per minute",
            )?
            .integer(
                "tpm_limit",
                fields.tpm_limit.as_deref(),
                "Tokens per minute",
            )?
            .integer(
                "max_parallel_requests",
                fields.max_parallel_requests.as_deref(),
                "Parallel requests",
            )
    }

    /// The request object.
    pub fn body(&mut self) -> Map<String, Value> {
        std::mem::take(&mut self.body)
    }
}

/// The budget and limit fields several forms share (`limits.html`); a
/// form carries those it shows.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LimitFields {
    pub max_budget: Option<String>,
    pub budget_duration: Option<String>,
    pub rpm_limit: Option<String>,
    pub tpm_limit: Option<String>,
    pub max_parallel_requests: Option<String>,
}

/// The entries of a comma-separated field.
pub fn split(text: &str) -> Vec<&str> {
    text.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .collect()
}

/// A member form of a team or organization page: who (id or email) and,
/// to add or change, the role.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MemberFields {
    pub user: String,
    pub role: String,
}

/// The fields of a member form: a user id, or an email when it has an `@`.
pub fn member(user: &str) -> Result<(&'static str, Value), PageError> {
    let user = user.trim();
    if user.is_empty() {
        return Err(PageError::invalid("Name the user by id or email."));
    }
    let field = if user.contains('@') {
        "user_email"
    } else {
        "user_id"
    };
    Ok((field, json!(user)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    #[test]
    fn create_forms_leave_empty_fields_out_and_edit_forms_clear_them() {
        let mut create = Request::create();
        create
            .text("alias", Some("  "))
            .list("models", Some("a, b,,"))
            .number("max_budget", Some("2.5"), "Max budget")
            .unwrap()
            .integer("rpm", None, "RPM")
            .unwrap();
        assert_eq!(
            Value::Object(create.body()),
            json!({"models": ["a", "b"], "max_budget": 2.5})
        );
        let mut edit = Request::edit();
        edit.text("alias", Some(""))
            .list("models", Some(""))
            .integer("rpm", Some(""), "RPM")
            .unwrap()
            .integer("tpm", None, "TPM")
            .unwrap();
        assert_eq!(
            Value::Object(edit.body()),
            json!({"alias": null, "models": [], "rpm": null})
        );
    }

    #[test]
    fn values_that_do_not_parse_name_their_field() {
        let err = Request::create()
            .integer("rpm", Some("1.5"), "Requests per minute")
            .err()
            .unwrap();
        assert_eq!(err.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(err.message.contains("Requests per minute"));
        assert!(
            Request::create()
                .number("b", Some("NaN"), "Budget")
                .is_err()
        );
        assert_eq!(member("a@b.c").unwrap().0, "user_email");
        assert_eq!(member("u-1").unwrap().0, "user_id");
        assert!(member(" ").is_err());
    }
}
