//! The console's static files (CSS, the copy-button script), embedded in the
//! binary and served under content-hashed URLs, so browsers may cache them
//! forever and a new build is fetched at once. Nothing dynamic goes here.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

/// The files under `static/`.
#[derive(RustEmbed)]
#[folder = "static/"]
struct Files;

/// Where the console serves its static files.
pub const PREFIX: &str = "/ui/static";

/// Each file's content hash (the first 16 hex digits of its sha256).
static HASHES: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    Files::iter()
        .filter_map(|name| {
            let file = Files::get(&name)?;
            let hash = hex::encode(file.metadata.sha256_hash());
            Some((name.into_owned(), hash[..16].to_owned()))
        })
        .collect()
});

/// The hashed URL of the static file `name`.
pub fn url(name: &str) -> String {
    let hash = HASHES.get(name).map_or("0", String::as_str);
    format!("{PREFIX}/{hash}/{name}")
}

/// Serves a file when the hash in the URL is its current one.
pub async fn serve(Path((hash, name)): Path<(String, String)>) -> Response {
    let current = HASHES.get(&name);
    let Some(file) = Files::get(&name).filter(|_| current == Some(&hash)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mime = if name.ends_with(".css") {
        "text/css; charset=utf-8"
    } else if name.ends_with(".js") {
        "text/javascript; charset=utf-8"
    } else {
        "application/octet-stream"
    };
    let mut response = file.data.into_owned().into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_carry_the_content_hash() {
        let css = url("console.css");
        assert!(css.starts_with("/ui/static/"), "{css}");
        assert!(css.ends_with("/console.css"));
        assert_eq!(css.split('/').nth(3).map(str::len), Some(16));
    }
}
