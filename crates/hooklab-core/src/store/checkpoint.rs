//! WAL checkpoints on their own thread, so the writer never waits on a checkpoint's fsync, and
//! a bound on the WAL so it cannot grow without limit under constant load.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use super::connection::open_reader;

/// WAL frames (pages) after which a blocking RESTART checkpoint bounds the log.
const WAL_FRAME_LIMIT: i64 = 16_384;

/// Runs until the writer drops its sender: after each nudge, a passive checkpoint.
pub(crate) fn run_checkpointer(path: PathBuf, nudges: Receiver<()>) {
    let Ok(conn) = open_reader(&path) else {
        return;
    };
    loop {
        match nudges.recv_timeout(Duration::from_secs(1)) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        let frames = checkpoint(&conn, "PASSIVE");
        if frames.is_some_and(|(log, done)| log > WAL_FRAME_LIMIT && done < log) {
            checkpoint(&conn, "RESTART");
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
