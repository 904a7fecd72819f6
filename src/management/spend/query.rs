//! What the spend, activity and audit reads share: query filters built with
//! numbered placeholders (values never enter the SQL text), the date forms
//! LiteLLM's clients send, paging bounds, and what part of the account a
//! caller may see.

use axum::http::StatusCode;
use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::{Deserialize, Deserializer};
use tokio_postgres::types::ToSql;

use crate::db::AccountId;
use crate::management::Actor;
use crate::proxy::ApiError;

/// Rows a plain (unpaged) list returns at most.
pub(in crate::management) const MAX_LIST_ROWS: i64 = 1000;

/// A `WHERE` clause under construction. It always starts with the tenant
/// (`$1`), so every statement filters by account besides relying on RLS;
/// conditions are static text whose `{}` becomes the next placeholder.
pub(in crate::management) struct Where {
    conditions: Vec<String>,
    params: Vec<Box<dyn ToSql + Sync + Send>>,
}

impl Where {
    /// `{column} = $1`, the account.
    pub fn new(account: AccountId, column: &str) -> Self {
        Self {
            conditions: vec![format!("{column} = $1")],
            params: vec![Box::new(account.uuid())],
        }
    }

    /// Adds `template` with `{}` standing for `value`'s placeholder.
    pub fn push<T: ToSql + Sync + Send + 'static>(&mut self, template: &str, value: T) {
        let placeholder = self.param(value);
        self.conditions
            .push(format!("({})", template.replace("{}", &placeholder)));
    }

    /// Adds `template` when `value` is present.
    pub fn push_some<T: ToSql + Sync + Send + 'static>(
        &mut self,
        template: &str,
        value: Option<T>,
    ) {
        if let Some(value) = value {
            self.push(template, value);
        }
    }

    /// Adds a condition without a value.
    pub fn raw(&mut self, condition: &str) {
        self.conditions.push(format!("({condition})"));
    }

    /// Binds `value` and returns its placeholder, for use outside `WHERE`.
    pub fn param<T: ToSql + Sync + Send + 'static>(&mut self, value: T) -> String {
        self.params.push(Box::new(value));
        format!("${}", self.params.len())
    }

    /// The conditions joined with `AND`.
    pub fn sql(&self) -> String {
        self.conditions.join(" AND ")
    }

    /// The bound values, in placeholder order.
    pub fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params
            .iter()
            .map(|param| param.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

/// 422 naming a query parameter, as the query extractor words it.
pub(in crate::management) fn invalid(field: &str, problem: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request_error",
        format!("invalid query: {field}: {problem}"),
    )
    .with_param(field)
}

/// LiteLLM's words when a report needs both ends of its range.
pub(in crate::management) fn dates_required() -> ApiError {
    ApiError::bad_request("Please provide start_date and end_date")
}

const DATE_FORMS: &str = "expected YYYY-MM-DD, YYYY-MM-DD HH:MM:SS or an RFC 3339 timestamp";

/// A point in time as clients send it; a bare date is `None` in the second
/// field, so callers can treat it as a whole day.
fn parse_instant(text: &str) -> Option<(DateTime<Utc>, bool)> {
    let text = text.trim();
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some((day.and_time(NaiveTime::MIN).and_utc(), true));
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some((at.with_timezone(&Utc), false));
    }
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|form| NaiveDateTime::parse_from_str(text, form).ok())
        .map(|at| (at.and_utc(), false))
}

/// The first instant a `start_date` covers.
pub(in crate::management) fn start_of(field: &str, text: &str) -> Result<DateTime<Utc>, ApiError> {
    parse_instant(text)
        .map(|(at, _)| at)
        .ok_or_else(|| invalid(field, DATE_FORMS))
}

