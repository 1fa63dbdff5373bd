//! Fresh ids shaped like Clerk's and Svix's: a prefix and a 27-character KSUID (time-sortable,
//! base62), so generated test events look and sort like real ones.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// KSUID's epoch (2014-05-13), in Unix seconds.
const KSUID_EPOCH: i64 = 1_400_000_000;
const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// `prefix_` + a KSUID for the current time, e.g. `msg_2yRnH7EHmrIydQW3JOwxGi2ILrG`.
pub fn new_id(prefix: &str, now_secs: i64) -> String {
    let mut bytes = [0u8; 20];
    let secs = u32::try_from(now_secs - KSUID_EPOCH).unwrap_or(0);
    bytes[..4].copy_from_slice(&secs.to_be_bytes());
    bytes[4..12].copy_from_slice(&random_u64().to_be_bytes());
    bytes[12..].copy_from_slice(&random_u64().to_be_bytes());
    format!("{prefix}_{}", base62(bytes))
}

/// Non-cryptographic randomness (ids only): std's randomly keyed hasher over a counter.
fn random_u64() -> u64 {
    let mut hasher = std::hash::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.finish()
}

/// Encodes 20 bytes as 27 base62 digits, most significant first.
fn base62(mut number: [u8; 20]) -> String {
    let mut digits = [b'0'; 27];
    for slot in digits.iter_mut().rev() {
        let mut remainder = 0u32;
        for byte in number.iter_mut() {
            let value = (remainder << 8) | u32::from(*byte);
            *byte = (value / 62) as u8;
            remainder = value % 62;
        }
        *slot = BASE62[remainder as usize];
    }
    String::from_utf8_lossy(&digits).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_prefix_and_27_base62_characters_and_differ() {
        let a = new_id("user", 1_750_000_000);
        let b = new_id("user", 1_750_000_000);
        assert_ne!(a, b);
        let tail = a.strip_prefix("user_").unwrap();
        assert_eq!(tail.len(), 27);
        assert!(tail.bytes().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn later_ids_sort_after_earlier_ones() {
        let early = new_id("msg", 1_700_000_000);
        let late = new_id("msg", 1_750_000_000);
        assert!(early < late);
    }
}
