//! The claims one request makes: a budget reservation for every level with
//! a budget, then requests, tokens and parallel calls for every level with a
//! rate limit, in LiteLLM's order of checks. Each claim remembers what it
//! stands for, so a refusal can say which limit was hit in LiteLLM's words.

use std::time::Duration;

use serde_json::Value;

use super::counters::{Claim, Window};
use super::{Holder, Limits, Period};
use crate::db::AccountId;
use crate::keys::KeyRecord;

/// LiteLLM's fixed rate-limit window.
pub const RATE_WINDOW: Duration = Duration::from_secs(60);
/// A parallel-call counter left by a crashed replica fades after this idle time.
const PARALLEL_IDLE: Duration = Duration::from_secs(600);
/// A budget counter idle this long is read again from the recorded spend.
const BUDGET_IDLE: Duration = Duration::from_secs(3600);

/// Everything a request is governed by.
pub struct Subjects<'a> {
    pub account: AccountId,
    pub key: Option<&'a KeyRecord>,
    pub end_user: Option<&'a Holder>,
    pub account_limits: &'a Holder,
    /// The model group asked for, for per-model limits.
    pub model: &'a str,
    /// Dollars to reserve; `None` exempts the call from budgets.
    pub reservation: Option<f64>,
    /// True when a serving deployment is failing (`dynamic` limits apply).
    pub under_pressure: bool,
}

impl Subjects<'_> {
    /// True when any level has a budget (hard or soft).
    pub fn has_budgets(&self) -> bool {
        let budgeted =
            |limits: &Limits| limits.max_budget.is_some() || limits.soft_budget.is_some();
        let key = self.key.is_some_and(|key| {
            budgeted(&key.limits)
                || !key.model_max_budget.is_empty()
                || key.team.as_ref().is_some_and(|team| budgeted(&team.limits))
                || [&key.owner, &key.membership, &key.organization]
                    .into_iter()
                    .flatten()
                    .any(|holder| budgeted(&holder.limits))
        });
        key || self
            .end_user
            .is_some_and(|end_user| budgeted(&end_user.limits))
            || budgeted(&self.account_limits.limits)
    }
}

/// A level with a budget.
#[derive(Debug, Clone)]
pub enum Level {
    Key {
        alias: Option<String>,
        /// Bumped by a spend reset on the key.
        epoch: i64,
    },
    KeyModel {
        model: String,
        alias: Option<String>,
    },
    Team {
        /// Bumped by a global spend reset (`/global/spend/reset`).
        epoch: i64,
    },
    Organization,
    User,
    Member {
        user: String,
        team: String,
    },
    EndUser,
    Account,
}

/// What a rate claim counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Requests,
    Tokens,
    Parallel,
}

impl Unit {
    /// LiteLLM's name, used in headers and messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Requests => "requests",
            Self::Tokens => "tokens",
            Self::Parallel => "max_parallel_requests",
        }
    }
}

/// What a claim stands for.
#[derive(Debug, Clone)]
pub enum Meaning {
    Budget {
        level: Level,
        id: String,
        soft: Option<f64>,
    },
    Rate {
        descriptor: &'static str,
        id: String,
        unit: Unit,
    },
}

/// A request's claims with their meanings, index for index.
#[derive(Default)]
pub struct Plan {
    prefix: String,
    pub claims: Vec<Claim>,
    pub meanings: Vec<Meaning>,
}

/// Rate limits of one descriptor.
struct Rates {
    rpm: Option<i64>,
    tpm: Option<i64>,
    parallel: Option<i64>,
}

impl From<&Limits> for Rates {
    fn from(limits: &Limits) -> Self {
        Self {
            rpm: limits.rpm_limit,
            tpm: limits.tpm_limit,
            parallel: limits.max_parallel_requests,
        }
    }
}

impl Plan {
    /// The claims `subjects` make.
    pub fn build(subjects: &Subjects<'_>) -> Self {
        let mut plan = Plan {
            prefix: format!("alchemi:{{{}}}", subjects.account),
            ..Plan::default()
        };
        if let Some(reservation) = subjects.reservation {
            plan.budgets(subjects, reservation);
        }
        plan.rate_limits(subjects);
        plan
    }

