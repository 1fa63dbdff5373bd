//! `hooklab`: the headless command line over Hooklab's engine, for terminals and CI.

mod args;
mod bench;
mod config;
mod context;
mod error;
mod output;
mod query;
mod send;
mod serve;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};
use context::Context;
use error::CliError;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.global.json;
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if json {
                output::print_json(&serde_json::json!({
                    "error": e.to_string(), "hint": e.hint(),
                }));
            } else {
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
        Command::Event { key } => query::event(&ctx, &key),
        Command::Users(args) => query::users(&ctx, args),
        Command::User { id } => query::user(&ctx, &id),
        Command::Config(command) => config::run(ctx, command),
        Command::Bench(args) => runtime()?.block_on(bench::run(ctx, args)),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Io(format!("cannot start the async runtime: {e}")))
}
