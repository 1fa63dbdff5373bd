//! `hooklab bench --soak`: the in-process receiver with the app's default retention, loaded in
//! bursts; after each burst it samples what a user of a long-running Hooklab meets — database
//! and WAL size, memory, and how long the app's queries take — so a cost that grows with the
//! stored events shows as a rising column.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hooklab_core::store::{EventFilter, MIN_SIZE_MB, Retention, Store, StoreError, UserQuery};
use serde::Serialize;

use super::report::{self, Report};
use hooklab_core::load::MIX;

use super::{Local, drive, finish, verdict, watch_wal};
use crate::args::BenchArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::output::{print_json, say};

/// Text no event or user holds: a search for it reads everything it cannot rule out.
const ABSENT: &str = "hooklab-soak-absent";
/// Runs of each query per sample (the median is printed).
const RUNS: usize = 5;
/// The longest wait for the text index to catch up after a burst.
const SETTLE_LIMIT: Duration = Duration::from_secs(300);

/// One sample, after a burst.
#[derive(Debug, Clone, Serialize)]
struct Sample {
    /// Requests sent so far.
    sent: usize,
    /// The burst's throughput and p99 latency (ms).
    events_per_sec: f64,
    p99_ms: f64,
    /// Database and WAL file sizes, MB.
    db_mb: f64,
    wal_mb: f64,
    /// This process's resident memory (server and load generator), MB.
    rss_mb: f64,
    /// Events the text index had not reached when the burst ended, and how long it took to
    /// catch up (s).
    unindexed: i64,
    catch_up_s: f64,
    /// Median ms: searching event text right after the burst (the backlog scanned).
    search_right_after_ms: f64,
    /// Median ms once caught up: event text that is nowhere, a user's id in event text,
    /// users search for text that is nowhere, by a user's id, and a user's page with timeline.
    search_absent_ms: f64,
    search_user_ms: f64,
    users_absent_ms: f64,
    users_by_id_ms: f64,
    timeline_ms: f64,
}

/// Runs the soak.
pub async fn run(ctx: &Context, args: &BenchArgs) -> Result<(), CliError> {
    let mut retention = Retention::default();
    if let Some(mb) = args.retain_mb {
        retention.max_size_mb = Some(mb.max(MIN_SIZE_MB));
    }
    let local = Local::start(args, retention).await?;
    let plan = Local::plan(args)?;
    let every = args.report_every.max(1);
    if !ctx.json {
        say!(
            "hooklab bench --soak: {} signed requests in bursts of {every} over {} connections \
             to {}, {} users, retention: pages in use under {} MiB; {MIX}",
            plan.total(),
            args.concurrency,
            local.endpoint.url(),
            plan.user_count(),
            retention.max_size_mb.unwrap_or_default()
        );
    }
    let store = local.engine.store().clone();
    let wal_peak = Arc::new(AtomicU64::new(0));
    let watcher = tokio::spawn(watch_wal(
        local.db.with_extension("db-wal"),
        Arc::clone(&wal_peak),
    ));
    let mut all = Vec::new();
    let mut samples = Vec::new();
    // Time under load only: the pauses for measuring are left out of the overall numbers.
    let mut loaded = Duration::ZERO;
    let mut from = 0;
    while from < plan.total() {
        let to = (from + every).min(plan.total());
        let burst_started = Instant::now();
        let mut burst = drive(&local.endpoint, &plan, args.concurrency, from..to).await?;
        let took = burst_started.elapsed();
        let burst_report = Report::new(&burst, took, every);
        let offset_us = u64::try_from(loaded.as_micros()).unwrap_or(u64::MAX);
        for s in &mut burst {
            s.done_us += offset_us;
        }
        all.extend(burst);
        loaded += took;
        let user = plan.user_id(to.wrapping_mul(7919)).to_owned();
        samples.push(sample(&store, &local.db, to, &burst_report, &user).await?);
        if !ctx.json {
            print_row(samples.len() == 1, samples.last());
        }
        from = to;
    }
    watcher.abort();
    let (db, _dir) = local.stop().await;
    let mut report = Report::new(&all, loaded, every);
    report.check = Some(plan.check(&db)?);
    report.peak_rss_mb = Some(report::peak_rss_mb());
    report.db_mb = report::file_mb(&db);
    report.wal_peak_mb = Some(wal_peak.load(Ordering::Relaxed) as f64 / 1e6);
    if ctx.json {
        print_json(&serde_json::json!({ "samples": samples, "overall": report }));
        return verdict(&report, "");
    }
    finish(ctx, &report, "")
}

