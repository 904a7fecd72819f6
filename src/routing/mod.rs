//! Routing: an account's model groups (its deployments plus the platform's),
//! resolving a requested name to candidate deployments, and picking among
//! them with a strategy while cooling down failing ones.

mod deployments;
mod health;
pub mod settings;

pub use deployments::{AccessGroup, AccountModels, Deployment, ModelCache, pattern_matches};
pub use health::{DeploymentHealth, FailureKind, Strategy};
pub use settings::RouterSettings;
