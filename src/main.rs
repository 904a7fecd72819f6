//! The `alchemi` binary: parses the command line, sets up logging and hands
//! over to the library. Nothing else belongs here.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc: the proxy allocates many small short-lived values per request,
/// which it serves noticeably faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = alchemi::config::Cli::parse();
    alchemi::telemetry::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(alchemi::run(cli))
}
