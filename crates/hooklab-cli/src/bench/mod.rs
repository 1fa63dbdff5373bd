//! `hooklab bench`: the receiver in-process on loopback with a fresh database, driven over real
//! HTTP by signed requests in a realistic mix; prints throughput, latency percentiles and peak
//! memory, then checks the users table against what the mix implies. It never fails on time.

mod load;
mod mix;
mod report;
mod template;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use hooklab_core::engine::{Engine, EngineConfig};
use hooklab_core::receiver;
use hooklab_core::secret::{Secret, SecretOrigin};
use tokio::net::TcpListener;

use crate::args::BenchArgs;
use crate::context::Context;
use crate::error::CliError;

/// A throwaway key for the benchmark only (base64 of 24 fixed bytes).
const BENCH_SECRET: &str = "whsec_aG9va2xhYi1iZW5jaC1zZWNyZXQta2V5";

/// Runs the benchmark.
pub async fn run(ctx: Context, args: BenchArgs) -> Result<(), CliError> {
    let io = |e: std::io::Error| CliError::Io(e.to_string());
    let dir = tempfile::tempdir().map_err(io)?;
    let db = dir.path().join("bench.db");
    let secret = Secret::parse(BENCH_SECRET, SecretOrigin::Flag)?;
    let mut config = EngineConfig::new(db.clone());
    config.store.synchronous = args.synchronous;
    config.secrets = vec![Secret::parse(BENCH_SECRET, SecretOrigin::Flag)?];
    let engine = Engine::start(config)?;
    let listener = TcpListener::bind("127.0.0.1:0").await.map_err(io)?;
    let addr = listener.local_addr().map_err(io)?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(receiver::serve(listener, engine.clone(), async {
        let _ = stopped.await;
    }));

    let events = args.events.max(1);
    let plan = Arc::new(mix::Plan::new(events, secret)?);
    if !ctx.json {
        println!(
            "hooklab bench: {events} signed requests over {} connections to http://{addr}, \
             synchronous={:?}, {} users, mix: 25% user.created, 35% user.updated, 5% \
             user.deleted, 35% session.created, 5% redeliveries",
            args.concurrency,
            args.synchronous,
            plan.user_count()
        );
    }
    let wal_peak = Arc::new(AtomicU64::new(0));
    let watcher = tokio::spawn(watch_wal(
        db.with_extension("db-wal"),
        Arc::clone(&wal_peak),
    ));
    let started = Instant::now();
    let samples = load::drive(addr, engine.webhook_path(), &plan, args.concurrency).await?;
    let elapsed = started.elapsed();
    watcher.abort();
    let _ = stop.send(());
    let _ = server.await;
    engine.close().await;

    let check = plan.check(&db)?;
    let mut report = report::Report::new(&samples, elapsed, args.report_every, &db, check);
    report.wal_peak_mb = wal_peak.load(Ordering::Relaxed) as f64 / 1e6;
    report.print(ctx.json);
    if report.failed_requests > 0 || report.check.wrong > 0 {
        return Err(CliError::Failed(format!(
            "{} requests failed, {} users are wrong",
            report.failed_requests, report.check.wrong
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
