//! Counters in this process's memory: the store when no Redis is configured,
//! and the fallback while Redis is unreachable.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use super::{Adjust, Claim, Reading, Refusal, Window, over};

struct Entry {
    value: f64,
    expires: Instant,
}

/// Keyed counters with expiry.
#[derive(Default)]
pub struct LocalCounters {
    entries: Mutex<HashMap<String, Entry>>,
}

/// Entries beyond which expired ones are swept out on the next write.
const SWEEP_ABOVE: usize = 10_000;

impl LocalCounters {
    /// Checks every claim, then applies all of them, or none.
    pub fn admit(&self, claims: &[Claim], now: Instant) -> Result<Vec<Reading>, Refusal> {
        let mut entries = self.lock();
        let mut values = Vec::with_capacity(claims.len());
        for (index, claim) in claims.iter().enumerate() {
            let (value, reset_in) = match entries.get(&claim.key) {
                Some(entry) if entry.expires > now => (entry.value, entry.expires - now),
                _ => (claim.init, claim.window.length()),
            };
            if over(value, claim.amount, claim.limit) {
                return Err(Refusal {
                    index,
                    value,
                    reset_in,
                });
            }
            values.push(value);
        }
        let mut readings = Vec::with_capacity(claims.len());
        for (claim, value) in claims.iter().zip(values) {
            let entry = upsert(&mut entries, &claim.key, claim.init, claim.window, now);
            entry.value = value + claim.amount;
            readings.push(Reading {
                value: entry.value,
                reset_in: entry.expires.saturating_duration_since(now),
            });
        }
        if entries.len() > SWEEP_ABOVE {
            entries.retain(|_, entry| entry.expires > now);
        }
        Ok(readings)
    }

    /// Applies adjustments unconditionally.
    pub fn add(&self, adjustments: &[Adjust], now: Instant) {
        let mut entries = self.lock();
        for adjust in adjustments {
            let entry = upsert(&mut entries, &adjust.key, 0.0, adjust.window, now);
            entry.value += adjust.amount;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A poisoned map still holds valid numbers.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The live entry for `key` (a fresh one when missing or expired), with an
/// idle window's expiry pushed out.
fn upsert<'a>(
    entries: &'a mut HashMap<String, Entry>,
    key: &str,
    init: f64,
    window: Window,
    now: Instant,
) -> &'a mut Entry {
    let fresh = Entry {
        value: init,
        expires: now + window.length(),
    };
    let entry = entries.entry(key.to_owned()).or_insert(Entry {
        value: init,
        expires: now,
    });
    if entry.expires <= now {
        *entry = fresh;
    } else if let Window::Idle(length) = window {
        entry.expires = now + length;
    }
    entry
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn claim(key: &str, amount: f64, limit: f64) -> Claim {
        Claim {
            key: key.to_owned(),
            amount,
            limit,
            window: Window::Fixed(Duration::from_secs(60)),
            init: 0.0,
        }
    }

    #[test]
    fn all_or_nothing() {
        let counters = LocalCounters::default();
        let now = Instant::now();
        counters
            .admit(&[claim("a", 1.0, 1.0), claim("b", 1.0, 5.0)], now)
            .unwrap();
        let refusal = counters
            .admit(&[claim("b", 1.0, 5.0), claim("a", 1.0, 1.0)], now)
            .unwrap_err();
        assert_eq!(refusal.index, 1);
        // `b` was not charged for the refused request.
        let readings = counters.admit(&[claim("b", 1.0, 5.0)], now).unwrap();
        assert_eq!(readings[0].value, 2.0);
    }

    #[test]
    fn fixed_windows_expire_and_start_again() {
        let counters = LocalCounters::default();
        let now = Instant::now();
        counters.admit(&[claim("a", 1.0, 1.0)], now).unwrap();
        assert!(counters.admit(&[claim("a", 1.0, 1.0)], now).is_err());
        let later = now + Duration::from_secs(61);
        assert!(counters.admit(&[claim("a", 1.0, 1.0)], later).is_ok());
    }

    #[test]
    fn zero_amount_checks_without_charging() {
        let counters = LocalCounters::default();
        let now = Instant::now();
        counters.add(
            &[Adjust {
                key: "tokens".into(),
                amount: 10.0,
                window: Window::Fixed(Duration::from_secs(60)),
            }],
            now,
        );
        assert!(counters.admit(&[claim("tokens", 0.0, 11.0)], now).is_ok());
        assert!(counters.admit(&[claim("tokens", 0.0, 10.0)], now).is_err());
    }

    #[test]
    fn budgets_start_from_the_recorded_spend() {
        let counters = LocalCounters::default();
        let now = Instant::now();
        let budget = |amount| Claim {
            init: 0.7,
            window: Window::Idle(Duration::from_secs(3600)),
            ..claim("budget", amount, 1.0)
        };
        assert!(counters.admit(&[budget(0.3)], now).is_ok());
        assert!(counters.admit(&[budget(0.01)], now).is_err());
    }
}