    fn budgets(&mut self, subjects: &Subjects<'_>, reservation: f64) {
        if let Some(key) = subjects.key {
            let alias = key.key_alias.clone();
            self.budget(
                Level::Key {
                    alias: alias.clone(),
                    epoch: spend_epoch(&key.metadata),
                },
                &key.token,
                key.spend,
                &key.limits,
                reservation,
            );
            self.model_budget(key, subjects.model, alias, reservation);
            if let Some(team) = &key.team {
                self.budget(
                    Level::Team {
                        epoch: spend_epoch(&team.metadata),
                    },
                    &team.team_id,
                    team.spend,
                    &team.limits,
                    reservation,
                );
            }
            if let Some(org) = &key.organization {
                self.holder_budget(Level::Organization, org, reservation);
            }
            if key.team_id.is_none()
                && let Some(owner) = &key.owner
            {
                self.holder_budget(Level::User, owner, reservation);
            }
            if let (Some(member), Some(team), Some(user)) =
                (&key.membership, &key.team_id, &key.user_id)
            {
                let level = Level::Member {
                    user: user.clone(),
                    team: team.clone(),
                };
                self.holder_budget(level, member, reservation);
            }
        }
        if let Some(end_user) = subjects.end_user {
            self.holder_budget(Level::EndUser, end_user, reservation);
        }
        self.holder_budget(Level::Account, subjects.account_limits, reservation);
    }

    fn holder_budget(&mut self, level: Level, holder: &Holder, reservation: f64) {
        self.budget(level, &holder.id, holder.spend, &holder.limits, reservation);
    }

    fn budget(&mut self, level: Level, id: &str, spend: f64, limits: &Limits, reservation: f64) {
        // A soft budget alone still needs the spend counted, to alert.
        let max_budget = match (limits.max_budget, limits.soft_budget) {
            (Some(max_budget), _) => max_budget,
            (None, Some(_)) => f64::MAX,
            (None, None) => return,
        };
        let period = limits.budget_reset_at.map_or(0, |at| at.timestamp());
        // A spend reset (`/key/{key}/reset_spend`, `/global/spend/reset`)
        // starts a new counter.
        let epoch = match &level {
            Level::Key { epoch, .. } | Level::Team { epoch } => *epoch,
            _ => 0,
        };
        let scope = scope_name(&level);
        self.claims.push(Claim {
            key: format!("{}:budget:{scope}:{id}:{period}.{epoch}", self.prefix),
            amount: reservation,
            limit: max_budget,
            window: Window::Idle(BUDGET_IDLE),
            init: spend,
        });
        self.meanings.push(Meaning::Budget {
            level,
            id: id.to_owned(),
            soft: limits.soft_budget,
        });
    }

    /// `model_max_budget: {model: {budget_limit, time_period}}` on the key.
    fn model_budget(
        &mut self,
        key: &KeyRecord,
        model: &str,
        alias: Option<String>,
        reservation: f64,
    ) {
        let Some(spec) = key.model_max_budget.get(model) else {
            return;
        };
        let Some(limit) = spec
            .get("budget_limit")
            .or_else(|| spec.get("max_budget"))
            .and_then(Value::as_f64)
        else {
            return;
        };
        let period = spec
            .get("time_period")
            .or_else(|| spec.get("budget_duration"))
            .and_then(Value::as_str)
            .and_then(Period::parse);
        let (window, init) = match period {
            Some(period) => (Window::Fixed(period.length()), 0.0),
            None => (
                Window::Idle(BUDGET_IDLE),
                key.model_spend
                    .get(model)
                    .and_then(Value::as_f64)
                    .unwrap_or(0.0),
            ),
        };
        self.claims.push(Claim {
            key: format!("{}:budget:key-model:{}:{model}", self.prefix, key.token),
            amount: reservation,
            limit,
            window,
            init,
        });
        self.meanings.push(Meaning::Budget {
            level: Level::KeyModel {
                model: model.to_owned(),
                alias,
            },
            id: key.token.clone(),
            soft: None,
        });
    }

