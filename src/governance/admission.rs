//! Admitting a request against its plan, and settling afterwards: the
//! budget reservation is replaced by the real cost, tokens are added to the
//! token windows, parallel slots are freed. A request dropped without being
//! settled frees what it held.

use std::sync::Mutex;
use std::time::Duration;

use chrono::Utc;

use super::counters::{Adjust, Backend, Counters, Reading, Refusal, Window};
use super::plan::{Level, Meaning, Plan, Unit};
use super::{SoftBudgetAlert, Subjects};

/// Why a request was refused, in LiteLLM's words.
#[derive(Debug, Clone)]
pub enum Denial {
    /// 400 `budget_exceeded`.
    Budget { message: String },
    /// 429, with when the window resets.
    Rate {
        message: String,
        unit: &'static str,
        retry_after: Duration,
    },
}

/// What an admitted request holds until it is settled.
struct Held {
    counters: Counters,
    backend: Backend,
    reserved: f64,
    budgets: Vec<(String, Window)>,
    tokens: Vec<(String, Window)>,
    parallel: Vec<(String, Window)>,
    soft: Vec<SoftBudgetAlert>,
}

/// An admitted request.
pub struct Admission {
    held: Mutex<Option<Held>>,
    /// `x-ratelimit-*` headers for the response.
    pub headers: Vec<(String, String)>,
}

impl Admission {
    /// An admission that holds nothing (no limits apply).
    pub fn free() -> Self {
        Self {
            held: Mutex::new(None),
            headers: Vec::new(),
        }
    }

    /// Admits the request `subjects` describe, or says why not.
    pub async fn request(counters: &Counters, subjects: &Subjects<'_>) -> Result<Self, Denial> {
        let plan = Plan::build(subjects);
        if plan.claims.is_empty() {
            return Ok(Self::free());
        }
        let (backend, outcome) = counters.admit(&plan.claims).await;
        let readings = match outcome {
            Ok(readings) => readings,
            Err(refusal) => return Err(deny(&plan, &refusal)),
        };
        let reserved = subjects.reservation.unwrap_or(0.0);
        let mut held = Held {
            counters: counters.clone(),
            backend,
            reserved,
            budgets: Vec::new(),
            tokens: Vec::new(),
            parallel: Vec::new(),
            soft: Vec::new(),
        };
        let mut headers = Vec::new();
        for ((claim, meaning), reading) in plan.claims.iter().zip(&plan.meanings).zip(&readings) {
            match meaning {
                Meaning::Budget { level, id, soft } => {
                    held.budgets.push((claim.key.clone(), claim.window));
                    if let Some(soft) = *soft {
                        held.soft.push(SoftBudgetAlert {
                            account: subjects.account,
                            level: describe(level, id),
                            recipient: id.clone(),
                            soft_budget: soft,
                            spend_before: reading.value - reserved,
                            spend_after: 0.0,
                        });
                    }
                }
                Meaning::Rate {
                    descriptor, unit, ..
                } => {
                    match unit {
                        Unit::Tokens => held.tokens.push((claim.key.clone(), claim.window)),
                        Unit::Parallel => held.parallel.push((claim.key.clone(), claim.window)),
                        Unit::Requests => {}
                    }
                    headers.extend(rate_headers(descriptor, *unit, claim.limit, reading));
                }
            }
        }
        Ok(Self {
            held: Mutex::new(Some(held)),
            headers,
        })
    }

    /// Replaces the reservation by `cost`, counts `tokens`, frees the
    /// parallel slots; returns the soft budgets this call crossed. Only the
    /// first call settles.
    pub fn settle(&self, cost: f64, tokens: u64) -> Vec<SoftBudgetAlert> {
        let held = self
            .held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        let Some(held) = held else {
            return Vec::new();
        };
        let delta = cost - held.reserved;
        let mut adjustments = Vec::new();
        if delta != 0.0 {
            adjustments.extend(held.budgets.into_iter().map(|(key, window)| Adjust {
                key,
                amount: delta,
                window,
            }));
        }
        if tokens > 0 {
            adjustments.extend(held.tokens.into_iter().map(|(key, window)| Adjust {
                key,
                amount: tokens as f64,
                window,
            }));
        }
        adjustments.extend(held.parallel.into_iter().map(|(key, window)| Adjust {
            key,
            amount: -1.0,
            window,
        }));
        held.counters.settle(held.backend, adjustments);
        held.soft
            .into_iter()
            .filter(|alert| {
                alert.spend_before < alert.soft_budget
                    && alert.spend_before + cost >= alert.soft_budget
            })
            .map(|alert| SoftBudgetAlert {
                spend_after: alert.spend_before + cost,
                ..alert
            })
            .collect()
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        // A request that ends without a recorded call frees what it held.
        self.settle(0.0, 0);
    }
}

