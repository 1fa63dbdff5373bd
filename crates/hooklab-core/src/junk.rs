//! What unsigned traffic may cost once the receiver is public. A request no configured secret
//! signed keeps at most the first 64 KiB of its body, and a client past ten such requests a
//! second (bursts of 50) is answered 429 with its body dropped. Every request is still
//! recorded; signed deliveries (clock skew included) and the local machine are never limited.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Mutex, PoisonError};

use crate::capture::Source;
use crate::store::NewEvent;
use crate::sync::{SyncKind, SyncOutcome};
use crate::verify::Verification;

/// Bytes kept of a body no configured secret signed (Clerk events are a few KB).
pub const KEEP_UNSIGNED_BODY: usize = 64 * 1024;
/// Unsigned requests one client may send per second, on average.
pub const UNSIGNED_PER_SEC: f64 = 10.0;
/// Unsigned requests one client may send in a burst.
pub const UNSIGNED_BURST: f64 = 50.0;
/// Clients tracked at once. Past this, the ones back at a full bucket are forgotten (at most
/// once a second), and new clients that still do not fit share one bucket: many addresses
/// cannot buy a fresh burst each, nor make the limiter forget the clients it is limiting.
const MAX_CLIENTS: usize = 10_000;
/// The key of the bucket shared by clients that do not fit (no peer has this address).
const OVERFLOW: IpAddr = IpAddr::V6(Ipv6Addr::UNSPECIFIED);

/// The per-client buckets of unsigned requests.
#[derive(Debug, Default)]
pub(crate) struct JunkLimits {
    clients: Mutex<Clients>,
}

#[derive(Debug, Default)]
struct Clients {
    buckets: HashMap<IpAddr, Bucket>,
    /// When full buckets were last forgotten.
    swept_ms: i64,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at_ms: i64,
}

impl Bucket {
    fn refilled(self, now_ms: i64) -> f64 {
        let secs = (now_ms - self.at_ms).max(0) as f64 / 1000.0;
        (self.tokens + secs * UNSIGNED_PER_SEC).min(UNSIGNED_BURST)
    }
}

impl JunkLimits {
    /// Applies the limits to a judged request before it is stored.
    pub(crate) fn apply(&self, new: &mut NewEvent) {
        if signed(&new.verification) {
            return;
        }
        let capture = &new.capture;
        let client = match capture.source {
            Source::Tunnel => capture.remote.map(|a| a.ip()),
            Source::Local => capture
                .remote
                .map(|a| a.ip())
                .filter(|ip| !ip.is_loopback()),
            Source::Replay | Source::Test => None,
        };
        // Now, not the arrival: a slow upload must not move a client's clock backwards.
        if let Some(ip) = client
            && !self.take(client_key(ip), crate::capture::now_ms())
        {
            rate_limited(new);
            return;
        }
        if new.capture.body.len() > KEEP_UNSIGNED_BODY {
            new.capture.body.truncate(KEEP_UNSIGNED_BODY);
            if let Some((_, Some(hint))) = &mut new.unsynced {
                hint.push_str(&format!(
                    " Only the first {} KiB of the body were kept: no configured secret signed \
                     it.",
                    KEEP_UNSIGNED_BODY / 1024
                ));
            }
        }
    }

    /// Takes one request from `ip`'s bucket; false when it is empty.
    fn take(&self, ip: IpAddr, now_ms: i64) -> bool {
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        let Clients { buckets, swept_ms } = &mut *clients;
        let mut ip = ip;
        if buckets.len() >= MAX_CLIENTS && !buckets.contains_key(&ip) {
            if now_ms - *swept_ms >= 1000 {
                buckets.retain(|_, b| b.refilled(now_ms) < UNSIGNED_BURST);
                *swept_ms = now_ms;
            }
            if buckets.len() >= MAX_CLIENTS {
                ip = OVERFLOW;
            }
        }
        let bucket = buckets.entry(ip).or_insert(Bucket {
            tokens: UNSIGNED_BURST,
            at_ms: now_ms,
        });
        let now_ms = now_ms.max(bucket.at_ms);
        let tokens = bucket.refilled(now_ms);
        let allowed = tokens >= 1.0;
        *bucket = Bucket {
            tokens: if allowed { tokens - 1.0 } else { tokens },
            at_ms: now_ms,
        };
        allowed
    }
}

