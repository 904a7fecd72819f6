//! Governance: budgets, rate limits and their resets. Every level a request
//! belongs to (key, its model, team, organization, user, team membership,
//! end user, account) contributes claims; all are admitted together, so
//! concurrent requests cannot overspend a budget and a limit counts the same
//! on every replica that shares Redis. One rule applies everywhere: a call
//! is admitted only if what it may cost fits in what is left, so a level
//! whose spend has reached its budget (`spend >= max_budget`) is refused.

mod admission;
mod alerts;
pub mod counters;
mod deployments;
mod estimate;
mod holders;
mod limits;
mod period;
mod plan;
mod reset;

pub use admission::{Admission, Denial};
pub use alerts::{SoftBudgetAlert, record_alerts};
pub use counters::Counters;
pub use deployments::{count_deployment_tokens, take_deployment};
pub use estimate::{DEFAULT_OUTPUT_TOKENS, output_cap, reservation};
pub use holders::HolderCache;
pub use limits::{Holder, Limits};
pub use period::Period;
pub use plan::{RATE_WINDOW, Subjects};
pub use reset::{RESET_LOCK, ResetReport, reset_due, spawn_resets};
