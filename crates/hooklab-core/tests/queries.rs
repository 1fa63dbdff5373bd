//! The store queries the log and user views run, over events that arrived through HTTP:
//! `list_events` filters and cursor paging, `get_user`'s timeline, `list_users` search.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod common;

use std::collections::HashSet;

use bytes::Bytes;
use common::{
    Harness, OTHER_SECRET, WEBHOOK_PATH, fixture, headers_without, now_ms, signed, signed_with,
    user_of,
};
use hooklab_core::send::SignOptions;
use hooklab_core::store::{EventFilter, SYNC_FILTERS};
use hooklab_core::sync::SyncKind;
use http::HeaderMap;

/// The row ids of the requests [`populate`] sent.
struct Sent {
    a: String,
    b: String,
    c: String,
    a_updated: i64,
    a_created_stale: i64,
    b_created: i64,
    c_wrong_secret: i64,
    missing_header: i64,
    a_email: i64,
    wrong_path: i64,
    a_session: i64,
}

/// Three users' worth of events, accepted and refused, sent one after another.
async fn populate(h: &Harness) -> Sent {
    let start = now_ms() - 5 * 60_000;
    let a_created = fixture("user.created", None, start);
    let a = user_of(&a_created);
    let a_updated = fixture("user.updated", Some(&a), start + 60_000);
    let b_created = fixture("user.created", None, start + 120_000);
    let c_created = fixture("user.created", None, start + 180_000);
    let a_email = fixture("email.created", Some(&a), start + 200_000);
    let a_session = fixture("session.created", Some(&a), start + 240_000);
    let send = |body: String, want: u16| async move {
        let reply = h.deliver(&signed(body)).await;
        assert_eq!(reply.status, want, "{}", reply.body);
        reply.id()
    };
    let a_updated = send(a_updated.body, 200).await;
    let a_created_stale = send(a_created.body, 200).await;
    let b_created_id = send(b_created.body.clone(), 200).await;
    let wrong = signed_with(c_created.body.clone(), OTHER_SECRET, SignOptions::default());
    let c_wrong_secret = h.deliver(&wrong).await;
    assert_eq!(c_wrong_secret.status, 401);
    let unsigned = signed(b_created.body.clone());
    let missing = h
        .post(
            WEBHOOK_PATH,
            &headers_without(&unsigned, "svix-signature"),
            unsigned.body.clone(),
        )
        .await;
    assert_eq!(missing.status, 400);
    let a_email = send(a_email.body, 200).await;
    let lost = h
        .post(
            "/hooks/clerk-old",
            &headers_without(&unsigned, "svix-id"),
            unsigned.body.clone(),
        )
        .await;
    assert_eq!(lost.status, 404);
    let a_session = send(a_session.body, 200).await;
    Sent {
        a,
        b: user_of(&b_created),
        c: user_of(&c_created),
        a_updated,
        a_created_stale,
        b_created: b_created_id,
        c_wrong_secret: c_wrong_secret.id(),
        missing_header: missing.id(),
        a_email,
        wrong_path: lost.id(),
        a_session,
    }
}

async fn ids(h: &Harness, filter: EventFilter) -> Vec<i64> {
    let page = h.events(filter).await;
    assert_eq!(page.next_cursor, None, "one page expected");
    page.items.iter().map(|e| e.id).collect()
}

