//! The users table's orders: every column sorts on the server, pages continue where the
//! previous page ended, and users without a value come last either way.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod common;

use common::{Harness, fixture, now_ms, signed, within};
use hooklab_core::store::{UserQuery, UserRow, UserSort};

/// Creates users with these usernames (None: no username), in order.
async fn create(h: &Harness, usernames: &[Option<&str>]) {
    let start = now_ms() - 60_000;
    for (i, name) in usernames.iter().enumerate() {
        let mut body: serde_json::Value =
            serde_json::from_str(&fixture("user.created", None, start + i as i64).body).unwrap();
        body["data"]["username"] = name.map_or(serde_json::Value::Null, Into::into);
        assert_eq!(h.deliver(&signed(body.to_string())).await.status, 200);
    }
}

/// Every page of `query`, `limit` rows at a time.
async fn all_pages(h: &Harness, mut query: UserQuery) -> Vec<UserRow> {
    let mut rows = Vec::new();
    loop {
        let page = within("list_users", h.engine.store().users(query.clone()))
            .await
            .expect("list_users");
        rows.extend(page.items);
        match page.next_cursor {
            Some(cursor) => query.before = Some(cursor),
            None => return rows,
        }
    }
}

fn usernames(rows: &[UserRow]) -> Vec<Option<&str>> {
    rows.iter().map(|u| u.username.as_deref()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usernames_sort_both_ways_across_pages_with_missing_ones_last() {
    let h = Harness::start().await;
    create(
        &h,
        &[
            Some("mia"),
            None,
            Some("Bob"),
            Some("zoe"),
            None,
            Some("alice"),
            Some("carl"),
        ],
    )
    .await;
    let query = |descending| UserQuery {
        sort: UserSort::Username,
        descending,
        limit: Some(2),
        ..UserQuery::default()
    };
    assert_eq!(
        usernames(&all_pages(&h, query(false)).await),
        [
            Some("alice"),
            Some("Bob"),
            Some("carl"),
            Some("mia"),
            Some("zoe"),
            None,
            None
        ],
        "A to Z, case-insensitive, missing last"
    );
    assert_eq!(
        usernames(&all_pages(&h, query(true)).await),
        [
            Some("zoe"),
            Some("mia"),
            Some("carl"),
            Some("Bob"),
            Some("alice"),
            None,
            None
        ],
        "Z to A, missing still last"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn times_sort_and_search_combine() {
    let h = Harness::start().await;
    create(&h, &[Some("ann"), Some("annie"), Some("ben"), Some("anna")]).await;
    let rows = all_pages(
        &h,
        UserQuery {
            search: Some("ann".into()),
            sort: UserSort::CreatedAt,
            descending: false,
            limit: Some(1),
            ..UserQuery::default()
        },
    )
    .await;
    assert_eq!(usernames(&rows), [Some("ann"), Some("annie"), Some("anna")]);
    let newest = all_pages(&h, UserQuery::newest(None, None, 3)).await;
    assert_eq!(
        usernames(&newest),
        [Some("anna"), Some("ben"), Some("annie"), Some("ann")],
        "the default order is newest first"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_seen_and_id_orders_page_both_ways() {
    let h = Harness::start().await;
    create(
        &h,
        &[Some("u1"), Some("u2"), Some("u3"), Some("u4"), Some("u5")],
    )
    .await;
    let query = |sort, descending| UserQuery {
        sort,
        descending,
        limit: Some(2),
        ..UserQuery::default()
    };
    let oldest_first = all_pages(&h, query(UserSort::Seq, false)).await;
    assert_eq!(
        usernames(&oldest_first),
        [Some("u1"), Some("u2"), Some("u3"), Some("u4"), Some("u5")]
    );
    let mut ids: Vec<String> = oldest_first.iter().map(|u| u.id.clone()).collect();
    ids.sort();
    for descending in [false, true] {
        let rows = all_pages(&h, query(UserSort::Id, descending)).await;
        let got: Vec<String> = rows.iter().map(|u| u.id.clone()).collect();
        let want: Vec<String> = if descending {
            ids.iter().rev().cloned().collect()
        } else {
            ids.clone()
        };
        assert_eq!(got, want, "ids, descending: {descending}");
    }
}
