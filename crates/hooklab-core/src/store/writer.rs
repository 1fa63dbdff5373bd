//! The one writer: a thread that owns the write connection and commits every request waiting
//! at that moment in one transaction (group commit), answering each only after the commit.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::{mpsc, oneshot};

use super::checkpoint::{checkpoint, run_checkpointer};
use super::file_watch::{Check, FileWatch};
use super::ledger::{Ledger, NewEvent, Recorded};
use super::retention::{self, PrunePass};
use super::text_index::TextPass;
use super::user_index::IndexPass;
use super::{Settle, StoreError};
use crate::alarm::{Alarm, AlarmSink};

/// The most requests one transaction commits.
const MAX_BATCH: usize = 512;

/// Work for the writer.
pub(crate) enum Job {
    /// Record one request and answer when it is committed. The request comes back with the
    /// answer so that freeing it happens on its own task, not on the writer.
    Record(Box<NewEvent>, oneshot::Sender<Answer>),
    /// Check the retention limits now (they changed, or the store just opened).
    Prune,
    /// Finish, checkpoint, and stop.
    Close(oneshot::Sender<()>),
}

/// The outcome, and the request handed back.
pub(crate) type Answer = (Result<Recorded, StoreError>, Box<NewEvent>);

type Pending = (Box<NewEvent>, oneshot::Sender<Answer>);

/// What the writer thread needs besides its connection and its jobs.
pub(crate) struct WriterParts {
    /// The database file (for the checkpointer's own connection).
    pub path: PathBuf,
    /// The engine's rules, run inside each transaction.
    pub settle: Settle,
    /// Where failures no request reports go.
    pub alarm: AlarmSink,
    /// Raised when the writer stops without being asked to (it died).
    pub stopped: Arc<AtomicBool>,
    /// The retention policy in force.
    pub retention: retention::Shared,
}

/// Starts the writer thread (and its checkpointer) over an open, migrated connection.
pub(crate) fn spawn_writer(
    conn: Connection,
    jobs: mpsc::Receiver<Job>,
    parts: WriterParts,
) -> std::io::Result<JoinHandle<()>> {
    let (nudge, nudges) = sync_channel(1);
    let restart_wanted = Arc::new(AtomicBool::new(false));
    let wanted = Arc::clone(&restart_wanted);
    let (path, alarm) = (parts.path.clone(), Arc::clone(&parts.alarm));
    let checkpointer = std::thread::Builder::new()
        .name("hooklab-checkpoint".into())
        .spawn(move || run_checkpointer(path, nudges, wanted, alarm))?;
    let wal = Wal {
        nudge,
        restart_wanted,
        checkpointer,
    };
    let jobs = Jobs {
        jobs,
        clock: tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()?,
    };
    std::thread::Builder::new()
        .name("hooklab-writer".into())
        .spawn(move || {
            let watch = Watch {
                alarm: Arc::clone(&parts.alarm),
                stopped: Arc::clone(&parts.stopped),
                asked: false,
            };
            run_writer(conn, jobs, &parts, wal, IndexPass::new(), watch);
        })
}

/// The writer's queue, and a timer to wait on it for a while.
struct Jobs {
    jobs: mpsc::Receiver<Job>,
    clock: tokio::runtime::Runtime,
}

/// What waiting for a job found.
enum Next {
    Job(Job),
    Nothing,
    Closed,
}

impl Jobs {
    /// The next job, waiting at most `wait` for it.
    fn within(&mut self, wait: Duration) -> Next {
        let jobs = &mut self.jobs;
        let found = if wait.is_zero() {
            match jobs.try_recv() {
                Ok(job) => Some(job),
                Err(TryRecvError::Empty) => return Next::Nothing,
                Err(TryRecvError::Disconnected) => None,
            }
        } else {
            match self
                .clock
                .block_on(async { tokio::time::timeout(wait, jobs.recv()).await })
            {
                Ok(job) => job,
                Err(_) => return Next::Nothing,
            }
        };
        found.map_or(Next::Closed, Next::Job)
    }
}

/// Raises `writer_stopped` if the writer ends (returns or panics) without being closed.
struct Watch {
    alarm: AlarmSink,
    stopped: Arc<AtomicBool>,
    asked: bool,
}

