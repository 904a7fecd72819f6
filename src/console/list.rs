//! What every searchable, paged list page shares: its `?search=&page=`
//! parameters and what its template shows around the rows (the chrome, the
//! "new" button's permission, the search box and the pager). No queries
//! here: each family asks its own management function for one page.

use serde::Deserialize;
use serde_json::Value;

use super::page::{AccountConsole, Chrome};
use super::view::Pager;
use crate::management::paging::{PageInfo, PageQuery};

/// Rows per list page.
pub const PAGE_SIZE: i64 = 20;

/// `?search=&page=`, the query every list page takes (a page with more
/// filters reads them with a second `Query`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListParams {
    search: String,
    page: Option<i64>,
}

impl ListParams {
    /// The search text, trimmed (empty for none).
    pub fn search(&self) -> &str {
        self.search.trim()
    }

    /// The search text for lookups that take `None` as "everything".
    pub fn filter(&self) -> Option<&str> {
        Some(self.search()).filter(|search| !search.is_empty())
    }

    /// The page asked for, the first when none is.
    pub fn page(&self) -> i64 {
        self.page.unwrap_or(1)
    }

    /// The page asked for, at the console's page size.
    pub fn page_query(&self) -> PageQuery {
        PageQuery {
            page: self.page(),
            size: PAGE_SIZE,
        }
    }
}

/// One page of a list, with what its template shows around the rows; list
/// templates read these fields (a family's page type derefs to it).
pub struct Listing<R> {
    pub chrome: Chrome,
    /// Whether the "new" button shows.
    pub can_write: bool,
    pub search: String,
    pub rows: Vec<R>,
    pub pager: Pager,
}

impl<R> Listing<R> {
    /// The page of `rows` at `path`; the pager keeps the search and
    /// `filters`.
    pub fn new(
        chrome: Chrome,
        can_write: bool,
        path: &str,
        params: &ListParams,
        filters: &[(&str, &str)],
        rows: Vec<R>,
        info: PageInfo,
    ) -> Self {
        let mut kept = vec![("search", params.search())];
        kept.extend_from_slice(filters);
        Self {
            chrome,
            can_write,
            search: params.search().to_owned(),
            rows,
            pager: Pager::new(path, &kept, info),
        }
    }
}

impl AccountConsole {
    /// An account list page titled `title` at `path` (marked current in
    /// the navigation).
    pub fn listing<R>(
        &self,
        title: &str,
        path: &str,
        params: &ListParams,
        rows: Vec<R>,
        info: PageInfo,
    ) -> Listing<R> {
        let chrome = self.chrome(title, path);
        Listing::new(chrome, self.can_write(), path, params, &[], rows, info)
    }
}

/// The paging figures of a management list answer, under the names that
/// answer uses (`[total, page, pages]`).
pub fn page_info(answer: &Value, [total, page, pages]: [&str; 3]) -> PageInfo {
    PageInfo {
        total_count: answer[total].as_i64().unwrap_or(0),
        current_page: answer[page].as_i64().unwrap_or(1),
        total_pages: answer[pages].as_i64().unwrap_or(0),
    }
}

/// Declares a list page's template type: a `Listing` of `$row`s rendered
/// by `$path`, whose fields the template reads through `Deref`.
macro_rules! list_page {
    ($name:ident, $row:ty, $path:literal) => {
        #[derive(askama::Template)]
        #[template(path = $path)]
        struct $name($crate::console::list::Listing<$row>);

        impl std::ops::Deref for $name {
            type Target = $crate::console::list::Listing<$row>;

            fn deref(&self) -> &Self::Target {
                &self.0
            }
        }
    };
}

pub(crate) use list_page;