/// The first instant after what an `end_date` covers: a bare date covers
/// its whole (UTC) day, a timestamp covers up to and including itself.
pub(in crate::management) fn end_of(field: &str, text: &str) -> Result<DateTime<Utc>, ApiError> {
    let (at, whole_day) = parse_instant(text).ok_or_else(|| invalid(field, DATE_FORMS))?;
    let step = if whole_day {
        chrono::Duration::days(1)
    } else {
        chrono::Duration::microseconds(1)
    };
    Ok(at + step)
}

/// The UTC day of a date parameter (the daily tables' `date` key).
pub(in crate::management) fn day_of(field: &str, text: &str) -> Result<NaiveDate, ApiError> {
    parse_instant(text)
        .map(|(at, _)| at.date_naive())
        .ok_or_else(|| invalid(field, DATE_FORMS))
}

/// A day as the daily tables key it.
pub(in crate::management) fn day_key(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// LiteLLM's chart label for a day key (`Jan 22`).
pub(in crate::management) fn day_label(date: &str) -> String {
    NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map(|day| day.format("%b %d").to_string())
        .unwrap_or_else(|_| date.to_owned())
}

/// Both ends of a required day range, inclusive.
pub(in crate::management) fn day_range(
    start: Option<&str>,
    end: Option<&str>,
) -> Result<(NaiveDate, NaiveDate), ApiError> {
    match (start, end) {
        (Some(start), Some(end)) => Ok((day_of("start_date", start)?, day_of("end_date", end)?)),
        _ => Err(dates_required()),
    }
}

/// The last 30 days up to today, the window of LiteLLM's spend views.
pub(in crate::management) fn last_30_days() -> (NaiveDate, NaiveDate) {
    let today = Utc::now().date_naive();
    (
        today.checked_sub_days(Days::new(30)).unwrap_or(today),
        today,
    )
}

/// `page` (from 1) and `page_size` (1..=max, `default` when absent), or a
/// 422 naming the one out of bounds.
pub(in crate::management) fn paging(
    page: Option<i64>,
    size: Option<i64>,
    default: i64,
    max: i64,
) -> Result<(i64, i64), ApiError> {
    let page = page.unwrap_or(1);
    if page < 1 {
        return Err(invalid("page", "must be 1 or more"));
    }
    let size = size.unwrap_or(default);
    if !(1..=max).contains(&size) {
        return Err(invalid(
            "page_size",
            &format!("must be between 1 and {max}"),
        ));
    }
    Ok((page, size))
}

/// Pages needed for `total` rows.
pub(in crate::management) fn pages(total: i64, size: i64) -> i64 {
    (total + size - 1) / size.max(1)
}

/// A boolean query flag in any of the spellings FastAPI accepts.
pub(in crate::management) fn flag<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<bool>, D::Error> {
    let Some(text) = Option::<String>::deserialize(deserializer)? else {
        return Ok(None);
    };
    match text.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(Some(true)),
        "false" | "0" | "no" | "off" => Ok(Some(false)),
        _ => Err(serde::de::Error::custom(format!(
            "`{text}` is not a boolean"
        ))),
    }
}

/// A key as clients name it: the raw `sk-...` key is hashed, a hash is kept.
pub(in crate::management) fn key_hash(key: &str) -> String {
    if key.starts_with("sk-") {
        crate::secret::hash_api_key(key)
    } else {
        key.to_owned()
    }
}

/// A comma-separated id list (`team_ids=a,b`), `None` when absent or empty.
pub(in crate::management) fn id_list(text: Option<&str>) -> Option<Vec<String>> {
    let ids: Vec<String> = text?
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect();
    (!ids.is_empty()).then_some(ids)
}

/// What part of the account's spend a caller may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::management) enum Scope {
    /// Admins and viewers: the whole account.
    Account,
    /// An internal user: their own spend.
    User(String),
    /// A key without a user: its own spend.
    Key(String),
}

/// The keys a user holds or held (deleted keys keep their history).
const USER_KEYS: &str = "(SELECT token FROM \"LiteLLM_VerificationToken\" WHERE account_id = $1 AND user_id = {}
     UNION ALL SELECT token FROM \"LiteLLM_DeletedVerificationToken\" WHERE account_id = $1 AND user_id = {})";

