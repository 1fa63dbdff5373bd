//! The sync rules as a property over the real store: for any set of one user's created /
//! updated / deleted / session events, redelivered or resent, arriving in any order, the final
//! rows equal those from applying the same events once each in time order. A deleted user is
//! the exception by design (tombstones are final): only the tombstone is compared, because its
//! other fields are whatever had arrived before the deletion.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{SECRET, capture_of, fixture, redelivery, secret, signed};
use hooklab_core::engine::{Engine, EngineConfig};
use hooklab_core::send::Delivery;
use hooklab_core::store::{SessionRow, UserDetail, UserRow};
use proptest::prelude::*;
use serde_json::{Value, json};

const USER: &str = "user_2yPropTestUser00000000000";
/// Far enough in the past that every event is older than its arrival.
const BASE: i64 = 1_750_000_000_000;
const DELETED_AT: i64 = BASE + 100_000;

/// One event about the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ev {
    /// Version `k` of the user (0 is user.created), updated at `BASE + k s`.
    Version(u8),
    /// user.deleted.
    Delete,
    /// session.created number `j`.
    Session(u8),
}

/// How one event reaches the receiver.
#[derive(Debug, Clone, Copy)]
enum Copies {
    Once,
    /// Svix retries it (same svix-id).
    Redelivered,
    /// It is sent again as a new message (another svix-id, same content).
    Resent,
}

#[derive(Debug, Clone)]
struct Case {
    versions: u8,
    /// The first version that carries a last sign-in (Clerk never clears it).
    signed_in_from: u8,
    deleted: bool,
    sessions: u8,
    /// (index into the events, how it is delivered), in arrival order.
    arrivals: Vec<(usize, Copies)>,
}

impl Case {
    fn events(&self) -> Vec<Ev> {
        let mut events: Vec<Ev> = (0..self.versions).map(Ev::Version).collect();
        events.extend((0..self.sessions).map(Ev::Session));
        if self.deleted {
            events.push(Ev::Delete);
        }
        events
    }
}

fn case() -> impl Strategy<Value = Case> {
    (1u8..6, 0u8..7, any::<bool>(), 0u8..4).prop_flat_map(|(versions, signed_in_from, deleted, sessions)| {
        let n = usize::from(versions) + usize::from(sessions) + usize::from(deleted);
        let copies = prop::collection::vec(
            prop_oneof![3 => Just(Copies::Once), 1 => Just(Copies::Redelivered), 1 => Just(Copies::Resent)],
            n,
        );
        copies
            .prop_map(|copies| copies.into_iter().enumerate().collect::<Vec<_>>())
            .prop_shuffle()
            .prop_map(move |arrivals| Case {
                versions,
                signed_in_from,
                deleted,
                sessions,
                arrivals,
            })
    })
}

/// The body of `ev`: a fixture with the times and names that tell versions apart.
fn body(ev: Ev, c: &Case) -> Vec<u8> {
    let (name, at) = match ev {
        Ev::Version(0) => ("user.created", BASE),
        Ev::Version(k) => ("user.updated", BASE + i64::from(k) * 1000),
        Ev::Delete => ("user.deleted", DELETED_AT),
        Ev::Session(j) => ("session.created", BASE + i64::from(j) * 700 + 300),
    };
    let mut event: Value = serde_json::from_str(&fixture(name, Some(USER), at).body).unwrap();
    event["timestamp"] = json!(at);
    let data = &mut event["data"];
    match ev {
        Ev::Version(k) => {
            data["created_at"] = json!(BASE);
            data["updated_at"] = json!(at);
            data["first_name"] = json!(format!("v{k}"));
            data["last_sign_in_at"] = if k >= c.signed_in_from {
                json!(at - 500)
            } else {
                Value::Null
            };
        }
        Ev::Session(j) => {
            data["id"] = json!(format!("sess_prop{j}"));
            data["user_id"] = json!(USER);
            data["created_at"] = json!(at);
            data["updated_at"] = json!(at);
        }
        Ev::Delete => data["id"] = json!(USER),
    }
    serde_json::to_vec(&event).unwrap()
}

