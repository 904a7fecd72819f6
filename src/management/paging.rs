//! Pages of lists that can grow: `page` from 1, `size` up to 100.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The largest page.
pub const MAX_PAGE_SIZE: i64 = 100;

/// `?page=&size=` (LiteLLM also spells it `page_size`).
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[serde(default)]
pub struct PageQuery {
    pub page: i64,
    #[serde(alias = "page_size")]
    pub size: i64,
}

impl Default for PageQuery {
    fn default() -> Self {
        Self { page: 1, size: 10 }
    }
}

impl PageQuery {
    /// The page, clamped to what is allowed.
    pub fn clamped(self) -> Self {
        Self {
            page: self.page.max(1),
            size: self.size.clamp(1, MAX_PAGE_SIZE),
        }
    }

    /// Rows to skip.
    pub fn offset(self) -> i64 {
        let page = self.clamped();
        (page.page - 1) * page.size
    }

    /// Rows to return.
    pub fn limit(self) -> i64 {
        self.clamped().size
    }

    /// Pages needed for `total` rows.
    pub fn total_pages(self, total: i64) -> i64 {
        let size = self.limit();
        (total + size - 1) / size
    }
}

/// Paging figures returned with a page.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct PageInfo {
    pub total_count: i64,
    pub current_page: i64,
    pub total_pages: i64,
}

impl PageInfo {
    /// The figures of `query`'s page among `total` rows.
    pub fn of(query: PageQuery, total: i64) -> Self {
        Self {
            total_count: total,
            current_page: query.clamped().page,
            total_pages: query.total_pages(total),
        }
    }
}

/// Reads one page of a searchable list: `count_sql` counts the matches of
/// `params`; `page_sql` takes the same parameters followed by LIMIT and
/// OFFSET and returns one JSON column per row.
pub async fn read_page(
    tx: &crate::db::TenantTx,
    count_sql: &str,
    page_sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    query: PageQuery,
) -> Result<(Vec<serde_json::Value>, PageInfo), crate::db::DbError> {
    let total: i64 = tx.query_one(count_sql, params).await?.get(0);
    let (limit, offset) = (query.limit(), query.offset());
    let mut all = params.to_vec();
    all.push(&limit);
    all.push(&offset);
    let rows = tx.query(page_sql, &all).await?;
    Ok((
        rows.iter().map(|row| row.get(0)).collect(),
        PageInfo::of(query, total),
    ))
}