/// The address a bucket is kept for: IPv4 as is, IPv6 by its /64 (one client usually holds a
/// whole /64, and would otherwise get a fresh burst per address).
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(prefix.into())
        }
    }
}

/// Whether a configured secret produced the signature (a skewed clock is still Clerk).
fn signed(verification: &Verification) -> bool {
    matches!(
        verification,
        Verification::Verified { .. }
            | Verification::TimestampTooOld { .. }
            | Verification::TimestampTooNew { .. }
    )
}

/// Turns a request over its client's limit into a 429 record without its body.
fn rate_limited(new: &mut NewEvent) {
    new.status = 429;
    new.capture.body = bytes::Bytes::new();
    let hint = format!(
        "This address sent more than {UNSIGNED_PER_SEC} unsigned requests a second (bursts of \
         {UNSIGNED_BURST}), so this one was answered 429 and its body was not kept. Requests \
         signed with your secret are never limited."
    );
    new.unsynced = Some((
        SyncOutcome::new(SyncKind::NotSynced, "not synced: rate limited"),
        Some(hint),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(limits: &JunkLimits, ip: &str, at: i64) {
        for _ in 0..UNSIGNED_BURST as usize {
            assert!(limits.take(client_key(ip.parse().unwrap()), at));
        }
    }

    #[test]
    fn one_ipv6_slash_64_is_one_client() {
        let limits = JunkLimits::default();
        drain(&limits, "2001:db8:1:2::1", 1_000);
        let sibling = client_key("2001:db8:1:2:ffff::9".parse().unwrap());
        assert!(!limits.take(sibling, 1_000), "same /64, same bucket");
        let other = client_key("2001:db8:1:3::1".parse().unwrap());
        assert!(limits.take(other, 1_000), "another /64 has its own");
    }

    #[test]
    fn many_addresses_share_one_burst_and_cannot_free_a_limited_client() {
        let limits = JunkLimits::default();
        drain(&limits, "203.0.113.9", 1_000);
        let limited = client_key("203.0.113.9".parse().unwrap());
        // Fill the table with clients that each sent one request.
        for n in 1..MAX_CLIENTS as u32 {
            let ip = IpAddr::V4((0x0A00_0000 + n).into());
            assert!(limits.take(ip, 1_000));
        }
        // Newcomers that do not fit share one bucket…
        for n in 0..UNSIGNED_BURST as u32 {
            let ip = IpAddr::V4((0x0B00_0000 + n).into());
            assert!(
                limits.take(ip, 1_000),
                "newcomer {n} within the shared burst"
            );
        }
        let late = IpAddr::V4(0x0C00_0001.into());
        assert!(!limits.take(late, 1_000), "the shared burst is spent");
        // …and the client being limited stays limited.
        assert!(!limits.take(limited, 1_000));
        // Once the others' buckets are full again, they are forgotten and newcomers fit.
        assert!(limits.take(late, 10_000));
    }

    #[test]
    fn a_late_reading_of_the_clock_does_not_refill_the_bucket() {
        let limits = JunkLimits::default();
        drain(&limits, "203.0.113.9", 10_000);
        let ip = client_key("203.0.113.9".parse().unwrap());
        assert!(
            !limits.take(ip, 0),
            "an earlier time must not count as time passed"
        );
        assert!(!limits.take(ip, 10_000));
        assert!(limits.take(ip, 10_100), "tokens come back with time");
    }
}
