//! The supervisor's retry delays: exponential from `base`, never above `cap` (at most 30 s),
//! jittered downwards so many Hooklabs do not retry in step. ngrok-rs's own backoff (50 ms,
//! 2.5 s, 125 s, ~104 min) is never used: see docs/tunnel.md.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// No configuration waits longer than this between two attempts.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(30);
/// The share of a delay jitter may take off (a delay lies in `(1 - JITTER) × d ..= d`).
const JITTER: f64 = 0.25;

/// Retry delays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The delay before the first retry (before jitter).
    pub base: Duration,
    /// The longest delay; values above [`MAX_RETRY_DELAY`] are treated as that.
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(500),
            cap: MAX_RETRY_DELAY,
        }
    }
}

impl Backoff {
    /// The cap actually applied.
    pub fn effective_cap(&self) -> Duration {
        self.cap.min(MAX_RETRY_DELAY)
    }

    /// The delay before retry number `attempt` (1-based), before jitter.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        self.base
            .saturating_mul(1u32 << doublings)
            .min(self.effective_cap())
    }

    /// The jittered delay before retry number `attempt` (1-based). Until the cap is reached each
    /// delay is longer than the one before (the jitter never takes off more than a quarter).
    pub fn delay(&self, attempt: u32) -> Duration {
        jittered(self.ceiling(attempt))
    }

    /// The jittered delay for problems someone else must fix first: near the cap.
    pub fn slow(&self) -> Duration {
        jittered(self.effective_cap())
    }
}

fn jittered(d: Duration) -> Duration {
    d.mul_f64(1.0 - JITTER * unit_random())
}

/// A number in `[0, 1)` from std's randomly keyed hasher (jitter only, not cryptographic).
fn unit_random() -> f64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::hash::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_until_the_cap_and_never_exceed_it() {
        let b = Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_millis(1000),
        };
        let ceilings: Vec<u128> = (1..=7).map(|n| b.ceiling(n).as_millis()).collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1000, 1000, 1000]);
        for _ in 0..200 {
            let delays: Vec<Duration> = (1..=8).map(|n| b.delay(n)).collect();
            assert!(delays[..4].windows(2).all(|w| w[0] < w[1]), "{delays:?}");
            assert!(delays.iter().all(|d| *d <= b.cap), "{delays:?}");
            assert!(delays[7] >= Duration::from_millis(750), "{delays:?}");
        }
    }

    #[test]
    fn no_configuration_waits_longer_than_30_seconds() {
        let b = Backoff {
            base: Duration::from_secs(10),
            cap: Duration::from_secs(600),
        };
        assert!((1..=100).all(|n| b.delay(n) <= MAX_RETRY_DELAY));
        assert_eq!(b.ceiling(u32::MAX), MAX_RETRY_DELAY);
        assert!(b.slow() <= MAX_RETRY_DELAY && b.slow() >= MAX_RETRY_DELAY.mul_f64(0.75));
        assert_eq!(Backoff::default().effective_cap(), MAX_RETRY_DELAY);
    }

    #[test]
    fn jitter_varies() {
        let b = Backoff::default();
        let delays: std::collections::HashSet<Duration> = (0..20).map(|_| b.delay(3)).collect();
        assert!(delays.len() > 1);
    }
}
