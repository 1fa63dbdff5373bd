//! Requests the store could not commit (answered 503 or 500, so Clerk retries them later): each
//! one logged with its reason and counted, and raised as an alarm at most once a second, so a
//! locked or broken database shows in the app's banner and in `serve` without a flood.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use crate::alarm::{Alarm, AlarmSink};
use crate::capture::now_ms;
use crate::store::StoreError;

/// Alarms about unstored requests are raised at most this often.
const ALARM_EVERY_MS: i64 = 1_000;

/// The count of unstored requests, and the alarm that reports them.
pub(crate) struct NotStored {
    count: AtomicU64,
    last_alarm_ms: AtomicI64,
    alarm: AlarmSink,
}

impl NotStored {
    pub(crate) fn new(alarm: AlarmSink) -> Self {
        Self {
            count: AtomicU64::new(0),
            last_alarm_ms: AtomicI64::new(i64::MIN),
            alarm,
        }
    }

    /// Requests not stored since the engine started.
    pub(crate) fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Records one request answered `status` because `error` kept it from the store.
    pub(crate) fn record(
        &self,
        request: &str,
        remote: Option<SocketAddr>,
        status: u16,
        error: &StoreError,
    ) {
        let total = self.count.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::warn!(
            status,
            request = %crate::text::printable(request),
            remote = ?remote,
            error = %error,
            total,
            "a request could not be stored; it was answered {status}, so Clerk will retry it"
        );
        let now = now_ms();
        let last = self.last_alarm_ms.load(Ordering::Relaxed);
        if now.saturating_sub(last) < ALARM_EVERY_MS
            || self
                .last_alarm_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        (self.alarm)(Alarm::new(
            "not_stored",
            format!(
                "{total} request(s) could not be stored since Hooklab started (the latest: \
                 {status} to {}, {error}).",
                crate::text::printable(request)
            ),
            "Nothing was acknowledged that is not stored: Clerk retries these deliveries on its \
             schedule. Another program holding the database (a `sqlite3` shell with an open \
             transaction, a backup) or a full disk are the usual causes; the log has each one.",
        ));
    }
}