    fn rate_limits(&mut self, subjects: &Subjects<'_>) {
        let model = subjects.model;
        if let Some(key) = subjects.key {
            let mut rates = Rates::from(&key.limits);
            let enforced = |field: &str| match key.metadata[field].as_str() {
                Some("best_effort_throughput") => false,
                Some("dynamic") => subjects.under_pressure,
                _ => true,
            };
            if !enforced("rpm_limit_type") {
                rates.rpm = None;
            }
            if !enforced("tpm_limit_type") {
                rates.tpm = None;
            }
            self.rates("api_key", &key.token, &rates);
            if let Some(owner) = &key.owner {
                self.rates("user", &owner.id, &Rates::from(&owner.limits));
            }
            if let Some(team) = &key.team {
                self.rates("team", &team.team_id, &Rates::from(&team.limits));
                if let Some(user) = &key.user_id {
                    let member = key.membership.as_ref().map(|m| &m.limits);
                    let rates = Rates {
                        rpm: member
                            .and_then(|l| l.rpm_limit)
                            .or_else(|| team.metadata["team_member_rpm_limit"].as_i64()),
                        tpm: member
                            .and_then(|l| l.tpm_limit)
                            .or_else(|| team.metadata["team_member_tpm_limit"].as_i64()),
                        parallel: member.and_then(|l| l.max_parallel_requests),
                    };
                    self.rates("team_member", &format!("{}:{user}", team.team_id), &rates);
                }
                self.rates(
                    "model_per_team",
                    &format!("{}:{model}", team.team_id),
                    &model_rates(&team.metadata, model),
                );
            }
            if let Some(org) = &key.organization {
                self.rates("organization", &org.id, &Rates::from(&org.limits));
            }
            self.rates(
                "model_per_key",
                &format!("{}:{model}", key.token),
                &model_rates(&key.metadata, model),
            );
        }
        if let Some(end_user) = subjects.end_user {
            self.rates("end_user", &end_user.id, &Rates::from(&end_user.limits));
        }
        let account = subjects.account_limits;
        self.rates("account", &account.id, &Rates::from(&account.limits));
    }

    fn rates(&mut self, descriptor: &'static str, id: &str, rates: &Rates) {
        let windows = [
            (Unit::Requests, rates.rpm, 1.0, Window::Fixed(RATE_WINDOW)),
            (Unit::Tokens, rates.tpm, 0.0, Window::Fixed(RATE_WINDOW)),
            (
                Unit::Parallel,
                rates.parallel,
                1.0,
                Window::Idle(PARALLEL_IDLE),
            ),
        ];
        for (unit, limit, amount, window) in windows {
            let Some(limit) = limit else {
                continue;
            };
            self.claims.push(Claim {
                key: format!("{}:{descriptor}:{id}:{}", self.prefix, unit.name()),
                amount,
                limit: limit as f64,
                window,
                init: 0.0,
            });
            self.meanings.push(Meaning::Rate {
                descriptor,
                id: id.to_owned(),
                unit,
            });
        }
    }
}

/// `model_rpm_limit` / `model_tpm_limit` (`{model: n}`) from metadata.
fn model_rates(metadata: &Value, model: &str) -> Rates {
    Rates {
        rpm: metadata["model_rpm_limit"][model].as_i64(),
        tpm: metadata["model_tpm_limit"][model].as_i64(),
        parallel: None,
    }
}

/// How many times a spend reset has restarted a level's budget counter
/// (`metadata.spend_epoch` on keys and teams).
fn spend_epoch(metadata: &Value) -> i64 {
    metadata["spend_epoch"].as_i64().unwrap_or(0)
}

fn scope_name(level: &Level) -> &'static str {
    match level {
        Level::Key { .. } => "key",
        Level::KeyModel { .. } => "key-model",
        Level::Team { .. } => "team",
        Level::Organization => "organization",
        Level::User => "user",
        Level::Member { .. } => "member",
        Level::EndUser => "end-user",
        Level::Account => "account",
    }
}
