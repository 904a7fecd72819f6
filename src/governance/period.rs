//! Budget periods: LiteLLM's `budget_duration` strings (`30s`, `10m`, `1h`,
//! `1d`, `7d`, `1w`, `1mo`) and the standardized boundary a budget resets at
//! next, so every instance and every restart agrees on when a period ends.

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc};

/// A parsed `budget_duration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Seconds(u32),
    Minutes(u32),
    Hours(u32),
    Days(u32),
    Weeks(u32),
    Months(u32),
}

impl Period {
    /// Parses `"<n><unit>"`; `None` for anything else (including `0d`).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let split = text.find(|c: char| !c.is_ascii_digit())?;
        let (digits, unit) = text.split_at(split);
        let n: u32 = digits.parse().ok().filter(|n| *n > 0)?;
        Some(match unit.trim() {
            "s" => Self::Seconds(n),
            "m" => Self::Minutes(n),
            "h" => Self::Hours(n),
            "d" => Self::Days(n),
            "w" => Self::Weeks(n),
            "mo" => Self::Months(n),
            _ => return None,
        })
    }

    /// Its length, for fixed windows (a month counts as 30 days).
    pub fn length(self) -> std::time::Duration {
        let seconds = match self {
            Self::Seconds(n) => u64::from(n),
            Self::Minutes(n) => u64::from(n) * 60,
            Self::Hours(n) => u64::from(n) * 3600,
            Self::Days(n) => u64::from(n) * 86_400,
            Self::Weeks(n) => u64::from(n) * 7 * 86_400,
            Self::Months(n) => u64::from(n) * 30 * 86_400,
        };
        std::time::Duration::from_secs(seconds)
    }

    /// The first boundary after `now`: seconds, minutes and hours align to
    /// the clock (`1h` resets on the hour), days to midnight UTC (`1d` is the
    /// next midnight, `7d` the midnight seven days on), weeks to Monday
    /// midnight, months to the first of the month.
    pub fn next_reset(self, now: DateTime<Utc>) -> DateTime<Utc> {
        let midnight = Utc.from_utc_datetime(&now.date_naive().and_time(NaiveTime::MIN));
        let aligned = |step: i64| {
            let since = (now - midnight).num_seconds();
            midnight + Duration::seconds((since / step + 1) * step)
        };
        match self {
            Self::Seconds(n) => aligned(i64::from(n)),
            Self::Minutes(n) => aligned(i64::from(n) * 60),
            Self::Hours(n) => aligned(i64::from(n) * 3600),
            Self::Days(n) => midnight + Duration::days(i64::from(n)),
            Self::Weeks(n) => {
                let to_monday = 7 - i64::from(now.weekday().num_days_from_monday());
                midnight + Duration::days(to_monday + 7 * (i64::from(n) - 1))
            }
            Self::Months(n) => {
                let months = now.year() * 12 + now.month0() as i32 + n as i32;
                let (year, month0) = (months.div_euclid(12), months.rem_euclid(12));
                Utc.with_ymd_and_hms(year, month0 as u32 + 1, 1, 0, 0, 0)
                    .single()
                    .unwrap_or(midnight + Duration::days(30 * i64::from(n)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn durations_parse_as_litellm_writes_them() {
        assert_eq!(Period::parse("30s"), Some(Period::Seconds(30)));
        assert_eq!(Period::parse("10m"), Some(Period::Minutes(10)));
        assert_eq!(Period::parse("1h"), Some(Period::Hours(1)));
        assert_eq!(Period::parse("30d"), Some(Period::Days(30)));
        assert_eq!(Period::parse("1w"), Some(Period::Weeks(1)));
        assert_eq!(Period::parse("1mo"), Some(Period::Months(1)));
        for bad in ["", "d", "0d", "1y", "-1d", "1.5h"] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn boundaries_are_standardized() {
        let now = at("2026-11-27T07:35:36Z");
        assert_eq!(
            Period::Seconds(30).next_reset(now),
            at("2026-11-27T07:36:00Z")
        );
        assert_eq!(
            Period::Minutes(10).next_reset(now),
            at("2026-11-27T07:40:00Z")
        );
        assert_eq!(Period::Hours(1).next_reset(now), at("2026-11-27T08:00:00Z"));
        assert_eq!(Period::Days(1).next_reset(now), at("2026-11-28T00:00:00Z"));
        assert_eq!(Period::Days(7).next_reset(now), at("2026-12-04T00:00:00Z"));
        assert_eq!(Period::Weeks(1).next_reset(now), at("2026-11-30T00:00:00Z"));
        assert_eq!(
            Period::Months(1).next_reset(now),
            at("2026-12-01T00:00:00Z")
        );
        assert_eq!(
            Period::Months(2).next_reset(now),
            at("2027-01-01T00:00:00Z")
        );
        // Exactly on a boundary, the next one is a whole period later.
        assert_eq!(
            Period::Hours(1).next_reset(at("2026-11-27T08:00:00Z")),
            at("2026-11-27T09:00:00Z")
        );
    }
}