impl Drop for Watch {
    fn drop(&mut self) {
        if !self.asked {
            self.stopped.store(true, Ordering::Release);
            (self.alarm)(Alarm::new(
                "writer_stopped",
                "the database writer stopped unexpectedly: no event can be stored, every \
                 request is answered 500",
                "Restart Hooklab. If it happens again, the log file has the cause.",
            ));
        }
    }
}

/// The writer's side of the checkpointer.
struct Wal {
    nudge: SyncSender<()>,
    restart_wanted: Arc<AtomicBool>,
    checkpointer: JoinHandle<()>,
}

impl Wal {
    /// Between two transactions: when the checkpointer asks, one passive checkpoint, so the
    /// next transaction restarts the WAL (see checkpoint.rs).
    fn let_restart(&self, conn: &Connection) {
        if self.restart_wanted.swap(false, Ordering::AcqRel) {
            checkpoint(conn, "PASSIVE");
        }
    }

    /// Between two slices of a long pass (pruning, indexing): the checkpointer hears that the
    /// WAL grew and may ask for a restart, so a pass that writes hundreds of MB keeps the WAL
    /// as bounded as a burst of requests does.
    fn between(&self, conn: &Connection) {
        let _ = self.nudge.try_send(());
        self.let_restart(conn);
    }
}

fn run_writer(
    conn: Connection,
    mut queue: Jobs,
    parts: &WriterParts,
    wal: Wal,
    mut index: IndexPass,
    mut watch: Watch,
) {
    let mut batch: Vec<Pending> = Vec::with_capacity(MAX_BATCH);
    let mut closing = None;
    let mut file = FileWatch::new(&parts.path);
    let mut prune = PrunePass::new(Arc::clone(&parts.retention));
    let mut text = TextPass::new();
    while closing.is_none() {
        // A pruning pass that gave way to requests resumes as soon as none waits; indexing
        // event text waits until requests have stopped for a moment (see text_index.rs).
        let wait = if prune.unfinished() {
            Some(Duration::ZERO)
        } else {
            text.due_in()
        };
        let first = match wait {
            Some(wait) => match queue.within(wait) {
                Next::Job(job) => job,
                // Indexing after a burst writes as much as the burst: the WAL's bound holds
                // here too.
                Next::Nothing if prune.unfinished() => {
                    prune.run(&conn, || {
                        wal.between(&conn);
                        queue.jobs.is_empty()
                    });
                    continue;
                }
                Next::Nothing => {
                    wal.between(&conn);
                    text.run(&conn);
                    continue;
                }
                Next::Closed => break,
            },
            None => match queue.jobs.blocking_recv() {
                Some(job) => job,
                None => break,
            },
        };
        text.busy();
        let jobs = &mut queue.jobs;
        let mut next = Some(first);
        let mut prune_now = false;
        while let Some(job) = next.take() {
            match job {
                Job::Record(event, reply) => batch.push((event, reply)),
                Job::Prune => prune_now = true,
                Job::Close(done) => closing = Some(done),
            }
            if closing.is_none() && batch.len() < MAX_BATCH {
                next = jobs.try_recv().ok();
            }
        }
        wal.let_restart(&conn);
        if index.due() {
            index.run(&conn);
        }
        if !batch.is_empty() {
            match file.check() {
                Check::Same => {
                    commit_batch(&conn, &mut batch, parts, &mut index);
                    let _ = wal.nudge.try_send(());
                }
                found => refuse_batch(&mut batch, parts, found == Check::JustGone),
            }
        }
        // After the batch is answered, and only while no request waits.
        if prune_now {
            prune.forget();
        }
        if closing.is_none() && (prune_now || prune.due()) {
            prune.run(&conn, || {
                wal.between(&conn);
                jobs.is_empty()
            });
        }
    }
    index.run(&conn);
    drop(wal.nudge);
    let _ = wal.checkpointer.join();
    checkpoint(&conn, "TRUNCATE");
    drop(conn);
    watch.asked = closing.is_some();
    drop(watch);
    if let Some(done) = closing {
        let _ = done.send(());
    }
}

