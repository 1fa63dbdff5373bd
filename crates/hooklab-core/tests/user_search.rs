//! Users search through the users index: the same answers before the writer indexes the users
//! (a read of every user) and after (the index narrows, the exact text decides), including a
//! user whose row changed after it was indexed.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod common;

use common::{Harness, fixture, now_ms, signed, user_of};

/// Creates (or updates) a user with this username; returns the user's id.
async fn write(h: &Harness, kind: &str, user: Option<&str>, username: &str, at: i64) -> String {
    let prepared = fixture(kind, user, at);
    let id = user_of(&prepared);
    let mut body: serde_json::Value = serde_json::from_str(&prepared.body).unwrap();
    body["data"]["username"] = username.into();
    assert_eq!(h.deliver(&signed(body.to_string())).await.status, 200);
    id
}

/// The usernames a search finds, sorted.
async fn found(h: &Harness, text: &str) -> Vec<String> {
    let mut names: Vec<String> = h
        .users(Some(text))
        .await
        .items
        .into_iter()
        .filter_map(|u| u.username)
        .collect();
    names.sort();
    names
}

/// Waits until the users index covers every event (the writer indexes while idle).
async fn wait_for_users_index(h: &Harness) {
    let conn = rusqlite::Connection::open(h.db_path()).unwrap();
    for _ in 0..200 {
        let behind: bool = conn
            .query_row(
                "SELECT (SELECT upto FROM index_state WHERE name = 'user_text') \
                 < (SELECT max(id) FROM events)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        if !behind {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the users index did not catch up");
}

async fn assert_searches(h: &Harness, bob: &str) {
    assert_eq!(found(h, "stone").await, [bob]);
    assert_eq!(found(h, "BOB_S").await, [bob], "case does not matter");
    assert_eq!(found(h, "ia_lo").await, ["mia_lopez"], "inside a word");
    // Two characters with one no random id holds (ids are base62: "ee" was in one now and then).
    assert_eq!(found(h, "n_").await, ["ann_lee"], "shorter than a trigram");
    assert_eq!(found(h, "_l").await, ["ann_lee", "mia_lopez"]);
    assert!(found(h, "nobody here").await.is_empty());
    assert!(
        found(h, "zoë").await.is_empty(),
        "not ASCII: read every user"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_search_answers_the_same_before_and_after_the_index_catches_up() {
    let h = Harness::start().await;
    let start = now_ms() - 60_000;
    write(&h, "user.created", None, "mia_lopez", start).await;
    let bob = write(&h, "user.created", None, "bob_stone", start + 1).await;
    write(&h, "user.created", None, "ann_lee", start + 2).await;
    assert_searches(&h, "bob_stone").await;
    wait_for_users_index(&h).await;
    assert_searches(&h, "bob_stone").await;

    // Bob's new name is found at once and his old one no longer, though the index still holds
    // the old one until the writer re-indexes him.
    write(&h, "user.updated", Some(&bob), "bob_rivers", start + 3).await;
    assert!(found(&h, "stone").await.is_empty());
    assert_eq!(found(&h, "rivers").await, ["bob_rivers"]);
    wait_for_users_index(&h).await;
    assert!(found(&h, "stone").await.is_empty());
    assert_eq!(found(&h, "rivers").await, ["bob_rivers"]);
    assert_eq!(found(&h, "bob_").await, ["bob_rivers"]);
}
