//! Counters in Redis, shared by every replica: one Lua script checks and
//! applies a request's claims atomically, so two gateways admit a limit of
//! 100 as 100 in total. While Redis is unreachable the caller falls back to
//! local counters; this side reconnects in the background.

use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::{Adjust, Claim, Reading, Refusal, Window};

/// Checks every claim (`over` as in `super::over`), then applies all.
/// Returns `{"0", value, ttl, value, ttl...}` or `{index, value, ttl}`.
const ADMIT: &str = r"
local values = {}
for i = 1, #KEYS do
  local b = (i - 1) * 5
  local amount = tonumber(ARGV[b + 1])
  local limit = tonumber(ARGV[b + 2])
  local current = redis.call('GET', KEYS[i])
  local value = tonumber(ARGV[b + 5])
  if current then value = tonumber(current) end
  local tolerance = math.max(math.abs(limit), 1) * 1e-9
  local over
  if amount > 0 then over = value + amount > limit + tolerance else over = value + tolerance >= limit end
  if over then
    local ttl = redis.call('PTTL', KEYS[i])
    if ttl < 1 then ttl = tonumber(ARGV[b + 3]) end
    return {tostring(i), string.format('%.17g', value), tostring(ttl)}
  end
  values[i] = value
end
local out = {'0'}
for i = 1, #KEYS do
  local b = (i - 1) * 5
  local value = values[i] + tonumber(ARGV[b + 1])
  local ttl = redis.call('PTTL', KEYS[i])
  if ttl < 1 or ARGV[b + 4] == '1' then ttl = tonumber(ARGV[b + 3]) end
  redis.call('SET', KEYS[i], string.format('%.17g', value), 'PX', ttl)
  table.insert(out, string.format('%.17g', value))
  table.insert(out, tostring(ttl))
end
return out
";

/// Adds to counters unconditionally, keeping fixed windows' expiry.
const ADD: &str = r"
for i = 1, #KEYS do
  local b = (i - 1) * 3
  local current = redis.call('GET', KEYS[i])
  local value = tonumber(ARGV[b + 1])
  if current then value = value + tonumber(current) end
  local ttl = redis.call('PTTL', KEYS[i])
  if ttl < 1 or ARGV[b + 3] == '1' then ttl = tonumber(ARGV[b + 2]) end
  redis.call('SET', KEYS[i], string.format('%.17g', value), 'PX', ttl)
end
return #KEYS
";

/// How long to stay on local counters after Redis failed.
const DEGRADED_FOR: Duration = Duration::from_secs(5);
/// Redis must answer within this, or the request goes on locally.
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(250);

/// The Redis side of the counters.
pub struct SharedCounters {
    connection: RwLock<Option<ConnectionManager>>,
    degraded_until: Mutex<Option<Instant>>,
    admit: redis::Script,
    add: redis::Script,
}

impl SharedCounters {
    /// Starts connecting in the background; until connected, `connection`
    /// is `None` and callers use local counters.
    pub fn connect(url: &str) -> Result<std::sync::Arc<Self>, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let shared = std::sync::Arc::new(Self {
            connection: RwLock::new(None),
            degraded_until: Mutex::new(None),
            admit: redis::Script::new(ADMIT),
            add: redis::Script::new(ADD),
        });
        let weak = std::sync::Arc::downgrade(&shared);
        tokio::spawn(async move {
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(RESPONSE_TIMEOUT * 4))
                .set_response_timeout(Some(RESPONSE_TIMEOUT));
            loop {
                match client
                    .get_connection_manager_with_config(config.clone())
                    .await
                {
                    Ok(manager) => {
                        if let Some(shared) = weak.upgrade() {
                            tracing::info!("redis connected: limits are shared by replicas");
                            *shared
                                .connection
                                .write()
                                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(manager);
                        }
                        return;
                    }
                    Err(err) => {
                        if weak.strong_count() == 0 {
                            return;
                        }
                        tracing::warn!(error = %err, "redis unreachable: limits are counted per process until it is back");
                        tokio::time::sleep(DEGRADED_FOR).await;
                    }
                }
            }
        });
        Ok(shared)
    }

    /// The connection, unless Redis failed moments ago.
    pub fn available(&self) -> Option<ConnectionManager> {
        let degraded = self
            .degraded_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if degraded.is_some_and(|until| until > Instant::now()) {
            return None;
        }
        drop(degraded);
        self.connection
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Notes a failure: local counters serve for a few seconds.
    pub fn degrade(&self, err: &redis::RedisError) {
        let mut degraded = self
            .degraded_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        if degraded.is_none_or(|until| until <= now) {
            tracing::warn!(error = %err, "redis failed: counting limits in this process for now");
        }
        *degraded = Some(now + DEGRADED_FOR);
    }

    /// Runs the admission script.
    pub async fn admit(
        &self,
        mut connection: ConnectionManager,
        claims: &[Claim],
    ) -> Result<Result<Vec<Reading>, Refusal>, redis::RedisError> {
        let mut invocation = self.admit.prepare_invoke();
        for claim in claims {
            invocation
                .key(&claim.key)
                .arg(claim.amount)
                .arg(claim.limit)
                .arg(millis(claim.window.length()))
                .arg(u8::from(matches!(claim.window, Window::Idle(_))))
                .arg(claim.init);
        }
        let reply: Vec<String> = invocation.invoke_async(&mut connection).await?;
        let number = |index: usize| {
            reply
                .get(index)
                .and_then(|text| text.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        let refused = number(0) as usize;
        if refused > 0 {
            return Ok(Err(Refusal {
                index: refused - 1,
                value: number(1),
                reset_in: Duration::from_millis(number(2).max(0.0) as u64),
            }));
        }
        Ok(Ok((0..claims.len())
            .map(|i| Reading {
                value: number(1 + 2 * i),
                reset_in: Duration::from_millis(number(2 + 2 * i).max(0.0) as u64),
            })
            .collect()))
    }

    /// Runs the adjustment script.
    pub async fn add(
        &self,
        mut connection: ConnectionManager,
        adjustments: &[Adjust],
    ) -> Result<(), redis::RedisError> {
        let mut invocation = self.add.prepare_invoke();
        for adjust in adjustments {
            invocation
                .key(&adjust.key)
                .arg(adjust.amount)
                .arg(millis(adjust.window.length()))
                .arg(u8::from(matches!(adjust.window, Window::Idle(_))));
        }
        let _: i64 = invocation.invoke_async(&mut connection).await?;
        Ok(())
    }
}

fn millis(duration: Duration) -> u64 {
    (duration.as_millis() as u64).max(1)
}
