//! `hooklab bench`: the receiver in-process on loopback with a fresh database (or, with
//! `--target`, one already running in another process), driven over real HTTP by signed
//! requests in a realistic mix; prints throughput, latency percentiles and peak memory, then
//! checks the users table against what the mix implies. It never fails on time.

mod remote;
mod report;
mod soak;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use std::ops::Range;

use hooklab_core::engine::{Engine, EngineConfig};
use hooklab_core::load::{Endpoint, MIX, Plan, Progress, Sample};
use hooklab_core::receiver;
use hooklab_core::secret::{Secret, SecretOrigin};
use hooklab_core::store::Retention;
use tokio::net::TcpListener;

use crate::args::BenchArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::output::say;
use report::Report;

/// A throwaway key for the benchmark only (base64 of 24 fixed bytes).
const BENCH_SECRET: &str = "whsec_aG9va2xhYi1iZW5jaC1zZWNyZXQta2V5";

/// Runs the benchmark.
pub async fn run(ctx: Context, args: BenchArgs) -> Result<(), CliError> {
    if ctx.db_given {
        return Err(CliError::usage(
            "bench does not use --db: it drives a receiver, its own on a temporary database or \
             the one at --target",
            "To load-test a receiver on a database of yours: `hooklab serve --db PATH` in one \
             terminal, then `hooklab bench --target URL --check-db PATH` in another.",
        ));
    }
    match args.target.as_deref() {
        Some(target) => remote::run(&ctx, &args, target).await,
        None if args.soak => soak::run(&ctx, &args).await,
        None => in_process(&ctx, &args).await,
    }
}

/// A receiver in this process, on loopback, over a fresh database in a temporary folder.
struct Local {
    engine: Engine,
    endpoint: Endpoint,
    db: PathBuf,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

impl Local {
    async fn start(args: &BenchArgs, retention: Retention) -> Result<Self, CliError> {
        let io = |e: std::io::Error| CliError::Io(e.to_string());
        let dir = tempfile::tempdir().map_err(io)?;
        let db = dir.path().join("bench.db");
        let mut config = EngineConfig::new(db.clone());
        config.store.synchronous = args.synchronous;
        config.store.retention = retention;
        config.secrets = vec![Secret::parse(BENCH_SECRET, SecretOrigin::Flag)?];
        let engine = Engine::start(config)?;
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(io)?;
        let endpoint =
            Endpoint::loopback(listener.local_addr().map_err(io)?, &engine.webhook_path());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(receiver::serve(listener, engine.clone(), async {
            let _ = stopped.await;
        }));
        Ok(Self {
            engine,
            endpoint,
            db,
            stop,
            server,
            _dir: dir,
        })
    }

    /// The plan of `args.events` requests, signed with the receiver's secret.
    fn plan(args: &BenchArgs) -> Result<Arc<Plan>, CliError> {
        let secret = Secret::parse(BENCH_SECRET, SecretOrigin::Flag)?;
        plan(args.events.max(1), secret)
    }

    /// Stops serving and closes the store (the database stays until `self` is dropped).
    async fn stop(self) -> (PathBuf, tempfile::TempDir) {
        let _ = self.stop.send(());
        let _ = self.server.await;
        self.engine.close().await;
        (self.db, self._dir)
    }
}

/// The receiver in this process on a fresh temp database.
async fn in_process(ctx: &Context, args: &BenchArgs) -> Result<(), CliError> {
    let local = Local::start(args, Retention::OFF).await?;
    let plan = Local::plan(args)?;
    if !ctx.json {
        say!(
            "hooklab bench: {} signed requests over {} connections to {}, \
             synchronous={:?}, {} users, {MIX}",
            plan.total(),
            args.concurrency,
            local.endpoint.url(),
            args.synchronous,
            plan.user_count()
        );
    }
    let wal_peak = Arc::new(AtomicU64::new(0));
    let watcher = tokio::spawn(watch_wal(
        local.db.with_extension("db-wal"),
        Arc::clone(&wal_peak),
    ));
    let started = Instant::now();
    let samples = drive(&local.endpoint, &plan, args.concurrency, 0..plan.total()).await?;
    let elapsed = started.elapsed();
    watcher.abort();
    let (db, _dir) = local.stop().await;

    let mut report = Report::new(&samples, elapsed, args.report_every);
    report.check = Some(plan.check(&db)?);
    report.peak_rss_mb = Some(report::peak_rss_mb());
    report.db_mb = report::file_mb(&db);
    report.wal_peak_mb = Some(wal_peak.load(Ordering::Relaxed) as f64 / 1e6);
    finish(ctx, &report, "")
}

/// The signed mix of `events` requests.
fn plan(events: usize, secret: Secret) -> Result<Arc<Plan>, CliError> {
    Ok(Arc::new(Plan::new(events, secret).map_err(CliError::Io)?))
}

/// Sends requests `range` of the plan over `concurrency` connections; fails when one got no
/// answer.
async fn drive(
    endpoint: &Endpoint,
    plan: &Arc<Plan>,
    concurrency: usize,
    range: Range<usize>,
) -> Result<Vec<Sample>, CliError> {
    let progress = Arc::new(Progress::default());
    let samples = hooklab_core::load::drive(endpoint, plan, concurrency, range, &progress)
        .await
        .map_err(CliError::Io)?;
    // A receiver that stops answering fails the benchmark, with why.
    match progress.error() {
        Some(why) => Err(CliError::Io(format!("benchmark connection: {why}"))),
        None => Ok(samples),
    }
}

/// Prints the report; fails on a non-2xx answer or a wrong user (`note` ends the message).
fn finish(ctx: &Context, report: &Report, note: &str) -> Result<(), CliError> {
    report.print(ctx.json);
    verdict(report, note)
}

/// Fails on a non-2xx answer or a wrong user.
fn verdict(report: &Report, note: &str) -> Result<(), CliError> {
    let wrong = report.check.as_ref().map_or(0, |c| c.wrong);
    if report.failed_requests > 0 || wrong > 0 {
        return Err(CliError::Failed(format!(
            "{} requests failed, {wrong} users are wrong{note}",
            report.failed_requests
        )));
    }
    Ok(())
}

/// Samples the WAL file's size every 50 ms and keeps the largest (a stat is cheap enough to
/// run on the runtime).
async fn watch_wal(wal: PathBuf, peak: Arc<AtomicU64>) {
    loop {
        if let Ok(meta) = std::fs::metadata(&wal) {
            peak.fetch_max(meta.len(), Ordering::Relaxed);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
