//! An account's SSO settings as `Alchemi_AccountSSOConfig.sso_settings`
//! keeps them, the checks a change must pass, and the rules applied to a
//! verified identity (allowed domains, role mapping). Pure: no I/O here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::management::Role;

/// The `sso_provider` this build speaks.
pub const PROVIDER: &str = "oidc";

/// Roles an SSO login may be given, least privileged first.
const ROLES: [Role; 4] = [
    Role::InternalUserViewer,
    Role::InternalUser,
    Role::ProxyAdminViewer,
    Role::ProxyAdmin,
];

/// The stored settings. The client secret is kept sealed (`enc:v1:...`)
/// and never leaves the server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SsoSettings {
    /// The provider's issuer URL (discovery is read below it).
    pub issuer: String,
    pub client_id: String,
    /// Sealed with the server's vault; `None` for a public client.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Email domains that may sign in (empty: any the account admits).
    pub allowed_domains: Vec<String>,
    /// Whether a first login creates the user in the account.
    pub allow_signup: bool,
    /// The role of a user the first login creates, when no mapping applies.
    pub default_role: String,
    /// The ID-token claim whose values map to roles (`groups`, `role`,
    /// or a dotted path such as `realm_access.roles`).
    pub role_claim: String,
    /// Claim value → LiteLLM `user_role`.
    pub role_map: BTreeMap<String, String>,
}

/// Why settings were not accepted: the field and a readable reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: &'static str,
    pub message: String,
}

fn invalid(field: &'static str, message: impl Into<String>) -> Invalid {
    Invalid {
        field,
        message: message.into(),
    }
}

/// True for the role names an SSO login may be given.
pub fn is_role(name: &str) -> bool {
    ROLES.iter().any(|role| role.name() == name)
}

/// The names of the roles an SSO login may be given, for forms.
pub fn role_names() -> Vec<&'static str> {
    ROLES.iter().map(|role| role.name()).collect()
}

/// True when `host` is this machine: the only place a plain-http issuer is
/// accepted (development and tests).
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A lowercased email domain, or why it is not one.
pub fn domain(text: &str) -> Result<String, Invalid> {
    let domain = text.trim().trim_start_matches('@').to_lowercase();
    let valid = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if valid {
        Ok(domain)
    } else {
        Err(invalid(
            "allowed_domains",
            format!("{text:?} is not an email domain such as example.com"),
        ))
    }
}

impl SsoSettings {
    /// Brings the fields to their stored form and checks them; `enabled`
    /// settings must name a provider and a client.
    pub fn normalized(mut self, enabled: bool) -> Result<Self, Invalid> {
        self.issuer = self.issuer.trim().trim_end_matches('/').to_owned();
        self.client_id = self.client_id.trim().to_owned();
        self.role_claim = self.role_claim.trim().to_owned();
        if !self.issuer.is_empty() {
            let url = Url::parse(&self.issuer)
                .map_err(|_| invalid("issuer", "expected a URL such as https://idp.example.com"))?;
            let secure = url.scheme() == "https" || (url.scheme() == "http" && is_loopback(&url));
            if !secure || url.query().is_some() || url.fragment().is_some() {
                return Err(invalid(
                    "issuer",
                    "the issuer must be an https URL without query or fragment",
                ));
            }
        }
        if enabled && (self.issuer.is_empty() || self.client_id.is_empty()) {
            return Err(invalid(
                "issuer",
                "SSO can only be enabled with an issuer URL and a client id",
            ));
        }
        let mut domains = Vec::new();
        for entry in &self.allowed_domains {
            if entry.trim().is_empty() {
                continue;
            }
            let domain = domain(entry)?;
            if !domains.contains(&domain) {
                domains.push(domain);
            }
        }
        self.allowed_domains = domains;
        if self.default_role.trim().is_empty() {
            self.default_role = Role::InternalUserViewer.name().to_owned();
        }
        self.default_role = self.default_role.trim().to_owned();
        if !is_role(&self.default_role) {
            return Err(invalid(
                "default_role",
                format!("expected one of {}", role_names().join(", ")),
            ));
        }
        let mut map = BTreeMap::new();
        for (value, role) in std::mem::take(&mut self.role_map) {
            let (value, role) = (value.trim().to_owned(), role.trim().to_owned());
            if value.is_empty() {
                continue;
            }
            if !is_role(&role) {
                return Err(invalid(
                    "role_map",
                    format!(
                        "{value:?} maps to {role:?}; expected one of {}",
                        role_names().join(", ")
                    ),
                ));
            }
            map.insert(value, role);
        }
        if !map.is_empty() && self.role_claim.is_empty() {
            return Err(invalid(
                "role_claim",
                "a role mapping needs the claim it reads (for example groups)",
            ));
        }
        self.role_map = map;
        Ok(self)
    }

