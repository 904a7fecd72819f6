//! The integration suite: one binary, a real PostgreSQL (a throwaway
//! database per test), real HTTP over loopback.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test should stop at the first surprise, loudly"
)]

mod common;
mod console;
mod governance;
mod import;
mod isolation;
mod management;
mod migrate;
mod providers;
mod proxy;
mod rls;
mod server;
mod shapes;
mod spend;