/// The database file was deleted or replaced: nothing is written into the orphaned file and
/// nothing is acknowledged; the first time, everyone is told.
fn refuse_batch(batch: &mut Vec<Pending>, parts: &WriterParts, first: bool) {
    let err = StoreError::FileGone(parts.path.clone());
    if first {
        (parts.alarm)(Alarm::new(
            "db_file_gone",
            format!(
                "the database file {} was deleted or replaced while Hooklab was running: \
                 nothing more is acknowledged (every request is answered 503)",
                parts.path.display()
            ),
            "Restart Hooklab. Events acknowledged before are in the old file, which this \
             process still holds open: copy it out of /proc/<pid>/fd/ first if you need them.",
        ));
    }
    tracing::warn!(error = %err, requests = batch.len(), "a batch was refused");
    for (event, reply) in batch.drain(..) {
        let _ = reply.send((Err(err.clone()), event));
    }
}

/// Commits the batch in one transaction. Should any request's writes fail, the batch is rolled
/// back and retried with each request in its own savepoint, so one bad request cannot fail the
/// others; the common path pays for no savepoints.
fn commit_batch(
    conn: &Connection,
    batch: &mut Vec<Pending>,
    parts: &WriterParts,
    index: &mut IndexPass,
) {
    let ledger = Ledger::new(conn);
    let settle = parts.settle;
    let alarm = &parts.alarm;
    let results = match in_transaction(&ledger, batch, |event| settle(&ledger, event), true, alarm)
    {
        Ok(results) if results.iter().any(Result::is_err) => in_transaction(
            &ledger,
            batch,
            |event| in_savepoint(&ledger, || settle(&ledger, event), alarm),
            false,
            alarm,
        ),
        other => other,
    };
    match results {
        Ok(results) => {
            for ((event, reply), result) in batch.drain(..).zip(results) {
                let answer = result.map_err(StoreError::from_write);
                if let Ok(recorded) = &answer
                    && recorded.duplicate.is_none()
                {
                    index.add(1);
                }
                if let Err(e) = &answer {
                    tracing::warn!(error = %e, "one request's writes failed; it was answered 500");
                }
                let _ = reply.send((answer, event));
            }
        }
        Err(e) => {
            let err = StoreError::from_write(e);
            tracing::warn!(error = %err, requests = batch.len(), "a batch could not be committed");
            for (event, reply) in batch.drain(..) {
                let _ = reply.send((Err(err.clone()), event));
            }
        }
    }
}

/// Runs `each` over the batch inside BEGIN … COMMIT. With `all_or_nothing`, any failure rolls
/// the whole batch back (the caller then retries with savepoints).
fn in_transaction(
    ledger: &Ledger<'_>,
    batch: &[Pending],
    each: impl Fn(&NewEvent) -> rusqlite::Result<Recorded>,
    all_or_nothing: bool,
    alarm: &AlarmSink,
) -> rusqlite::Result<Vec<rusqlite::Result<Recorded>>> {
    let conn = ledger.conn();
    ledger.forget_changes_since(0);
    if !conn.is_autocommit() {
        // A rollback failed earlier (its alarm was raised): without this, every later BEGIN
        // would fail and the half-done writes would wait to be committed with the next batch.
        roll_back(conn, "ROLLBACK", alarm);
    }
    run(conn, "BEGIN IMMEDIATE")?;
    let results: Vec<_> = batch.iter().map(|(event, _)| each(event)).collect();
    if all_or_nothing && results.iter().any(Result::is_err) {
        roll_back(conn, "ROLLBACK", alarm);
        return Ok(results);
    }
    // The batch's change-feed rows in a few multi-row inserts, then the commit.
    if let Err(e) = ledger.flush_changes().and_then(|()| run(conn, "COMMIT")) {
        roll_back(conn, "ROLLBACK", alarm);
        return Err(e);
    }
    Ok(results)
}

/// One request's writes either all land or none do, without failing its batch-mates.
fn in_savepoint(
    ledger: &Ledger<'_>,
    write: impl FnOnce() -> rusqlite::Result<Recorded>,
    alarm: &AlarmSink,
) -> rusqlite::Result<Recorded> {
    let conn = ledger.conn();
    let mark = ledger.pending_changes();
    run(conn, "SAVEPOINT one")?;
    match write() {
        Ok(recorded) => {
            run(conn, "RELEASE one")?;
            Ok(recorded)
        }
        Err(e) => {
            ledger.forget_changes_since(mark);
            roll_back(conn, "ROLLBACK TO one", alarm);
            let _ = run(conn, "RELEASE one");
            Err(e)
        }
    }
}

