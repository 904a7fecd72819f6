//! The counters behind budgets and rate limits: fixed windows for requests
//! and tokens, idle-expiring totals for parallel calls and budget spend. A
//! request's claims are checked and applied all together or not at all.
//! With `REDIS_URL` they live in Redis and every replica shares them;
//! without it (or while Redis is down) each process counts on its own.

mod local;
mod shared;

use std::sync::Arc;
use std::time::{Duration, Instant};

use local::LocalCounters;
use shared::SharedCounters;

/// How long a counter lives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Window {
    /// Starts at the first use and ends after the length (rpm, tpm).
    Fixed(Duration),
    /// Lives while used, ending after this long idle (parallel, budgets).
    Idle(Duration),
}

impl Window {
    /// The window's length (or idle time).
    pub fn length(self) -> Duration {
        match self {
            Self::Fixed(length) | Self::Idle(length) => length,
        }
    }
}

/// One limit a request must fit in, and what it adds when admitted.
#[derive(Debug, Clone)]
pub struct Claim {
    pub key: String,
    /// Added on admission; `0` only checks (tokens are added after the call).
    pub amount: f64,
    pub limit: f64,
    pub window: Window,
    /// The counter's value when it does not exist yet (a budget's recorded spend).
    pub init: f64,
}

/// A counter after admission.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    pub value: f64,
    pub reset_in: Duration,
}

/// The claim that did not fit.
#[derive(Debug, Clone, Copy)]
pub struct Refusal {
    pub index: usize,
    /// The counter's value, without this request.
    pub value: f64,
    pub reset_in: Duration,
}

/// A change applied after the call (settling a reservation, adding tokens).
#[derive(Debug, Clone)]
pub struct Adjust {
    pub key: String,
    pub amount: f64,
    pub window: Window,
}

/// The one rule for every limit: a claim with an amount must fit within the
/// limit; a pure check (amount 0) needs the counter to be below it. So a
/// spend that has reached its budget refuses, and so does a budget of 0.
pub fn over(value: f64, amount: f64, limit: f64) -> bool {
    let tolerance = limit.abs().max(1.0) * 1e-9;
    if amount > 0.0 {
        value + amount > limit + tolerance
    } else {
        value + tolerance >= limit
    }
}

/// Where an admission was counted; its settlement goes to the same place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Local,
    Shared,
}

/// Local counters, plus Redis when configured.
#[derive(Clone)]
pub struct Counters {
    local: Arc<LocalCounters>,
    shared: Option<Arc<SharedCounters>>,
}

impl Counters {
    /// Per-process counters.
    pub fn local() -> Self {
        Self {
            local: Arc::default(),
            shared: None,
        }
    }

    /// Counters shared through Redis at `url`, falling back to local ones.
    pub fn shared(url: &str) -> Result<Self, redis::RedisError> {
        Ok(Self {
            local: Arc::default(),
            shared: Some(SharedCounters::connect(url)?),
        })
    }

    /// True when a Redis connection is configured and up.
    pub fn is_shared(&self) -> bool {
        self.shared
            .as_ref()
            .is_some_and(|shared| shared.available().is_some())
    }

    /// Where a change made now is counted.
    pub fn backend(&self) -> Backend {
        if self.is_shared() {
            Backend::Shared
        } else {
            Backend::Local
        }
    }

    /// Admits `claims` together, or names the first that does not fit.
    pub async fn admit(&self, claims: &[Claim]) -> (Backend, Result<Vec<Reading>, Refusal>) {
        if claims.is_empty() {
            return (Backend::Local, Ok(Vec::new()));
        }
        if let Some(shared) = &self.shared
            && let Some(connection) = shared.available()
        {
            match shared.admit(connection, claims).await {
                Ok(outcome) => return (Backend::Shared, outcome),
                Err(err) => shared.degrade(&err),
            }
        }
        (Backend::Local, self.local.admit(claims, Instant::now()))
    }

    /// Applies adjustments without waiting: at once for local counters, on a
    /// task for shared ones.
    pub fn settle(&self, backend: Backend, adjustments: Vec<Adjust>) {
        if adjustments.is_empty() {
            return;
        }
        if backend == Backend::Local || self.shared.is_none() {
            self.local.add(&adjustments, Instant::now());
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let counters = self.clone();
            runtime.spawn(async move { counters.add(backend, &adjustments).await });
        }
    }

    /// Applies adjustments where the admission was counted.
    pub async fn add(&self, backend: Backend, adjustments: &[Adjust]) {
        if adjustments.is_empty() {
            return;
        }
        if backend == Backend::Shared
            && let Some(shared) = &self.shared
        {
            if let Some(connection) = shared.available()
                && let Err(err) = shared.add(connection, adjustments).await
            {
                shared.degrade(&err);
            }
            return;
        }
        self.local.add(adjustments, Instant::now());
    }
}
