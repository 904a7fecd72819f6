//! The limits one level of the hierarchy carries (a key, user, team, team
//! membership, organization, end user or account), read from its own
//! columns or from the shared `LiteLLM_BudgetTable` row it points to.

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// Budget and rate limits of one level.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Limits {
    pub max_budget: Option<f64>,
    pub soft_budget: Option<f64>,
    pub tpm_limit: Option<i64>,
    pub rpm_limit: Option<i64>,
    pub max_parallel_requests: Option<i64>,
    /// When the budget period ends; it versions the spend counter, so a
    /// reset starts a fresh one everywhere.
    pub budget_reset_at: Option<DateTime<Utc>>,
}

impl Limits {
    /// These limits, each missing one taken from `fallback` (a level's own
    /// columns win over its budget row).
    pub fn or(self, fallback: Option<&Limits>) -> Limits {
        let Some(fallback) = fallback else {
            return self;
        };
        Limits {
            max_budget: self.max_budget.or(fallback.max_budget),
            soft_budget: self.soft_budget.or(fallback.soft_budget),
            tpm_limit: self.tpm_limit.or(fallback.tpm_limit),
            rpm_limit: self.rpm_limit.or(fallback.rpm_limit),
            max_parallel_requests: self
                .max_parallel_requests
                .or(fallback.max_parallel_requests),
            budget_reset_at: self.budget_reset_at.or(fallback.budget_reset_at),
        }
    }

    /// True when nothing is limited.
    pub fn is_empty(&self) -> bool {
        self.max_budget.is_none()
            && self.soft_budget.is_none()
            && self.tpm_limit.is_none()
            && self.rpm_limit.is_none()
            && self.max_parallel_requests.is_none()
    }
}

/// A level with spend of its own: a user, membership, organization, end
/// user or account.
#[derive(Debug, Clone, Default)]
pub struct Holder {
    pub id: String,
    pub spend: f64,
    pub limits: Limits,
    /// The level's model list, where it has one (users, organizations).
    pub models: Vec<String>,
    pub blocked: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_limits_win_over_the_budget_row() {
        let own = Limits {
            rpm_limit: Some(5),
            ..Limits::default()
        };
        let row = Limits {
            rpm_limit: Some(50),
            max_budget: Some(2.0),
            ..Limits::default()
        };
        let merged = own.or(Some(&row));
        assert_eq!(merged.rpm_limit, Some(5));
        assert_eq!(merged.max_budget, Some(2.0));
        assert!(Limits::default().is_empty());
    }
}
