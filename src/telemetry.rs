//! Logging setup. Structured logs go to stderr; `RUST_LOG` filters them and
//! `ALCHEMI_LOG_FORMAT=json` switches to JSON lines for log shippers.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls are ignored so tests can
/// call it freely.
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tokio_postgres=warn,refinery_core=warn"));
    let json = std::env::var("ALCHEMI_LOG_FORMAT").is_ok_and(|format| format == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _already_set = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
