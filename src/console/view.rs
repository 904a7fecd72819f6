//! Small view helpers the pages share: shown text of JSON values, money,
//! links to objects, paging links, and the server-drawn SVG bar chart. No queries here.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use crate::management::paging::PageInfo;

/// A JSON value as shown in a cell (empty for null).
pub fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// A dollar amount, to the cent below $100 and to four places below a cent.
pub fn money(value: &Value) -> String {
    dollars(value.as_f64().unwrap_or(0.0))
}

/// `amount` as dollars.
pub fn dollars(amount: f64) -> String {
    if amount != 0.0 && amount.abs() < 0.01 {
        format!("${amount:.6}")
    } else {
        format!("${amount:.2}")
    }
}

/// A JSON list of names as one line (empty for none).
pub fn joined(value: &Value) -> String {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// A model list as shown: empty means every model.
pub fn models(value: &Value) -> String {
    let models = joined(value);
    if models.is_empty() {
        "all".to_owned()
    } else {
        models
    }
}

/// A dollar amount, or empty when unset.
pub fn budget(value: &Value) -> String {
    if value.is_null() {
        String::new()
    } else {
        money(value)
    }
}

/// The entries of a JSON list mapped by `show` (none when it is no list).
pub fn each<T>(value: &Value, show: impl FnMut(&Value) -> T) -> Vec<T> {
    value.as_array().into_iter().flatten().map(show).collect()
}

/// A name as shown: `name`, or `fallback` when it is empty (an alias, else
/// the id).
pub fn named(name: &Value, fallback: &Value) -> String {
    match text(name) {
        name if name.is_empty() => text(fallback),
        name => name,
    }
}

/// A link to a related object (a user's teams, a team's keys).
pub struct Link {
    pub name: String,
    pub href: String,
}

impl Link {
    /// A link to the object `id` under `prefix`, shown as `name`.
    pub fn to(prefix: &str, id: &str, name: String) -> Self {
        Self {
            href: href(prefix, id),
            name,
        }
    }

    /// A link to a key of the answer (`token`, shown by alias or name).
    pub fn key(key: &Value) -> Self {
        Self::to(
            "/ui/keys",
            &text(&key["token"]),
            named(&key["key_alias"], &key["key_name"]),
        )
    }

    /// A link to a team of the answer (shown by alias or id).
    pub fn team(team: &Value) -> Self {
        Self::to(
            "/ui/teams",
            &text(&team["team_id"]),
            named(&team["team_alias"], &team["team_id"]),
        )
    }
}

/// The date part of a timestamp.
pub fn day(value: &Value) -> String {
    text(value).chars().take(10).collect()
}

/// The current values `limits.html` fills its fields with (as typed, not
/// as shown); `max_parallel` is `None` where the form has no such field.
#[derive(Default)]
pub struct Limits {
    pub max_budget: String,
    pub budget_duration: String,
    pub rpm_limit: String,
    pub tpm_limit: String,
    pub max_parallel: Option<String>,
}

impl Limits {
    /// The values of a row (a key, team, user or budget row).
    pub fn of(row: &Value) -> Self {
        Self {
            max_budget: text(&row["max_budget"]),
            budget_duration: text(&row["budget_duration"]),
            rpm_limit: text(&row["rpm_limit"]),
            tpm_limit: text(&row["tpm_limit"]),
            max_parallel: None,
        }
    }

    /// With the parallel-requests field.
    pub fn with_parallel(mut self, row: &Value) -> Self {
        self.max_parallel = Some(text(&row["max_parallel_requests"]));
        self
    }
}

/// Characters kept as they are in a path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `prefix` followed by `id` as one path segment (ids are the API's and may
/// hold any character).
pub fn href(prefix: &str, id: &str) -> String {
    format!("{prefix}/{}", segment(id))
}

/// An id as one segment of a console URL (ids such as budget ids are
/// chosen by users and may hold `/`, `?` or spaces).
pub fn segment(id: &str) -> String {
    utf8_percent_encode(id, SEGMENT).to_string()
}

/// A JSON value laid out for reading (empty for null).
pub fn pretty(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

/// A stored timestamp to the minute (`2025-01-31 14:05`).
pub fn minute(value: &Value) -> String {
    text(value).replace('T', " ").chars().take(16).collect()
}

/// One option of a `<select>` or radio group.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    /// The options `(value, label)`, with `current` selected.
    pub fn list(options: &[(&str, &str)], current: &str) -> Vec<Self> {
        options
            .iter()
            .map(|(value, label)| Self {
                value: (*value).to_owned(),
                label: (*label).to_owned(),
                selected: *value == current,
            })
            .collect()
    }
}

/// Links to the previous and next page, keeping the list's filters.
pub struct Pager {
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    pub prev: String,
    pub next: String,
}

impl Pager {
    /// The pager of `info` for the list at `path` filtered by `filters`.
    pub fn new(path: &str, filters: &[(&str, &str)], info: PageInfo) -> Self {
        let link = |page: i64| {
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (name, value) in filters.iter().filter(|(_, value)| !value.is_empty()) {
                query.append_pair(name, value);
            }
            query.append_pair("page", &page.to_string());
            format!("{path}?{}", query.finish())
        };
        let page = info.current_page;
        Self {
            page,
            pages: info.total_pages.max(1),
            total: info.total_count,
            prev: if page > 1 {
                link(page - 1)
            } else {
                String::new()
            },
            next: if page < info.total_pages {
                link(page + 1)
            } else {
                String::new()
            },
        }
    }
}

/// One bar of a chart.
pub struct Bar {
    pub x: String,
    pub y: String,
    pub width: String,
    pub height: String,
    /// The tooltip (`<title>`): the day and its figure.
    pub label: String,
}

/// A bar chart drawn on the server, one bar per day.
pub struct Chart {
    pub width: u32,
    pub height: u32,
    pub bars: Vec<Bar>,
    pub max_label: String,
    pub first_day: String,
    pub last_day: String,
}

/// Chart geometry: the drawing area and the gap between bars.
const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 160.0;
const GAP: f64 = 2.0;

impl Chart {
    /// Bars for `(day, value)` pairs; `show` formats a value for labels.
    pub fn bars(days: &[(String, f64)], show: impl Fn(f64) -> String) -> Self {
        let max = days.iter().map(|(_, value)| *value).fold(0.0_f64, f64::max);
        let slot = WIDTH / days.len().max(1) as f64;
        let bars = days
            .iter()
            .enumerate()
            .map(|(index, (day, value))| {
                let height = if max > 0.0 {
                    (value / max * HEIGHT).max(if *value > 0.0 { 1.0 } else { 0.0 })
                } else {
                    0.0
                };
                Bar {
                    x: format!("{:.1}", index as f64 * slot + GAP / 2.0),
                    y: format!("{:.1}", HEIGHT - height),
                    width: format!("{:.1}", (slot - GAP).max(1.0)),
                    height: format!("{height:.1}"),
                    label: format!("{day}: {}", show(*value)),
                }
            })
            .collect();
        Self {
            width: WIDTH as u32,
            height: HEIGHT as u32,
            bars,
            max_label: show(max),
            first_day: days.first().map(|(day, _)| day.clone()).unwrap_or_default(),
            last_day: days.last().map(|(day, _)| day.clone()).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_show_plainly() {
        assert_eq!(text(&json!(null)), "");
        assert_eq!(text(&json!("a")), "a");
        assert_eq!(text(&json!(3)), "3");
        assert_eq!(money(&json!(1.5)), "$1.50");
        assert_eq!(money(&json!(0.000123)), "$0.000123");
        assert_eq!(models(&json!([])), "all");
        assert_eq!(models(&json!(["a", "b"])), "a, b");
        assert_eq!(budget(&json!(null)), "");
        assert_eq!(href("/ui/teams", "a b/c?"), "/ui/teams/a%20b%2Fc%3F");
    }

    #[test]
    fn ids_fit_in_one_segment() {
        assert_eq!(segment("team budget/1?"), "team%20budget%2F1%3F");
        assert_eq!(segment("a-b_c.d~e"), "a-b_c.d~e");
        assert_eq!(
            minute(&json!("2025-01-31T14:05:59+00:00")),
            "2025-01-31 14:05"
        );
    }

    #[test]
    fn pagers_keep_filters() {
        let info = PageInfo {
            total_count: 45,
            current_page: 2,
            total_pages: 3,
        };
        let pager = Pager::new("/ui/keys", &[("search", "a b"), ("model", "")], info);
        assert_eq!(pager.prev, "/ui/keys?search=a+b&page=1");
        assert_eq!(pager.next, "/ui/keys?search=a+b&page=3");
    }

    #[test]
    fn bars_scale_to_the_largest_day() {
        let chart = Chart::bars(
            &[("d1".into(), 0.0), ("d2".into(), 2.0), ("d3".into(), 4.0)],
            |v| format!("{v}"),
        );
        assert_eq!(chart.bars.len(), 3);
        assert_eq!(chart.bars[2].height, "160.0");
        assert_eq!(chart.bars[1].height, "80.0");
        assert_eq!(chart.bars[0].height, "0.0");
        assert_eq!(chart.first_day, "d1");
    }
}
