//! Deployment limits (`rpm` and `tpm` in `litellm_params`): a deployment at
//! its limit is passed over by the router, and when every deployment of a
//! group is, the client gets LiteLLM's 429 "No deployments available".
//! Counted like every other limit, so replicas sharing Redis share them.

use super::RATE_WINDOW;
use super::counters::{Adjust, Claim, Counters, Window};
use crate::db::AccountId;
use crate::routing::Deployment;

fn counter(account: AccountId, deployment: &Deployment, unit: &str) -> String {
    format!("alchemi:{{{account}}}:deployment:{}:{unit}", deployment.id)
}

/// Takes a request slot on `deployment`; false when it is at a limit.
pub async fn take_deployment(
    counters: &Counters,
    account: AccountId,
    deployment: &Deployment,
) -> bool {
    let mut claims = Vec::new();
    if let Some(rpm) = deployment.rpm {
        claims.push(Claim {
            key: counter(account, deployment, "requests"),
            amount: 1.0,
            limit: rpm as f64,
            window: Window::Fixed(RATE_WINDOW),
            init: 0.0,
        });
    }
    if let Some(tpm) = deployment.tpm {
        claims.push(Claim {
            key: counter(account, deployment, "tokens"),
            amount: 0.0,
            limit: tpm as f64,
            window: Window::Fixed(RATE_WINDOW),
            init: 0.0,
        });
    }
    counters.admit(&claims).await.1.is_ok()
}

/// Counts a finished call's tokens against the deployment's `tpm`.
pub fn count_deployment_tokens(
    counters: &Counters,
    account: AccountId,
    deployment: &Deployment,
    tokens: u64,
) {
    if deployment.tpm.is_none() || tokens == 0 {
        return;
    }
    counters.settle(
        counters.backend(),
        vec![Adjust {
            key: counter(account, deployment, "tokens"),
            amount: tokens as f64,
            window: Window::Fixed(RATE_WINDOW),
        }],
    );
}
