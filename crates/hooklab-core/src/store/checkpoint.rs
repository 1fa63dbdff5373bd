//! WAL checkpoints on their own thread, so the writer never waits on a checkpoint's fsync, and
//! a bound on the WAL under constant load.
//!
//! Under sustained writes a passive checkpoint never catches up with the writer, so SQLite
//! never restarts the WAL and it grows without limit (measured here: 150 MB in 40,000 events).
//! A blocking RESTART from this thread is worse: it polls for the write lock against a writer
//! that always holds it (70–900 ms stalls measured). So when the WAL passes the limit, this
//! thread asks the writer, which between two batches runs one passive checkpoint of the frames
//! committed since this thread's last pass (measured: 85–150 ms, mostly the fsync, once per
//! ~10,000 events at full load); its next transaction then restarts the WAL from the
//! beginning, overwriting the file in place instead of growing it.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use super::connection::open_reader;
use crate::alarm::{Alarm, AlarmSink};

/// WAL size past which the writer is asked to let the WAL restart (64 MiB: the writer's share
/// of a restart then stays under about 100 ms).
const WAL_LIMIT_BYTES: i64 = 64 * 1024 * 1024;

/// Runs until the writer drops its sender: after each nudge, a passive checkpoint; raises
/// `restart_wanted` when the WAL has grown past the limit.
pub(crate) fn run_checkpointer(
    path: PathBuf,
    nudges: Receiver<()>,
    restart_wanted: Arc<AtomicBool>,
    alarm: AlarmSink,
) {
    let conn = match open_reader(&path) {
        Ok(conn) => conn,
        Err(e) => {
            alarm(Alarm::new(
                "checkpointer_failed",
                format!(
                    "the WAL checkpointer cannot open the database: {e}; the -wal file will grow without bound"
                ),
                "Restart Hooklab; check that the database's folder is writable and the disk is not full.",
            ));
            // Still drain nudges, so the writer never blocks on them.
            while nudges.recv().is_ok() {}
            return;
        }
    };
    // A checkpoint copies WAL frames straight to the database file: no page cache needed.
    let _ = conn.pragma_update(None, "cache_size", -128);
    let page_size: i64 = conn
        .pragma_query_value(None, "page_size", |r| r.get(0))
        .unwrap_or(4096);
    let frame_limit = WAL_LIMIT_BYTES / page_size.max(512);
    loop {
        match nudges.recv_timeout(Duration::from_secs(1)) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        if checkpoint(&conn, "PASSIVE").is_some_and(|(log, _)| log > frame_limit) {
            // One more pass right away, so the writer's share is only what came in meanwhile.
            checkpoint(&conn, "PASSIVE");
            restart_wanted.store(true, Ordering::Release);
        }
        // Let a few commits gather between checkpoints.
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs one checkpoint; returns (frames in the log, frames checkpointed).
pub(crate) fn checkpoint(conn: &rusqlite::Connection, mode: &str) -> Option<(i64, i64)> {
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
        Ok((r.get(1)?, r.get(2)?))
    })
    .ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed expectation is a failed test
mod tests {
    use std::sync::atomic::AtomicBool;
    use std::sync::mpsc::sync_channel;
    use std::sync::{Arc, Mutex};

    use super::run_checkpointer;
    use crate::alarm::Alarm;

    #[test]
    fn a_checkpointer_that_cannot_open_raises_the_alarm_and_ends_with_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let alarms = Arc::new(Mutex::new(Vec::<Alarm>::new()));
        let heard = Arc::clone(&alarms);
        let sink = Arc::new(move |alarm: Alarm| heard.lock().unwrap().push(alarm));
        let (nudge, nudges) = sync_channel(1);
        let missing = dir.path().join("no-such-folder").join("hooklab.db");
        let checkpointer = std::thread::spawn(move || {
            run_checkpointer(missing, nudges, Arc::new(AtomicBool::new(false)), sink);
        });
        // The writer nudges with try_send, so it never waits; the checkpointer ends with it.
        let _ = nudge.try_send(());
        drop(nudge);
        checkpointer.join().unwrap();
        let alarms = alarms.lock().unwrap();
        assert_eq!(alarms.len(), 1);
        assert_eq!(alarms[0].code, "checkpointer_failed");
        assert!(
            alarms[0].message.contains("grow without bound"),
            "{}",
            alarms[0].message
        );
    }
}
