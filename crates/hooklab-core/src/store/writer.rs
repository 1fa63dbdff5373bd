//! The one writer: a thread that owns the write connection and commits every request waiting
//! at that moment in one transaction (group commit), answering each only after the commit.

use std::path::PathBuf;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use rusqlite::Connection;
use tokio::sync::{broadcast, mpsc, oneshot};

use super::StoreError;
use super::checkpoint::{checkpoint, run_checkpointer};
use super::record::{NewEvent, Recorded, record};
use crate::bus::BusEvent;

/// The most requests one transaction commits.
const MAX_BATCH: usize = 512;

/// Work for the writer.
pub(crate) enum Job {
    /// Record one request and answer when it is committed.
    Record(Box<NewEvent>, oneshot::Sender<Result<Recorded, StoreError>>),
    /// Finish, checkpoint, and stop.
    Close(oneshot::Sender<()>),
}

type Pending = (Box<NewEvent>, oneshot::Sender<Result<Recorded, StoreError>>);

/// Starts the writer thread (and its checkpointer) over an open, migrated connection.
pub(crate) fn spawn_writer(
    conn: Connection,
    path: PathBuf,
    jobs: mpsc::Receiver<Job>,
    bus: broadcast::Sender<BusEvent>,
) -> std::io::Result<JoinHandle<()>> {
    let (nudge, nudges) = sync_channel(1);
    let checkpointer = std::thread::Builder::new()
        .name("hooklab-checkpoint".into())
        .spawn(move || run_checkpointer(path, nudges))?;
    std::thread::Builder::new()
        .name("hooklab-writer".into())
        .spawn(move || run_writer(conn, jobs, bus, nudge, checkpointer))
}

fn run_writer(
    conn: Connection,
    mut jobs: mpsc::Receiver<Job>,
    bus: broadcast::Sender<BusEvent>,
    nudge: SyncSender<()>,
    checkpointer: JoinHandle<()>,
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
        if !batch.is_empty() {
            commit_batch(&conn, &mut batch, &bus);
            let _ = nudge.try_send(());
        }
    }
    drop(nudge);
    let _ = checkpointer.join();
    checkpoint(&conn, "TRUNCATE");
    drop(conn);
    if let Some(done) = closing {
        let _ = done.send(());
    }
}

fn commit_batch(conn: &Connection, batch: &mut Vec<Pending>, bus: &broadcast::Sender<BusEvent>) {
    if let Err(e) = run(conn, "BEGIN IMMEDIATE") {
        let err = StoreError::from_write(&e);
        for (_, reply) in batch.drain(..) {
            let _ = reply.send(Err(err.clone()));
        }
        return;
    }
    let results: Vec<rusqlite::Result<Recorded>> = batch
        .iter()
        .map(|(event, _)| record_in_savepoint(conn, event))
        .collect();
    if let Err(e) = run(conn, "COMMIT") {
        let _ = run(conn, "ROLLBACK");
        let err = StoreError::from_write(&e);
        for (_, reply) in batch.drain(..) {
            let _ = reply.send(Err(err.clone()));
        }
        return;
    }
    for ((_, reply), result) in batch.drain(..).zip(results) {
        let answer = result.map_err(|e| StoreError::from_write(&e));
        if let Ok(recorded) = &answer {
            publish(bus, recorded);
        }
        let _ = reply.send(answer);
    }
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
