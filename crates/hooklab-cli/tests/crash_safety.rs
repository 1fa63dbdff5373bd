//! Crash safety: `kill -9` a running `hooklab serve` while signed events stream in; after a
//! restart, every event that was answered 2xx is in the database, byte-exact, and synced.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::{SECRET, Sandbox};
use hooklab_core::capture::now_ms;
use hooklab_core::client::HttpClient;
use hooklab_core::fixtures::{find, prepare};
use hooklab_core::secret::{Secret, SecretOrigin};
use hooklab_core::send::{SignOptions, sign};
use hooklab_core::store::{get_event, get_user, open_for_reading};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_event_survives_kill_dash_nine() {
    let sandbox = Sandbox::new();
    let mut server = sandbox.serve(&["--secret", SECRET]);
    let url = server.url.clone();
    let acked: Arc<Mutex<Vec<(String, Bytes, String)>>> = Arc::default();
    let secret = Arc::new(Secret::parse(SECRET, SecretOrigin::Flag).unwrap());
    let mut senders = Vec::new();
    for _ in 0..16 {
        let (url, acked, secret) = (url.clone(), Arc::clone(&acked), Arc::clone(&secret));
        senders.push(tokio::spawn(async move {
            let client = HttpClient::new();
            let template = find("user.created").unwrap().json;
            loop {
                let event = prepare(template, None, now_ms()).unwrap();
                let body = Bytes::from(event.body);
                let delivery = sign(body, &secret, now_ms() / 1000, SignOptions::default());
                match delivery.post(&client, &url).await {
                    Ok(reply) if reply.status == 200 => acked.lock().unwrap().push((
                        delivery.svix_id,
                        delivery.body,
                        event.user_id.unwrap(),
                    )),
                    Ok(reply) => panic!("unexpected answer {} {}", reply.status, reply.body),
                    Err(_) => return, // the server is gone
                }
            }
        }));
    }
    // Let a stream build up, then kill -9 in the middle of it.
    tokio::time::timeout(Duration::from_secs(60), async {
        while acked.lock().unwrap().len() < 400 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the server acknowledged too few events");
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    for sender in senders {
        tokio::time::timeout(Duration::from_secs(30), sender)
            .await
            .expect("a sender hung")
            .unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 400);

    // Restart on the same database: it recovers the WAL and keeps receiving.
    let restarted = sandbox.serve(&["--secret", SECRET]);
    let conn = open_for_reading(&sandbox.db())
        .unwrap_or_else(|e| panic!("reading the database after the restart: {e:?}"));
    let mut missing = Vec::new();
    for (svix_id, body, user_id) in &acked {
        match get_event(&conn, svix_id).unwrap() {
            Some(event) => {
                assert_eq!(event.body, body.as_ref(), "{svix_id} body changed");
                assert_eq!(event.summary.status, 200);
                assert!(
                    get_user(&conn, user_id).unwrap().is_some(),
                    "{user_id} not synced"
                );
            }
            None => missing.push(svix_id.clone()),
        }
    }
    // Opening the store after the crash indexed every event for the user timelines.
    let (indexed, upto, max): (i64, i64, i64) = rusqlite::Connection::open(sandbox.db())
        .unwrap()
        .query_row(
            "SELECT (SELECT count(*) FROM user_events), (SELECT upto FROM index_state), \
             (SELECT max(id) FROM events)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(upto, max, "the per-user index caught up on restart");
    assert!(
        indexed >= acked.len() as i64,
        "{indexed} indexed, {} acked",
        acked.len()
    );
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged events lost: {:?}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(5)]
    );
    let after = prepare(find("user.updated").unwrap().json, None, now_ms()).unwrap();
    let delivery = sign(
        Bytes::from(after.body),
        &Secret::parse(SECRET, SecretOrigin::Flag).unwrap(),
        now_ms() / 1000,
        SignOptions::default(),
    );
    let reply = delivery
        .post(&HttpClient::new(), &restarted.url)
        .await
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
}