/// Newest first, as the log lists them.
fn newest_first(mut ids: Vec<i64>) -> Vec<i64> {
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_events_filters_by_type_outcome_sync_user_and_text() {
    let h = Harness::start().await;
    let s = populate(&h).await;
    let by = |f: fn(&mut EventFilter)| {
        let mut filter = EventFilter::default();
        f(&mut filter);
        filter
    };

    // Refused requests are listed under the type their body claims.
    assert_eq!(
        ids(&h, by(|f| f.event_type = Some("user.created".into()))).await,
        newest_first(vec![
            s.a_created_stale,
            s.b_created,
            s.c_wrong_secret,
            s.missing_header,
            s.wrong_path
        ])
    );
    assert_eq!(
        ids(&h, by(|f| f.outcome = Some("stale".into()))).await,
        [s.a_created_stale]
    );
    assert_eq!(
        ids(&h, by(|f| f.outcome = Some("signature_mismatch".into()))).await,
        [s.c_wrong_secret]
    );
    assert_eq!(
        ids(&h, by(|f| f.outcome = Some("failed".into()))).await,
        newest_first(vec![s.c_wrong_secret, s.missing_header, s.wrong_path])
    );
    assert_eq!(
        ids(&h, by(|f| f.outcome = Some("ignored".into()))).await,
        [s.a_email]
    );
    // The app filters verification and sync apart: both must hold. Its sync filter offers
    // every sync code and nothing else.
    assert_eq!(SYNC_FILTERS.len(), 6);
    assert!(
        SYNC_FILTERS
            .iter()
            .all(|c| SyncKind::from_code(c).is_some())
    );
    let verified_and = |sync: &str| {
        let mut f = by(|f| f.outcome = Some("verified".into()));
        f.sync = Some(sync.to_owned());
        f
    };
    assert_eq!(ids(&h, verified_and("stale")).await, [s.a_created_stale]);
    assert_eq!(ids(&h, verified_and("not_synced")).await, Vec::<i64>::new());
    let mut unsynced_failures = by(|f| f.outcome = Some("failed".into()));
    unsynced_failures.sync = Some("not_synced".into());
    assert_eq!(
        ids(&h, unsynced_failures).await,
        newest_first(vec![s.c_wrong_secret, s.missing_header, s.wrong_path])
    );
    let about_a = EventFilter {
        user_id: Some(s.a.clone()),
        ..EventFilter::default()
    };
    assert_eq!(
        ids(&h, about_a.clone()).await,
        newest_first(vec![s.a_updated, s.a_created_stale, s.a_email, s.a_session])
    );
    assert_eq!(
        ids(
            &h,
            EventFilter {
                event_type: Some("user.created".into()),
                ..about_a
            }
        )
        .await,
        [s.a_created_stale],
        "filters combine"
    );
    // C's only event was refused; it is still found under the user it claims.
    assert_eq!(
        ids(
            &h,
            EventFilter {
                user_id: Some(s.c.clone()),
                ..EventFilter::default()
            }
        )
        .await,
        [s.c_wrong_secret]
    );
}

/// Text search answers the same before the writer's text index reaches the events (a scan of
/// the tail) and after (the index narrows, the exact text decides).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_events_text_matches_ids_paths_and_bodies() {
    let h = Harness::start().await;
    let s = populate(&h).await;
    assert_text_search(&h, &s).await;
    h.wait_for_text_index().await;
    assert_text_search(&h, &s).await;
    // Paging through a search, one row at a time, both ways.
    let one = |before, after, oldest_first| EventFilter {
        text: Some(s.b.clone()),
        before,
        after,
        oldest_first,
        limit: Some(1),
        ..EventFilter::default()
    };
    let mut down = Vec::new();
    let mut cursor = None;
    loop {
        let page = h.events(one(cursor, None, false)).await;
        down.extend(page.items.iter().map(|e| e.id));
        let Some(next) = page.next_cursor else { break };
        cursor = Some(next);
    }
    assert_eq!(
        down,
        newest_first(vec![s.b_created, s.missing_header, s.wrong_path])
    );
    let mut up = Vec::new();
    let mut cursor = Some(0);
    while let Some(after) = cursor {
        let page = h.events(one(None, Some(after), true)).await;
        up.splice(0..0, page.items.iter().map(|e| e.id));
        cursor = page.next_cursor;
    }
    assert_eq!(up, down);
}