/// Measures everything after one burst.
async fn sample(
    store: &Store,
    db: &Path,
    sent: usize,
    burst: &Report,
    user: &str,
) -> Result<Sample, CliError> {
    let search = |text: &str| EventFilter {
        text: Some(text.to_owned()),
        ..EventFilter::default()
    };
    let unindexed = store.unindexed_events().await?;
    let search_right_after_ms = median_ms(|| store.events(search(ABSENT))).await?;
    let settling = Instant::now();
    while store.unindexed_events().await? > 0 && settling.elapsed() < SETTLE_LIMIT {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let catch_up_s = settling.elapsed().as_secs_f64();
    Ok(Sample {
        sent,
        events_per_sec: burst.overall.events_per_sec,
        p99_ms: burst.overall.p99_ms,
        db_mb: report::file_mb(db).unwrap_or_default(),
        wal_mb: report::file_mb(&db.with_extension("db-wal")).unwrap_or_default(),
        rss_mb: report::rss_mb(),
        unindexed,
        catch_up_s,
        search_right_after_ms,
        search_absent_ms: median_ms(|| store.events(search(ABSENT))).await?,
        search_user_ms: median_ms(|| store.events(search(user))).await?,
        users_absent_ms: median_ms(|| {
            store.users(UserQuery::newest(Some(ABSENT.into()), None, 50))
        })
        .await?,
        users_by_id_ms: median_ms(|| store.users(UserQuery::newest(Some(user.into()), None, 50)))
            .await?,
        timeline_ms: median_ms(|| store.user(user)).await?,
    })
}

/// The median time of `RUNS` runs of a query, ms.
async fn median_ms<T, F: Future<Output = Result<T, StoreError>>>(
    query: impl Fn() -> F,
) -> Result<f64, CliError> {
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        query().await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[RUNS / 2])
}

/// Column headings and widths of the table printed as the soak runs.
const COLUMNS: [(&str, usize); 14] = [
    ("sent", 9),
    ("ev/s", 6),
    ("p99", 6),
    ("db MB", 6),
    ("wal MB", 6),
    ("rss MB", 6),
    ("behind", 7),
    ("catch s", 7),
    ("after", 6),
    ("absent", 6),
    ("user", 6),
    ("u.abs", 6),
    ("u.id", 6),
    ("page", 6),
];

fn print_row(header: bool, sample: Option<&Sample>) {
    if header {
        say!(
            "After each burst: database and WAL size, this process's RSS; events the text index \
             had not reached (behind) and seconds until it had (catch s); then median query ms: \
             event text search right after the burst (after), once caught up for absent text \
             (absent) and for a user's id (user); users search for absent text (u.abs) and by \
             id (u.id); a user's page with timeline (page)."
        );
        let line: Vec<String> = COLUMNS.iter().map(|(h, w)| format!("{h:>w$}")).collect();
        say!("{}", line.join(" "));
    }
    let Some(s) = sample else { return };
    let values = [
        s.sent.to_string(),
        format!("{:.0}", s.events_per_sec),
        format!("{:.1}", s.p99_ms),
        format!("{:.0}", s.db_mb),
        format!("{:.0}", s.wal_mb),
        format!("{:.1}", s.rss_mb),
        s.unindexed.to_string(),
        format!("{:.1}", s.catch_up_s),
        format!("{:.1}", s.search_right_after_ms),
        format!("{:.1}", s.search_absent_ms),
        format!("{:.1}", s.search_user_ms),
        format!("{:.1}", s.users_absent_ms),
        format!("{:.1}", s.users_by_id_ms),
        format!("{:.1}", s.timeline_ms),
    ];
    let line: Vec<String> = COLUMNS
        .iter()
        .zip(values)
        .map(|((_, w), v)| format!("{v:>w$}"))
        .collect();
    say!("{}", line.join(" "));
}
