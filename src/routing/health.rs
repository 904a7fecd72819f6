//! Per-deployment runtime state shared by all requests of this process:
//! calls in flight, recent latency, this minute's usage and failures, and
//! cooldowns. Strategies pick from it; failures feed it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::Rng;
use serde::Deserialize;

use super::Deployment;

/// How a deployment is chosen within a group (LiteLLM's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Strategy {
    #[serde(rename = "simple-shuffle")]
    SimpleShuffle,
    #[serde(rename = "least-busy")]
    LeastBusy,
    #[serde(rename = "latency-based-routing")]
    LowestLatency,
    #[serde(rename = "usage-based-routing", alias = "usage-based-routing-v2")]
    UsageBased,
    #[serde(rename = "cost-based-routing")]
    CostBased,
}

#[derive(Debug, Default, Clone)]
struct State {
    in_flight: u32,
    latency_ms: Option<f64>,
    minute: u64,
    tokens_this_minute: u64,
    requests_this_minute: u64,
    failures_this_minute: u64,
    cooldown_until: Option<Instant>,
}

/// Runtime health of every deployment this process has called.
#[derive(Debug)]
pub struct DeploymentHealth {
    states: Mutex<HashMap<String, State>>,
    epoch: Instant,
}

impl Default for DeploymentHealth {
    fn default() -> Self {
        Self::new()
    }
}

/// Why a call failed, as far as cooldown is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// 429 from the upstream.
    RateLimited,
    /// 401 or 404: the deployment is misconfigured.
    Misconfigured,
    /// 408, 5xx, timeouts: count towards the failure rate.
    Transient,
    /// Connection refused or reset: never cools down (LiteLLM's rule).
    Connection,
    /// Other client errors: the request, not the deployment.
    Request,
}

impl DeploymentHealth {
    /// Empty state.
    pub fn new() -> Self {
        Self {
            states: Mutex::new(HashMap::new()),
            epoch: Instant::now(),
        }
    }

    fn minute(&self) -> u64 {
        self.epoch.elapsed().as_secs() / 60
    }

    fn with<T>(&self, id: &str, f: impl FnOnce(&mut State, u64) -> T) -> T {
        let minute = self.minute();
        let mut states = self
            .states
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !states.contains_key(id) {
            states.insert(id.to_owned(), State::default());
        }
        let Some(state) = states.get_mut(id) else {
            return f(&mut State::default(), minute);
        };
        if state.minute != minute {
            state.minute = minute;
            state.tokens_this_minute = 0;
            state.requests_this_minute = 0;
            state.failures_this_minute = 0;
        }
        f(state, minute)
    }

    /// True while the deployment is cooling down.
    pub fn is_cooling(&self, id: &str) -> bool {
        self.with(id, |state, _| {
            state
                .cooldown_until
                .is_some_and(|until| until > Instant::now())
        })
    }

    /// Marks a call as started.
    pub fn started(&self, id: &str) {
        self.with(id, |state, _| {
            state.in_flight += 1;
            state.requests_this_minute += 1;
        });
    }

    /// Marks a call as finished successfully.
    pub fn succeeded(&self, id: &str, latency: Duration, tokens: u64) {
        self.with(id, |state, _| {
            state.in_flight = state.in_flight.saturating_sub(1);
            state.tokens_this_minute += tokens;
            let ms = latency.as_secs_f64() * 1000.0;
            state.latency_ms = Some(state.latency_ms.map_or(ms, |old| old * 0.7 + ms * 0.3));
        });
    }

    /// Marks a call as failed and cools the deployment down when LiteLLM's
    /// rules say so. `group_size` is the number of deployments in its group.
    pub fn failed(
        &self,
        id: &str,
        kind: FailureKind,
        group_size: usize,
        cooldown: Duration,
        allowed_fails: Option<u32>,
    ) {
        self.with(id, |state, _| {
            state.in_flight = state.in_flight.saturating_sub(1);
            if matches!(kind, FailureKind::Request | FailureKind::Connection) {
                return;
            }
            state.failures_this_minute += 1;
            let cool = match (kind, allowed_fails) {
                (FailureKind::Misconfigured, _) => true,
                (_, Some(allowed)) => state.failures_this_minute > u64::from(allowed),
                (FailureKind::RateLimited, None) => group_size > 1,
                (_, None) => {
                    let rate_rule = group_size > 1
                        && state.requests_this_minute >= 5
                        && state.failures_this_minute * 2 > state.requests_this_minute;
                    let total_rule = state.requests_this_minute >= 1000
                        && state.failures_this_minute >= state.requests_this_minute;
                    rate_rule || total_rule
                }
            };
            if cool && !cooldown.is_zero() {
                state.cooldown_until = Some(Instant::now() + cooldown);
            }
        });
    }

    /// Picks one of `candidates` (already filtered for cooldown) by strategy.
    pub fn pick<'a>(
        &self,
        strategy: Strategy,
        candidates: &[&'a Deployment],
    ) -> Option<&'a Deployment> {
        match candidates {
            [] => return None,
            [only] => return Some(*only),
            _ => {}
        }
        let score = |deployment: &Deployment, f: &dyn Fn(&State) -> f64| {
            self.with(&deployment.id, |state, _| f(state))
        };
        let best_by = |f: &dyn Fn(&State) -> f64| {
            candidates
                .iter()
                .copied()
                .min_by(|a, b| score(a, f).total_cmp(&score(b, f)))
        };
        match strategy {
            Strategy::SimpleShuffle => weighted_choice(candidates),
            Strategy::LeastBusy => best_by(&|state| f64::from(state.in_flight)),
            Strategy::LowestLatency => best_by(&|state| state.latency_ms.unwrap_or(0.0)),
            Strategy::UsageBased => candidates
                .iter()
                .copied()
                .filter(|d| {
                    self.with(&d.id, |state, _| {
                        d.rpm.is_none_or(|rpm| state.requests_this_minute < rpm)
                            && d.tpm.is_none_or(|tpm| state.tokens_this_minute < tpm)
                    })
                })
                .min_by_key(|d| self.with(&d.id, |state, _| state.tokens_this_minute)),
            Strategy::CostBased => candidates
                .iter()
                .copied()
                .min_by(|a, b| a.unit_price().total_cmp(&b.unit_price())),
        }
    }
}

/// Weighted random choice: by `weight`, else `rpm`, else `tpm`, else uniform.
fn weighted_choice<'a>(candidates: &[&'a Deployment]) -> Option<&'a Deployment> {
    let weight_of = |d: &Deployment| -> f64 {
        d.weight
            .or(d.rpm.map(|v| v as f64))
            .or(d.tpm.map(|v| v as f64))
            .unwrap_or(1.0)
            .max(0.0)
    };
    let total: f64 = candidates.iter().map(|d| weight_of(d)).sum();
    if total <= 0.0 {
        return candidates.first().copied();
    }
    let mut point = rand::rng().random_range(0.0..total);
    for deployment in candidates {
        point -= weight_of(deployment);
        if point < 0.0 {
            return Some(*deployment);
        }
    }
    candidates.last().copied()
}
