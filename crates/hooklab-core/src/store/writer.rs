//! The one writer: a thread that owns the write connection and commits every request waiting
//! at that moment in one transaction (group commit), answering each only after the commit.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use rusqlite::Connection;
use tokio::sync::{broadcast, mpsc, oneshot};

use super::StoreError;
use super::checkpoint::{checkpoint, run_checkpointer};
use super::record::{NewEvent, Recorded, record};
use super::user_index::IndexPass;
use crate::bus::BusEvent;

/// The most requests one transaction commits.
const MAX_BATCH: usize = 512;

/// Work for the writer.
pub(crate) enum Job {
    /// Record one request and answer when it is committed. The request comes back with the
    /// answer so that freeing it happens on its own task, not on the writer.
    Record(Box<NewEvent>, oneshot::Sender<Answer>),
    /// Finish, checkpoint, and stop.
    Close(oneshot::Sender<()>),
}

/// The outcome, and the request handed back.
pub(crate) type Answer = (Result<Recorded, StoreError>, Box<NewEvent>);

type Pending = (Box<NewEvent>, oneshot::Sender<Answer>);

/// Starts the writer thread (and its checkpointer) over an open, migrated connection.
pub(crate) fn spawn_writer(
    conn: Connection,
    path: PathBuf,
    jobs: mpsc::Receiver<Job>,
    bus: broadcast::Sender<BusEvent>,
) -> std::io::Result<JoinHandle<()>> {
    let (nudge, nudges) = sync_channel(1);
    let restart_wanted = Arc::new(AtomicBool::new(false));
    let wanted = Arc::clone(&restart_wanted);
    let checkpointer = std::thread::Builder::new()
        .name("hooklab-checkpoint".into())
        .spawn(move || run_checkpointer(path, nudges, wanted))?;
    let wal = Wal {
        nudge,
        restart_wanted,
        checkpointer,
    };
    std::thread::Builder::new()
        .name("hooklab-writer".into())
        .spawn(move || run_writer(conn, jobs, bus, wal, IndexPass::new()))
}

/// The writer's side of the checkpointer.
struct Wal {
    nudge: SyncSender<()>,
    restart_wanted: Arc<AtomicBool>,
    checkpointer: JoinHandle<()>,
}

fn run_writer(
    conn: Connection,
    mut jobs: mpsc::Receiver<Job>,
    bus: broadcast::Sender<BusEvent>,
    wal: Wal,
    mut index: IndexPass,
) {
    let mut batch: Vec<Pending> = Vec::with_capacity(MAX_BATCH);
    let mut closing = None;
    while closing.is_none() {
        let Some(first) = jobs.blocking_recv() else {
            break;
        };
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Record(event, reply) => batch.push((event, reply)),
                Job::Close(done) => closing = Some(done),
            }
            if closing.is_none() && batch.len() < MAX_BATCH {
                next = jobs.try_recv().ok();
            }
        }
        if wal.restart_wanted.swap(false, Ordering::AcqRel) {
            // Between batches: lets the next transaction restart the WAL (see checkpoint.rs).
            checkpoint(&conn, "PASSIVE");
        }
        if index.due() {
            index.run(&conn);
        }
        if !batch.is_empty() {
            commit_batch(&conn, &mut batch, &bus, &mut index);
            let _ = wal.nudge.try_send(());
        }
    }
    index.run(&conn);
    drop(wal.nudge);
    let _ = wal.checkpointer.join();
    checkpoint(&conn, "TRUNCATE");
    drop(conn);
    if let Some(done) = closing {
        let _ = done.send(());
    }
}

/// Commits the batch in one transaction. Should any request's writes fail, the batch is rolled
/// back and retried with each request in its own savepoint, so one bad request cannot fail the
/// others; the common path pays for no savepoints.
fn commit_batch(
    conn: &Connection,
    batch: &mut Vec<Pending>,
    bus: &broadcast::Sender<BusEvent>,
    index: &mut IndexPass,
) {
    let results = match in_transaction(conn, batch, |event| record(conn, event), true) {
        Ok(results) if results.iter().any(Result::is_err) => {
            in_transaction(conn, batch, |event| record_in_savepoint(conn, event), false)
        }
        other => other,
    };
    match results {
        Ok(results) => {
            for ((event, reply), result) in batch.drain(..).zip(results) {
                let answer = result.map_err(|e| StoreError::from_write(&e));
                if let Ok(recorded) = &answer {
                    if recorded.duplicate.is_none() {
                        index.add(1);
                    }
                    publish(bus, recorded);
                }
                let _ = reply.send((answer, event));
            }
        }
        Err(e) => {
            let err = StoreError::from_write(&e);
            for (event, reply) in batch.drain(..) {
                let _ = reply.send((Err(err.clone()), event));
            }
        }
    }
}

/// Runs `each` over the batch inside BEGIN … COMMIT. With `all_or_nothing`, any failure rolls
/// the whole batch back (the caller then retries with savepoints).
fn in_transaction(
    conn: &Connection,
    batch: &[Pending],
    each: impl Fn(&NewEvent) -> rusqlite::Result<Recorded>,
    all_or_nothing: bool,
) -> rusqlite::Result<Vec<rusqlite::Result<Recorded>>> {
    run(conn, "BEGIN IMMEDIATE")?;
    let results: Vec<_> = batch.iter().map(|(event, _)| each(event)).collect();
    if all_or_nothing && results.iter().any(Result::is_err) {
        let _ = run(conn, "ROLLBACK");
        return Ok(results);
    }
    if let Err(e) = run(conn, "COMMIT") {
        let _ = run(conn, "ROLLBACK");
        return Err(e);
    }
    Ok(results)
}

/// One request's writes either all land or none do, without failing its batch-mates.
fn record_in_savepoint(conn: &Connection, event: &NewEvent) -> rusqlite::Result<Recorded> {
    run(conn, "SAVEPOINT one")?;
    match record(conn, event) {
        Ok(recorded) => {
            run(conn, "RELEASE one")?;
            Ok(recorded)
        }
        Err(e) => {
            let _ = run(conn, "ROLLBACK TO one");
            let _ = run(conn, "RELEASE one");
            Err(e)
        }
    }
}

fn run(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

fn publish(bus: &broadcast::Sender<BusEvent>, recorded: &Recorded) {
    if bus.receiver_count() == 0 {
        return;
    }
    let event = if recorded.duplicate.is_some() {
        BusEvent::OutcomeUpdated(recorded.summary.clone())
    } else {
        BusEvent::Captured(recorded.summary.clone())
    };
    let _ = bus.send(event);
    if let Some(user_id) = &recorded.user_changed {
        let _ = bus.send(BusEvent::UserChanged {
            user_id: user_id.clone(),
        });
    }
}
