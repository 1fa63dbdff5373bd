//! `hooklab bench --target URL`: the same load against a receiver already running in another
//! process (so the numbers are not flattered by sharing one), signed with the CLI's secret.
//! The users check runs only with `--check-db`; memory and WAL are not measured.

use std::path::Path;
use std::time::Instant;

use hooklab_core::load::{Endpoint, MIX};
use hooklab_core::store::{StoreError, open_for_reading};

use super::report::{self, Report};
use super::{drive, finish, plan};
use crate::args::BenchArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::output::say;

/// Drives the receiver at `target`.
pub async fn run(ctx: &Context, args: &BenchArgs, target: &str) -> Result<(), CliError> {
    let example = format!(
        "http://127.0.0.1:{}{}",
        ctx.port(None),
        ctx.webhook_path(None)
    );
    let endpoint = Endpoint::resolve(target).await.map_err(|problem| {
        CliError::usage(
            format!("--target {target}: {problem}"),
            format!("Give the receiver's URL as http://HOST:PORT/PATH, e.g. --target {example}"),
        )
    })?;
    let secret = ctx.secrets()?.into_iter().next().ok_or_else(|| {
        CliError::usage(
            "bench --target needs the signing secret the receiver verifies with",
            "Run `hooklab config set-secret` (or pass --secret): the secret the receiver \
             verifies with.",
        )
    })?;
    if let Some(db) = &args.check_db {
        readable(db)?;
    }
    reachable(&endpoint, &example).await?;

    let events = args.events.max(1);
    let plan = plan(events, secret)?;
    if !ctx.json {
        say!(
            "hooklab bench: {events} signed requests over {} connections to {} (a receiver in \
             another process), {} users, {MIX}",
            args.concurrency,
            endpoint.url(),
            plan.user_count()
        );
    }
    let started = Instant::now();
    let samples = drive(&endpoint, &plan, args.concurrency, 0..plan.total()).await?;
    let elapsed = started.elapsed();

    let mut report = Report::new(&samples, elapsed, args.report_every);
    report.target = Some(endpoint.url());
    match &args.check_db {
        Some(db) => {
            report.check = Some(plan.check(db)?);
            report.db_mb = report::file_mb(db);
        }
        None => {
            report.check_skipped = Some(
                "the receiver's database is not known here; pass --check-db PATH to compare its \
                 users table with what the mix implies"
                    .to_owned(),
            );
        }
    }
    let mut note = String::new();
    if let Some(n) = report.unauthorized {
        note.push_str(&format!(
            "; {n} answered 401: does the receiver verify with this --secret?"
        ));
    }
    if report
        .check
        .as_ref()
        .is_some_and(|c| c.wrong > 0 && c.wrong == c.users)
    {
        note.push_str("; is --check-db the receiver's database?");
    }
    finish(ctx, &report, &note)
}

/// Fails before the run, not after it, on a `--check-db` that is no Hooklab database.
fn readable(db: &Path) -> Result<(), CliError> {
    match open_for_reading(db) {
        Ok(_) => Ok(()),
        Err(StoreError::NotFound(_)) => Err(CliError::usage(
            format!("--check-db: no Hooklab database at {}", db.display()),
            "Pass the database the receiver writes: the path `hooklab serve` prints on its \
             `database` line.",
        )),
        Err(e) => Err(e.into()),
    }
}

/// Fails with a hint when nothing listens at the target.
async fn reachable(endpoint: &Endpoint, example: &str) -> Result<(), CliError> {
    endpoint.connect().await.map(drop).map_err(|problem| {
        CliError::usage(
            format!("nothing answers at {problem}"),
            format!(
                "Start the receiver in another terminal with the same secret, e.g. `hooklab \
                 serve --secret whsec_…`, then pass its URL (like {example})."
            ),
        )
    })
}