    /// True when `email`'s domain may sign in (any, without a list).
    pub fn admits_domain(&self, email: &str) -> bool {
        if self.allowed_domains.is_empty() {
            return true;
        }
        let domain = email
            .rsplit_once('@')
            .map(|(_, domain)| domain.to_lowercase())
            .unwrap_or_default();
        self.allowed_domains.contains(&domain)
    }

    /// The most privileged role the token's role claim maps to, if any.
    pub fn mapped_role(&self, claims: &serde_json::Map<String, Value>) -> Option<Role> {
        if self.role_claim.is_empty() || self.role_map.is_empty() {
            return None;
        }
        let mut path = self.role_claim.split('.');
        let first = path.next()?;
        let mut value = claims.get(first)?;
        for part in path {
            value = value.get(part)?;
        }
        let values: Vec<&str> = match value {
            Value::String(one) => one.split_whitespace().collect(),
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        values
            .iter()
            .filter_map(|value| self.role_map.get(*value))
            .map(|name| Role::parse(Some(name)))
            .max_by_key(|role| ROLES.iter().position(|known| known == role))
    }

    /// The role a user the first login creates gets.
    pub fn default_role(&self) -> Role {
        Role::parse(Some(&self.default_role))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn settings() -> SsoSettings {
        SsoSettings {
            issuer: "https://idp.example.com/".into(),
            client_id: " console ".into(),
            allowed_domains: vec!["@Acme.test".into(), "acme.test".into(), " ".into()],
            role_claim: "groups".into(),
            role_map: BTreeMap::from([
                ("admins".into(), "proxy_admin".into()),
                ("staff".into(), "internal_user".into()),
            ]),
            ..SsoSettings::default()
        }
    }

    #[test]
    fn settings_are_normalized_and_checked() {
        let checked = settings().normalized(true).unwrap();
        assert_eq!(checked.issuer, "https://idp.example.com");
        assert_eq!(checked.client_id, "console");
        assert_eq!(checked.allowed_domains, vec!["acme.test"]);
        assert_eq!(checked.default_role, "internal_user_viewer");

        let plain = SsoSettings {
            issuer: "http://idp.example.com".into(),
            ..settings()
        };
        assert_eq!(plain.normalized(true).unwrap_err().field, "issuer");
        let local = SsoSettings {
            issuer: "http://127.0.0.1:8080/realm".into(),
            ..settings()
        };
        assert!(local.normalized(true).is_ok());
        let empty = SsoSettings::default();
        assert!(empty.clone().normalized(false).is_ok());
        assert_eq!(empty.normalized(true).unwrap_err().field, "issuer");
        let bad_role = SsoSettings {
            default_role: "super_admin".into(),
            ..settings()
        };
        assert_eq!(bad_role.normalized(true).unwrap_err().field, "default_role");
        let mut bad_map = settings();
        bad_map.role_map.insert("x".into(), "owner".into());
        assert_eq!(bad_map.normalized(true).unwrap_err().field, "role_map");
        let bad_domain = SsoSettings {
            allowed_domains: vec!["not a domain".into()],
            ..settings()
        };
        assert_eq!(
            bad_domain.normalized(true).unwrap_err().field,
            "allowed_domains"
        );
    }

    #[test]
    fn roles_map_from_strings_lists_and_nested_claims() {
        let settings = settings().normalized(true).unwrap();
        let claims = |value: Value| value.as_object().unwrap().clone();
        assert_eq!(
            settings.mapped_role(&claims(json!({"groups": ["staff", "admins"]}))),
            Some(Role::ProxyAdmin)
        );
        assert_eq!(
            settings.mapped_role(&claims(json!({"groups": "staff other"}))),
            Some(Role::InternalUser)
        );
        assert_eq!(
            settings.mapped_role(&claims(json!({"groups": ["other"]}))),
            None
        );
        assert_eq!(settings.mapped_role(&claims(json!({}))), None);
        let nested = SsoSettings {
            role_claim: "realm_access.roles".into(),
            ..settings
        };
        assert_eq!(
            nested.mapped_role(&claims(json!({"realm_access": {"roles": ["admins"]}}))),
            Some(Role::ProxyAdmin)
        );
    }

    #[test]
    fn domains_are_checked_when_listed() {
        let settings = settings().normalized(true).unwrap();
        assert!(settings.admits_domain("ada@ACME.test"));
        assert!(!settings.admits_domain("eve@evil.test"));
        assert!(!settings.admits_domain("no-at-sign"));
        let open = SsoSettings {
            allowed_domains: Vec::new(),
            ..settings
        };
        assert!(open.admits_domain("anyone@anywhere.test"));
    }
}