async fn assert_text_search(h: &Harness, s: &Sent) {
    let text = |t: &str| EventFilter {
        text: Some(t.to_owned()),
        ..EventFilter::default()
    };

    // B's id is in its user.created body and user_id, and in the bodies of the two refused
    // requests that carried that body.
    assert_eq!(
        ids(h, text(&s.b)).await,
        newest_first(vec![s.b_created, s.missing_header, s.wrong_path])
    );
    // An unverified request is found by what its body says.
    assert_eq!(ids(h, text(&s.c)).await, [s.c_wrong_secret]);
    assert_eq!(ids(h, text("alex.work@example.com")).await, [s.a_updated]);
    assert_eq!(ids(h, text("clerk-old")).await, [s.wrong_path]);
    assert_eq!(ids(h, text("email.created")).await, [s.a_email]);
    // LIKE wildcards in the search text are literal characters.
    assert!(ids(h, text("alex%sample")).await.is_empty());
    assert!(ids(h, text("alex_sample@")).await.is_empty());
    assert!(ids(h, text("no such thing")).await.is_empty());

    // What a live view asks when new rows arrive: matches above the newest row it has.
    let since = |after: i64| EventFilter {
        after: Some(after),
        ..text(&s.b)
    };
    assert_eq!(
        ids(h, since(s.c_wrong_secret)).await,
        newest_first(vec![s.missing_header, s.wrong_path])
    );
    assert!(ids(h, since(s.wrong_path)).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cursor_paging_returns_every_event_exactly_once() {
    let h = Harness::start().await;
    populate(&h).await;
    let all: Vec<i64> = h.all_events().await.iter().map(|e| e.id).collect();
    assert_eq!(all.len(), 8);
    assert_eq!(all, newest_first(all.clone()));

    for limit in [1, 3, 8] {
        let mut seen = Vec::new();
        let mut before = None;
        let mut pages = 0;
        loop {
            let page = h
                .events(EventFilter {
                    before,
                    limit: Some(limit),
                    ..EventFilter::default()
                })
                .await;
            pages += 1;
            assert!(page.items.len() <= limit as usize);
            seen.extend(page.items.iter().map(|e| e.id));
            match page.next_cursor {
                Some(cursor) => before = Some(cursor),
                None => break,
            }
            assert!(pages <= all.len(), "paging does not end");
        }
        assert_eq!(seen, all, "limit {limit}");
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), seen.len());
    }
}

