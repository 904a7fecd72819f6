//! Virtual keys as the proxy sees them: the record a key hash resolves to,
//! and the in-memory cache that keeps the hot path free of database round
//! trips (invalidated by `LISTEN/NOTIFY`, with a TTL as a backstop).

mod cache;
mod record;

pub use cache::KeyCache;
pub use record::{KeyRecord, TeamRecord, load_key};