/// The level and id, as alerts name them.
fn describe(level: &Level, id: &str) -> String {
    match level {
        Level::Key { alias, .. } => format!("key {}", alias.as_deref().unwrap_or(id)),
        Level::KeyModel { model, .. } => format!("key {id} on model {model}"),
        Level::Team { .. } => format!("team {id}"),
        Level::Organization => format!("organization {id}"),
        Level::User => format!("user {id}"),
        Level::Member { user, team } => format!("user {user} in team {team}"),
        Level::EndUser => format!("end user {id}"),
        Level::Account => format!("account {id}"),
    }
}

fn rate_headers(
    descriptor: &str,
    unit: Unit,
    limit: f64,
    reading: &Reading,
) -> [(String, String); 2] {
    let remaining = (limit - reading.value).max(0.0);
    let unit = unit.name();
    [
        (
            format!("x-ratelimit-{descriptor}-remaining-{unit}"),
            format!("{remaining}"),
        ),
        (
            format!("x-ratelimit-{descriptor}-limit-{unit}"),
            format!("{limit}"),
        ),
    ]
}

/// The refusal of the claim at `refusal.index`, in LiteLLM's words.
fn deny(plan: &Plan, refusal: &Refusal) -> Denial {
    let (Some(claim), Some(meaning)) = (
        plan.claims.get(refusal.index),
        plan.meanings.get(refusal.index),
    ) else {
        return Denial::Budget {
            message: "Budget has been exceeded!".to_owned(),
        };
    };
    let (spend, max) = (refusal.value, claim.limit);
    match meaning {
        Meaning::Budget { level, id, .. } => Denial::Budget {
            message: match level {
                Level::Key { .. } => {
                    format!("Budget has been exceeded! Current cost: {spend}, Max budget: {max}")
                }
                Level::KeyModel { model, alias } => format!(
                    "LiteLLM Virtual Key: {id}, key_alias: {}, exceeded budget for model={model}. Current cost: {spend}, Max budget: {max}",
                    alias.as_deref().unwrap_or("")
                ),
                Level::Team { .. } => format!(
                    "Budget has been exceeded! Team={id} Current cost: {spend}, Max budget: {max}"
                ),
                Level::Member { user, team } => format!(
                    "Budget has been exceeded! User={user} in Team={team} Current cost: {spend}, Max budget: {max}"
                ),
                Level::Organization => format!(
                    "Budget has been exceeded! Organization={id} Current cost: {spend}, Max budget: {max}"
                ),
                Level::User => {
                    format!("ExceededBudget: User={id} over budget. Spend={spend}, Budget={max}")
                }
                Level::EndUser => format!(
                    "ExceededBudget: End User={id} over budget. Spend={spend}, Budget={max}"
                ),
                Level::Account => format!(
                    "Budget has been exceeded! Account={id} Current cost: {spend}, Max budget: {max}"
                ),
            },
        },
        Meaning::Rate {
            descriptor,
            id,
            unit,
        } => {
            // A parallel slot frees when a call ends, not with a window.
            let retry_after = match unit {
                Unit::Parallel => Duration::from_secs(1),
                _ => refusal.reset_in,
            };
            let resets = Utc::now() + retry_after;
            Denial::Rate {
                message: format!(
                    "Rate limit exceeded for {descriptor}: {id}. Limit type: {}. Current limit: {max}, Remaining: 0. Limit resets at: {} UTC",
                    unit.name(),
                    resets.format("%Y-%m-%d %H:%M:%S")
                ),
                unit: unit.name(),
                retry_after,
            }
        }
    }
}
