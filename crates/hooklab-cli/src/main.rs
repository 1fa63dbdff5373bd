//! `hooklab`: the headless command line over Hooklab's engine, for terminals and CI.

mod args;
mod bench;
mod config;
mod context;
mod error;
mod follow;
mod live;
mod output;
mod query;
mod recover;
mod replay;
mod send;
mod serve;
mod when;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};
use context::Context;
use error::CliError;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.global.json;
    init_logging(matches!(cli.command, Command::Serve(_)));
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A command that fails what it checked (`Failed`) has already printed its one JSON
            // document, failure included: one document per invocation.
            if json && !matches!(e, CliError::Failed(_)) {
                output::print_json(&serde_json::json!({
                    "error": e.to_string(), "hint": e.hint(),
                }));
            } else if !json {
                eprintln!("error: {e}");
                if let Some(hint) = e.hint() {
                    eprintln!("  hint: {hint}");
                }
            }
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), CliError> {
    let ctx = Context::load(cli.global)?;
    match cli.command {
        Command::Serve(args) => runtime()?.block_on(serve::run(ctx, args)),
        Command::Send(args) => runtime()?.block_on(send::run(ctx, args)),
        Command::Fixtures => {
            send::list(&ctx);
            Ok(())
        }
        Command::Events(args) => query::events(&ctx, args),
        Command::Event { key, raw } => query::event(&ctx, &key, raw),
        Command::Users(args) => query::users(&ctx, args),
        Command::User { id } => query::user(&ctx, &id),
        Command::Replay(args) => runtime()?.block_on(replay::run(ctx, args)),
        Command::Recover(args) => runtime()?.block_on(recover::run(ctx, args)),
        Command::Config(command) => config::run(ctx, command),
        Command::Bench(args) => runtime()?.block_on(bench::run(ctx, args)),
    }
}

/// Logs go to stderr: warnings and errors, plus what `serve` applies (settings, ports);
/// `HOOKLAB_LOG` (e.g. `debug`) overrides.
fn init_logging(serving: bool) {
    let default = if serving { "info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("HOOKLAB_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Io(format!("cannot start the async runtime: {e}")))
}