/// What the log does when the user scrolls back up after its top rows were let go: pages
/// toward the newest from the oldest event, each page the one just above the last.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_upward_returns_every_newer_event_exactly_once() {
    let h = Harness::start().await;
    populate(&h).await;
    let all: Vec<i64> = h.all_events().await.iter().map(|e| e.id).collect();
    let oldest = *all.last().unwrap();
    for limit in [1, 3, 8] {
        let mut seen: Vec<i64> = Vec::new();
        let mut after = Some(oldest);
        let mut pages = 0;
        while let Some(cursor) = after {
            let page = h
                .events(EventFilter {
                    after: Some(cursor),
                    oldest_first: true,
                    limit: Some(limit),
                    ..EventFilter::default()
                })
                .await;
            let ids: Vec<i64> = page.items.iter().map(|e| e.id).collect();
            assert_eq!(ids, newest_first(ids.clone()), "a page is newest first");
            assert!(ids.iter().all(|&id| id > cursor));
            // Each page sits right above the previous one: nothing skipped, nothing repeated.
            seen.splice(0..0, ids);
            after = page.next_cursor;
            pages += 1;
            assert!(pages <= all.len(), "paging does not end");
        }
        assert_eq!(seen, all[..all.len() - 1], "limit {limit}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cursor_paging_keeps_the_filter() {
    let h = Harness::start().await;
    let s = populate(&h).await;
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = h
            .events(EventFilter {
                outcome: Some("failed".into()),
                before,
                limit: Some(1),
                ..EventFilter::default()
            })
            .await;
        seen.extend(page.items.iter().map(|e| e.id));
        match page.next_cursor {
            Some(cursor) if seen.len() < 10 => before = Some(cursor),
            _ => break,
        }
    }
    assert_eq!(
        seen,
        newest_first(vec![s.c_wrong_secret, s.missing_header, s.wrong_path])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_user_returns_the_timeline_of_its_events() {
    let h = Harness::start().await;
    let s = populate(&h).await;

    let a = h.existing_user(&s.a).await;
    let timeline: Vec<i64> = a.timeline.iter().map(|e| e.id).collect();
    assert_eq!(
        timeline,
        newest_first(vec![s.a_updated, s.a_created_stale, s.a_email, s.a_session])
    );
    let kinds: Vec<&str> = a.timeline.iter().map(|e| e.sync.code()).collect();
    assert_eq!(kinds, ["applied", "ignored", "stale", "applied"]);
    assert_eq!(a.sessions.len(), 1);
    assert!(a.raw.as_deref().unwrap_or_default().contains(&s.a));
    assert_eq!(a.user.last_event_id, s.a_updated, "the latest user write");

    // The timeline also shows the refused requests whose body claims to be about B, marked
    // as not verified; only the verified one wrote the row.
    let b = h.existing_user(&s.b).await;
    let b_timeline: Vec<(i64, &str)> = b
        .timeline
        .iter()
        .map(|e| (e.id, e.verification.as_str()))
        .collect();
    assert_eq!(
        b_timeline,
        [
            (s.wrong_path, "missing_header"),
            (s.missing_header, "missing_header"),
            (s.b_created, "verified"),
        ]
    );
    assert_eq!(b.user.last_event_id, s.b_created);
    assert!(
        h.user(&s.c).await.is_none(),
        "an unverified user.created syncs nothing"
    );
    assert!(h.user("user_unknown").await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_users_and_counts_reflect_the_synced_users() {
    let h = Harness::start().await;
    let s = populate(&h).await;

    assert_eq!(h.user_counts().await, (2, 0));
    let ids = |page: hooklab_core::store::UserPage| -> Vec<String> {
        page.items.into_iter().map(|u| u.id).collect()
    };
    assert_eq!(
        ids(h.users(None).await),
        [s.b.as_str(), s.a.as_str()],
        "newest first"
    );
    assert_eq!(ids(h.users(Some("alex.work")).await), [s.a.as_str()]);
    assert_eq!(ids(h.users(Some("Alexandra Sample")).await), [s.a.as_str()]);
    assert!(ids(h.users(Some("nobody@example.com")).await).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_lists_every_answer_clerk_would_show_as_failed() {
    let h = Harness::start().await;
    let ok = h
        .deliver(&signed(fixture("user.created", None, now_ms()).body))
        .await;
    assert_eq!(ok.status, 200);
    // Validly signed, but sent to an old path: verified, answered 404, so failed for Clerk.
    let delivery = signed(fixture("user.created", None, now_ms()).body);
    let lost = h
        .post(
            "/hooks/clerk-old",
            &delivery.headers(),
            delivery.body.clone(),
        )
        .await;
    assert_eq!(lost.status, 404);
    assert_eq!(h.event(lost.id()).await.summary.verification, "verified");
    let unsigned = h
        .post(WEBHOOK_PATH, &HeaderMap::new(), Bytes::from_static(b"{}"))
        .await;

    let failed = EventFilter {
        outcome: Some("failed".into()),
        ..EventFilter::default()
    };
    assert_eq!(
        ids(&h, failed).await,
        newest_first(vec![lost.id(), unsigned.id()])
    );
    let verified = EventFilter {
        outcome: Some("verified".into()),
        ..EventFilter::default()
    };
    assert_eq!(
        ids(&h, verified).await,
        newest_first(vec![ok.id(), lost.id()])
    );
}

/// The type filter lists every type verified events have had, however old, and none that only
/// unverified requests claimed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_types_lists_verified_types_only() {
    let h = Harness::start().await;
    h.deliver(&signed(fixture("user.created", None, now_ms()).body))
        .await;
    let claimed = signed_with(
        fixture("organization.created", None, now_ms()).body,
        OTHER_SECRET,
        SignOptions::default(),
    );
    assert_eq!(h.deliver(&claimed).await.status, 401);
    h.deliver(&signed(fixture("session.created", None, now_ms()).body))
        .await;
    let mut types = Vec::new();
    for _ in 0..200 {
        types = h.engine.store().event_types().await.unwrap();
        if types.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(types, ["session.created", "user.created"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summaries_by_id_skip_the_missing_and_keep_the_order_asked() {
    let h = Harness::start().await;
    let mut sent = Vec::new();
    for _ in 0..3 {
        let body = fixture("user.created", None, now_ms()).body;
        sent.push(h.deliver(&signed(body)).await.id());
    }
    let asked = vec![sent[2], 9_999, sent[0]];
    let found = h.engine.store().event_summaries(asked).await.unwrap();
    let ids: Vec<i64> = found.iter().map(|e| e.id).collect();
    assert_eq!(ids, [sent[2], sent[0]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_time_range_keeps_the_events_received_in_it_whatever_their_ids() {
    let h = Harness::start().await;
    let now = common::now_ms();
    let hour = 3_600_000;
    let mut users = Vec::new();
    let mut at = |ago: i64| {
        let prepared = fixture("user.created", None, now - ago);
        users.push(user_of(&prepared));
        common::capture_at(&signed(prepared.body), now - ago)
    };
    let mut stored = Vec::new();
    for ago in [3 * hour, 2 * hour, hour, 0] {
        stored.push(h.engine.ingest(at(ago)).await.unwrap().event.id);
    }
    // Stored last, received 12 s before the newest (a slow upload): its id is out of order.
    let late = h.engine.ingest(at(12_000)).await.unwrap().event.id;
    let range = |since: Option<i64>, until: Option<i64>| EventFilter {
        since,
        until,
        limit: Some(500),
        ..EventFilter::default()
    };

    assert_eq!(
        ids(&h, range(Some(now - 2 * hour), None)).await,
        [late, stored[3], stored[2], stored[1]]
    );
    assert_eq!(
        ids(&h, range(None, Some(now - hour))).await,
        [stored[1], stored[0]]
    );
    assert_eq!(
        ids(&h, range(Some(now - 90 * 60_000), Some(now - 5_000))).await,
        [late, stored[2]],
        "the late one is in, whatever its id"
    );
    assert!(ids(&h, range(Some(now + hour), None)).await.is_empty());
    // With the other filters and a page of one, every event of the range once.
    let mut paged = Vec::new();
    let mut filter = EventFilter {
        event_type: Some("user.created".into()),
        limit: Some(1),
        ..range(Some(now - 150 * 60_000), None)
    };
    loop {
        let page = h.events(filter.clone()).await;
        paged.extend(page.items.iter().map(|e| e.id));
        match page.next_cursor {
            Some(cursor) => filter.before = Some(cursor),
            None => break,
        }
    }
    assert_eq!(paged, [late, stored[3], stored[2], stored[1]]);

    // With text (through the word index, once it has them) and with a user.
    h.wait_for_text_index().await;
    let about = |user: &str, since: i64, until: Option<i64>| EventFilter {
        text: Some(user.to_owned()),
        ..range(Some(since), until)
    };
    assert_eq!(
        ids(&h, about(&users[1], now - 150 * 60_000, None)).await,
        [stored[1]]
    );
    assert!(
        ids(&h, about(&users[1], now - 90 * 60_000, None))
            .await
            .is_empty()
    );
    let of_user = |since: i64, until: Option<i64>| EventFilter {
        user_id: Some(users[2].clone()),
        ..range(Some(since), until)
    };
    assert_eq!(ids(&h, of_user(now - 2 * hour, None)).await, [stored[2]]);
    assert!(
        ids(&h, of_user(now - 2 * hour, Some(now - 90 * 60_000)))
            .await
            .is_empty()
    );
    // Paging up from below the range starts at its first event.
    let mut up = EventFilter {
        oldest_first: true,
        after: Some(0),
        limit: Some(2),
        ..range(Some(now - 150 * 60_000), None)
    };
    let first = h.events(up.clone()).await;
    assert_eq!(
        first.items.iter().map(|e| e.id).collect::<Vec<_>>(),
        [stored[2], stored[1]]
    );
    up.after = first.next_cursor;
    let second = h.events(up).await;
    assert_eq!(
        second.items.iter().map(|e| e.id).collect::<Vec<_>>(),
        [late, stored[3]]
    );
    assert_eq!(second.next_cursor, None);
}