impl Scope {
    /// The caller's reach.
    pub fn of(actor: &Actor) -> Self {
        if actor.sees_everything() {
            return Self::Account;
        }
        match (&actor.user_id, &actor.key_hash) {
            (Some(user), _) => Self::User(user.clone()),
            (None, Some(key)) => Self::Key(key.clone()),
            (None, None) => Self::Key(String::new()),
        }
    }

    /// Limits `LiteLLM_SpendLogs` rows (aliased `prefix`) to the caller's.
    pub fn on_logs(&self, filter: &mut Where, prefix: &str) {
        match self {
            Self::Account => {}
            Self::User(user) => filter.push(&format!("{prefix}\"user\" = {{}}"), user.clone()),
            Self::Key(key) => filter.push(&format!("{prefix}api_key = {{}}"), key.clone()),
        }
    }

    /// Limits `LiteLLM_DailyUserSpend` rows to the caller's.
    pub fn on_user_days(&self, filter: &mut Where) {
        match self {
            Self::Account => {}
            Self::User(user) => filter.push("user_id = {}", user.clone()),
            Self::Key(key) => filter.push("api_key = {}", key.clone()),
        }
    }

    /// Limits rows with an `api_key` column (the other daily tables) to
    /// those of the caller's keys.
    pub fn on_keys(&self, filter: &mut Where, prefix: &str) {
        match self {
            Self::Account => {}
            Self::User(user) => {
                filter.push(&format!("{prefix}api_key IN {USER_KEYS}"), user.clone())
            }
            Self::Key(key) => filter.push(&format!("{prefix}api_key = {{}}"), key.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_in_every_form_clients_send() {
        let day = start_of("start_date", "2024-05-10").unwrap();
        assert_eq!(day.to_rfc3339(), "2024-05-10T00:00:00+00:00");
        let end = end_of("end_date", "2024-05-10").unwrap();
        assert_eq!(end.to_rfc3339(), "2024-05-11T00:00:00+00:00");
        let at = start_of("start_date", "2024-05-10 13:14:15").unwrap();
        assert_eq!(at.to_rfc3339(), "2024-05-10T13:14:15+00:00");
        let zoned = start_of("start_date", "2024-05-10T13:14:15+02:00").unwrap();
        assert_eq!(zoned.to_rfc3339(), "2024-05-10T11:14:15+00:00");
        let error = start_of("start_date", "yesterday").unwrap_err();
        assert_eq!(error.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error.param.as_deref(), Some("start_date"));
    }

    #[test]
    fn placeholders_follow_the_account() {
        let account = AccountId::new(uuid::Uuid::new_v4()).unwrap();
        let mut filter = Where::new(account, "t.account_id");
        filter.push("t.a = {}", "x".to_owned());
        filter.push_some("t.b >= {} OR t.c = {}", Some(2_i64));
        filter.push_some::<String>("t.d = {}", None);
        assert_eq!(
            filter.sql(),
            "t.account_id = $1 AND (t.a = $2) AND (t.b >= $3 OR t.c = $3)"
        );
        assert_eq!(filter.params().len(), 3);
    }

    #[test]
    fn paging_bounds_name_the_parameter() {
        assert_eq!(paging(None, None, 50, 100).unwrap(), (1, 50));
        assert_eq!(paging(Some(3), Some(100), 50, 100).unwrap(), (3, 100));
        assert_eq!(
            paging(Some(1), Some(101), 50, 100)
                .unwrap_err()
                .param
                .as_deref(),
            Some("page_size")
        );
        assert_eq!(
            paging(Some(0), None, 50, 100).unwrap_err().param.as_deref(),
            Some("page")
        );
        assert_eq!(pages(0, 10), 0);
        assert_eq!(pages(11, 10), 2);
    }
}