/// Rolls back; a rollback that fails leaves the connection in an unknown state: say so.
fn roll_back(conn: &Connection, sql: &str, alarm: &AlarmSink) {
    if let Err(e) = run(conn, sql) {
        // No transaction left to roll back is not a failure.
        if conn.is_autocommit() {
            return;
        }
        alarm(Alarm::new(
            "rollback_failed",
            format!("a failed database write could not be rolled back: {e}"),
            "Restart Hooklab so the database connection starts clean; nothing acknowledged is \
             lost.",
        ));
    }
}

fn run(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failed expectation is a failed test
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use rusqlite::Connection;
    use tokio::sync::oneshot;

    use super::super::migrate::create_schema;
    use super::super::{Ledger, NewEvent, Recorded, Store, StoreError, StoreOptions};
    use super::{in_transaction, roll_back};
    use crate::alarm::{Alarm, AlarmSink};
    use crate::capture::{Capture, Source, now_ms};
    use crate::settle::settle;
    use crate::verify::Verification;

    /// Sync rules with a bug that takes the writer thread down.
    fn dies(_: &Ledger<'_>, _: &NewEvent) -> rusqlite::Result<Recorded> {
        panic!("a bug in the sync rules (injected by the test)");
    }

    fn request() -> NewEvent {
        let capture = Capture {
            received_ms: now_ms(),
            source: Source::Local,
            remote: None,
            method: "POST".into(),
            path: "/api/webhooks/clerk".into(),
            headers: http::HeaderMap::new(),
            body: bytes::Bytes::from_static(b"{}"),
            body_size: 2,
            incomplete: None,
            replay_of: None,
        };
        let verification = Verification::MissingHeader {
            header: "svix-id".into(),
        };
        NewEvent::new(capture, 400, verification, None, None)
    }

    #[test]
    fn a_failed_rollback_raises_the_alarm_and_the_next_batch_starts_clean() {
        let alarms = Arc::new(Mutex::new(Vec::<Alarm>::new()));
        let heard = Arc::clone(&alarms);
        let sink: AlarmSink = Arc::new(move |alarm: Alarm| heard.lock().unwrap().push(alarm));
        let conn = Connection::open_in_memory().unwrap();
        create_schema(&conn).unwrap();
        conn.execute_batch("CREATE TABLE t (x); BEGIN; INSERT INTO t VALUES ('half-done');")
            .unwrap();

        roll_back(&conn, "ROLLBACK TO no_such_savepoint", &sink);
        let codes = |alarms: &Mutex<Vec<Alarm>>| -> Vec<String> {
            alarms
                .lock()
                .unwrap()
                .iter()
                .map(|a| a.code.clone())
                .collect()
        };
        assert_eq!(codes(&alarms), ["rollback_failed"]);
        assert!(!conn.is_autocommit(), "the transaction is still open");

        let ledger = Ledger::new(&conn);
        let (reply, _answer) = oneshot::channel();
        let batch = [(Box::new(request()), reply)];
        let results = in_transaction(&ledger, &batch, |event| settle(&ledger, event), true, &sink)
            .expect("the next batch commits");
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(
            count("SELECT count(*) FROM events"),
            1,
            "the next request is stored"
        );
        assert_eq!(
            count("SELECT count(*) FROM t"),
            0,
            "the half-done write was not committed with it"
        );
        assert!(conn.is_autocommit());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_writer_that_dies_raises_the_alarm_and_the_next_request_knows() {
        let dir = tempfile::tempdir().unwrap();
        let alarms = Arc::new(Mutex::new(Vec::<Alarm>::new()));
        let heard = Arc::clone(&alarms);
        let sink = Arc::new(move |alarm: Alarm| heard.lock().unwrap().push(alarm));
        let store = Store::open(
            &dir.path().join("hooklab.db"),
            StoreOptions::default(),
            dies,
            sink,
        )
        .unwrap();

        assert!(
            store.record(request()).await.is_err(),
            "nothing is acknowledged"
        );
        for _ in 0..100 {
            if store.writer_stopped() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(store.writer_stopped());
        let codes: Vec<String> = alarms
            .lock()
            .unwrap()
            .iter()
            .map(|a| a.code.clone())
            .collect();
        assert_eq!(codes, ["writer_stopped"]);
        let next = store.record(request()).await;
        assert!(
            matches!(next, Err(StoreError::WriterStopped)),
            "the next request is told why: {next:?}"
        );
    }
}