/// Delivers `deliveries` in order to a fresh store; returns the user as stored.
async fn final_rows(deliveries: &[Delivery]) -> Option<UserDetail> {
    let dir = tempfile::tempdir().unwrap();
    let mut config = EngineConfig::new(dir.path().join("hooklab.db"));
    config.secrets = vec![secret(SECRET)];
    let engine = Engine::start(config).unwrap();
    for d in deliveries {
        let receipt = engine.ingest(capture_of(d)).await.unwrap();
        assert_eq!(receipt.status, 200, "{:?}", receipt.sync);
    }
    let user = engine.store().user(USER.to_owned()).await.unwrap();
    engine.close().await;
    user
}

/// A row with what differs between two databases (row numbers) blanked.
fn comparable(row: &UserRow) -> UserRow {
    UserRow {
        seq: 0,
        last_event_id: 0,
        ..row.clone()
    }
}

fn sessions(detail: &UserDetail) -> Vec<SessionRow> {
    let mut rows = detail.sessions.clone();
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    rows
}

async fn check(c: Case) -> Result<(), TestCaseError> {
    let events = c.events();
    let signed_once: Vec<Delivery> = events.iter().map(|ev| signed(body(*ev, &c))).collect();

    // As they might arrive: shuffled, some redelivered or resent.
    let mut arriving = Vec::new();
    for (i, copies) in &c.arrivals {
        let first = signed_once[*i].clone();
        match copies {
            Copies::Once => arriving.push(first),
            Copies::Redelivered => {
                arriving.push(redelivery(&first, SECRET));
                arriving.push(first);
            }
            Copies::Resent => {
                arriving.push(signed(body(events[*i], &c)));
                arriving.push(first);
            }
        }
    }
    // The reference: each event once, in time order (versions and sessions, then the deletion).
    let at = |ev: &Ev| match *ev {
        Ev::Version(k) => BASE + i64::from(k) * 1000,
        Ev::Session(j) => BASE + i64::from(j) * 700 + 300,
        Ev::Delete => DELETED_AT,
    };
    let mut in_order: Vec<(i64, Delivery)> = events
        .iter()
        .zip(&signed_once)
        .map(|(ev, d)| (at(ev), d.clone()))
        .collect();
    in_order.sort_by_key(|(t, _)| *t);
    let in_order: Vec<Delivery> = in_order.into_iter().map(|(_, d)| d).collect();

    let got = final_rows(&arriving).await;
    let want = final_rows(&in_order).await;
    let (Some(got), Some(want)) = (got, want) else {
        prop_assert!(c.versions == 0 && !c.deleted, "a user row is missing");
        return Ok(());
    };
    if c.deleted {
        prop_assert_eq!(got.user.deleted_at, Some(DELETED_AT));
        prop_assert_eq!(want.user.deleted_at, Some(DELETED_AT));
        return Ok(());
    }
    prop_assert_eq!(comparable(&got.user), comparable(&want.user));
    prop_assert_eq!(sessions(&got), sessions(&want));
    // And the reference itself is what the rules promise: the newest version, the latest sign-in.
    let newest = c.versions - 1;
    prop_assert_eq!(got.user.first_name.clone(), Some(format!("v{newest}")));
    let sign_ins = (0..c.versions)
        .filter(|k| *k >= c.signed_in_from)
        .map(|k| BASE + i64::from(k) * 1000 - 500)
        .chain((0..c.sessions).map(|j| BASE + i64::from(j) * 700 + 300));
    prop_assert_eq!(got.user.last_sign_in_at, sign_ins.max());
    Ok(())
}

#[test]
fn any_arrival_order_with_duplicates_ends_as_in_time_order() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let config = ProptestConfig {
        cases: 48,
        ..ProptestConfig::default()
    };
    proptest!(config, |(c in case())| {
        runtime.block_on(check(c))?;
    });
}

#[test]
fn a_fixed_nasty_order_sign_ins_before_the_user_and_the_newest_version_first() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // Events: versions 0..3 (indices 0–2), sessions 0..2 (indices 3–4).
    let c = Case {
        versions: 3,
        signed_in_from: 2,
        deleted: false,
        sessions: 2,
        arrivals: vec![
            (4, Copies::Once),
            (2, Copies::Redelivered),
            (3, Copies::Once),
            (0, Copies::Resent),
            (1, Copies::Once),
        ],
    };
    runtime.block_on(check(c)).unwrap();
}
