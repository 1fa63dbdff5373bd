//! Sending a test event from a fixture, as the app's Send view does: a new user by default, or
//! a chosen user so an update or delete lands on a user already synced; a bad user id or bad
//! JSON is refused beside its field and nothing is sent.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod common;

use common::{SECRET, within};
use hooklab_core::client::HttpClient;
use hooklab_core::error_body::ErrorBody;
use hooklab_core::fixtures::find;
use hooklab_core::runtime::{Runtime, RuntimeOptions};
use hooklab_core::settings::{self, Settings};
use hooklab_core::store::EventFilter;
use hooklab_core::test_event::{TestOptions, send_test_event};

/// A running receiver on a temporary database, its client and local URL.
struct Sandbox {
    _dir: tempfile::TempDir,
    runtime: Runtime,
    client: HttpClient,
    url: String,
}

async fn start() -> Sandbox {
    let dir = tempfile::tempdir().unwrap();
    let settings_path = dir.path().join("settings.json");
    let file = Settings {
        secrets: vec![SECRET.to_owned()],
        ..Settings::default()
    };
    settings::save(&settings_path, &file).unwrap();
    let mut options = RuntimeOptions::new(dir.path().join("hooklab.db"), settings_path);
    options.overrides.port = Some(0);
    let runtime = within("starting the runtime", Runtime::start(options))
        .await
        .expect("the runtime starts");
    let url = runtime.status().local_url;
    Sandbox {
        _dir: dir,
        runtime,
        client: HttpClient::new(),
        url,
    }
}

/// Options for a send about `user`.
fn about(user: &str) -> TestOptions {
    TestOptions {
        user_id: Some(user.to_owned()),
        ..TestOptions::default()
    }
}

#[tokio::test]
async fn an_update_sent_about_a_chosen_user_lands_on_that_user() {
    let sandbox = start().await;
    let (engine, client, url) = (sandbox.runtime.engine(), &sandbox.client, &sandbox.url);
    let created = find("user.created").unwrap().json;
    let updated = find("user.updated").unwrap().json;

    let first = send_test_event(engine, client, created, &TestOptions::default(), url)
        .await
        .unwrap();
    let user = first.user_id.clone().expect("a user event names its user");
    assert_eq!(first.attempts[0].status, 200, "{}", first.attempts[0].body);
    // Without a user, each send is about a new one.
    let other = send_test_event(engine, client, updated, &TestOptions::default(), url)
        .await
        .unwrap();
    assert_ne!(other.user_id.as_deref(), Some(user.as_str()));

    let chosen = format!("  {user} ");
    let update = send_test_event(engine, client, updated, &about(&chosen), url)
        .await
        .unwrap();
    assert_eq!(update.user_id.as_deref(), Some(user.as_str()));
    let event = update
        .event
        .expect("Hooklab answered with the captured event");
    assert_eq!(event.sync.code(), "applied", "{:?}", event.sync_detail);
    let row = engine.store().user(user.clone()).await.unwrap().unwrap();
    assert_eq!(
        row.user.first_name.as_deref(),
        Some("Alexandra"),
        "the update was applied to the chosen user"
    );
    assert_eq!(
        row.timeline.len(),
        2,
        "both events are in the user's timeline"
    );
    sandbox.runtime.shutdown().await;
}

#[tokio::test]
async fn a_bad_user_id_or_bad_json_is_refused_beside_its_field_and_nothing_is_sent() {
    let sandbox = start().await;
    let (engine, client, url) = (sandbox.runtime.engine(), &sandbox.client, &sandbox.url);
    let updated = find("user.updated").unwrap().json;

    let error = send_test_event(engine, client, updated, &about("user_1 OR 1=1"), url)
        .await
        .unwrap_err();
    let body = ErrorBody::of(&error);
    assert_eq!(
        (body.code.as_str(), body.field.as_deref()),
        ("invalid_user_id", Some("user_id"))
    );
    assert!(body.message.contains("user_1 OR 1=1"), "{}", body.message);

    let error = send_test_event(engine, client, "{\"type\": ", &TestOptions::default(), url)
        .await
        .unwrap_err();
    assert_eq!(ErrorBody::of(&error).field.as_deref(), Some("fixture_json"));

    let page = engine.store().events(EventFilter::default()).await.unwrap();
    assert!(page.items.is_empty(), "nothing was sent: {:?}", page.items);
    sandbox.runtime.shutdown().await;
}

#[tokio::test]
async fn a_send_broken_on_purpose_arrives_broken_and_says_why() {
    let sandbox = start().await;
    let (engine, client, url) = (sandbox.runtime.engine(), &sandbox.client, &sandbox.url);
    let created = find("user.created").unwrap().json;

    let wrong_key = TestOptions {
        wrong_key: true,
        ..TestOptions::default()
    };
    let sent = send_test_event(engine, client, created, &wrong_key, url)
        .await
        .unwrap();
    assert_eq!(sent.attempts.len(), 1);
    assert_eq!(sent.attempts[0].status, 401, "{}", sent.attempts[0].body);
    let event = sent.event.expect("Hooklab captured the refused request");
    assert_eq!(event.verification, "signature_mismatch");
    assert!(
        event.hint.as_deref().is_some_and(|h| h.contains("secret")),
        "the wrong-secret hint: {:?}",
        event.hint
    );

    let old = TestOptions {
        timestamp_offset: -600,
        ..TestOptions::default()
    };
    let sent = send_test_event(engine, client, created, &old, url)
        .await
        .unwrap();
    let event = sent.event.expect("captured");
    assert_eq!(event.verification, "timestamp_too_old");
    assert_eq!(event.svix_timestamp, Some(sent.svix_timestamp));
    assert!(
        hooklab_core::capture::now_ms() / 1000 - sent.svix_timestamp >= 600,
        "signed 10 minutes in the past"
    );
    let users = engine.store().users(Default::default()).await.unwrap();
    assert!(users.items.is_empty(), "nothing broken was synced");
    sandbox.runtime.shutdown().await;
}

#[tokio::test]
async fn a_message_delivered_three_times_is_one_event_with_three_deliveries() {
    let sandbox = start().await;
    let (engine, client, url) = (sandbox.runtime.engine(), &sandbox.client, &sandbox.url);
    let thrice = TestOptions {
        times: 3,
        ..TestOptions::default()
    };
    let sent = send_test_event(
        engine,
        client,
        find("user.created").unwrap().json,
        &thrice,
        url,
    )
    .await
    .unwrap();
    let statuses: Vec<u16> = sent.attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [200, 200, 200]);
    let event = sent.event.expect("captured");
    assert_eq!(
        event.delivery_count, 3,
        "the open event counts every delivery"
    );
    assert_eq!(event.svix_id.as_deref(), Some(sent.svix_id.as_str()));
    let page = engine.store().events(EventFilter::default()).await.unwrap();
    assert_eq!(
        page.items.len(),
        1,
        "redeliveries bump one row: {:?}",
        page.items
    );
    sandbox.runtime.shutdown().await;
}

#[tokio::test]
async fn a_chosen_session_ends_the_session_a_sign_in_started() {
    let sandbox = start().await;
    let (engine, client, url) = (sandbox.runtime.engine(), &sandbox.client, &sandbox.url);
    let user = send_test_event(
        engine,
        client,
        find("user.created").unwrap().json,
        &TestOptions::default(),
        url,
    )
    .await
    .unwrap()
    .user_id
    .unwrap();
    let sign_in = send_test_event(
        engine,
        client,
        find("session.created").unwrap().json,
        &about(&user),
        url,
    )
    .await
    .unwrap();
    assert_eq!(
        sign_in.attempts[0].status, 200,
        "{}",
        sign_in.attempts[0].body
    );
    let detail = engine.store().user(user.clone()).await.unwrap().unwrap();
    let session = detail.sessions[0].id.clone();

    let end = TestOptions {
        session_id: Some(format!(" {session} ")),
        ..about(&user)
    };
    send_test_event(
        engine,
        client,
        find("session.ended").unwrap().json,
        &end,
        url,
    )
    .await
    .unwrap();
    let detail = engine.store().user(user.clone()).await.unwrap().unwrap();
    assert_eq!(detail.sessions.len(), 1, "the same session, not a new one");
    assert_eq!(detail.sessions[0].status.as_deref(), Some("ended"));
    sandbox.runtime.shutdown().await;
}

#[tokio::test]
async fn options_that_cannot_be_sent_are_refused_beside_their_field() {
    let sandbox = start().await;
    let (engine, client, url) = (sandbox.runtime.engine(), &sandbox.client, &sandbox.url);
    let created = find("user.created").unwrap().json;
    let refused = |options: TestOptions| async move {
        let error = send_test_event(engine, client, created, &options, url)
            .await
            .unwrap_err();
        ErrorBody::of(&error).field
    };
    let session = TestOptions {
        session_id: Some("sess_1".into()),
        ..TestOptions::default()
    };
    assert_eq!(refused(session).await.as_deref(), Some("session_id"));
    let many = TestOptions {
        times: 21,
        ..TestOptions::default()
    };
    assert_eq!(refused(many).await.as_deref(), Some("times"));
    let negative = TestOptions {
        times: -1,
        ..TestOptions::default()
    };
    assert_eq!(refused(negative).await.as_deref(), Some("times"));
    let years = TestOptions {
        timestamp_offset: -400 * 86_400,
        ..TestOptions::default()
    };
    assert_eq!(refused(years).await.as_deref(), Some("timestamp_offset"));
    let page = engine.store().events(EventFilter::default()).await.unwrap();
    assert!(page.items.is_empty(), "nothing was sent: {:?}", page.items);
    for typed in ["", "ftp://example.com/hook", "http://"] {
        let error = hooklab_core::test_event::target_url(typed).unwrap_err();
        assert_eq!(
            ErrorBody::of(&error).field.as_deref(),
            Some("url"),
            "{typed:?}"
        );
    }
    assert_eq!(
        hooklab_core::test_event::target_url(" localhost:3000/api/webhooks ").unwrap(),
        "http://localhost:3000/api/webhooks"
    );
    sandbox.runtime.shutdown().await;
}

#[tokio::test]
async fn an_app_that_answers_with_an_id_is_not_taken_for_hooklab() {
    let sandbox = start().await;
    let (engine, client, url) = (sandbox.runtime.engine(), &sandbox.client, &sandbox.url);
    let created = find("user.created").unwrap().json;
    // Event #1 exists in Hooklab; the user's app answers `{"id": 1}` about its own record.
    send_test_event(engine, client, created, &TestOptions::default(), url)
        .await
        .unwrap();
    let app = axum::Router::new().fallback(|| async { r#"{"id":1,"ok":true}"# });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app_url = format!("{}/api/webhooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let twice = TestOptions {
        times: 2,
        ..TestOptions::default()
    };
    let target = hooklab_core::test_event::target_url(&app_url).unwrap();
    let sent = send_test_event(engine, client, created, &twice, &target)
        .await
        .unwrap();
    assert_eq!(sent.attempts.len(), 2);
    assert!(sent.stopped.is_none());
    assert!(
        sent.event.is_none(),
        "event #1 is not this message: {:?}",
        sent.event
    );
    sandbox.runtime.shutdown().await;
}

#[tokio::test]
async fn a_redelivery_that_gets_no_answer_ends_the_send_and_keeps_the_answers_so_far() {
    let sandbox = start().await;
    let (engine, client) = (sandbox.runtime.engine(), &sandbox.client);
    // An app that answers once, then is gone.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app_url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut request = [0_u8; 16 * 1024];
        let _ = tokio::io::AsyncReadExt::read(&mut stream, &mut request).await;
        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";
        let _ = tokio::io::AsyncWriteExt::write_all(&mut stream, answer).await;
    });
    let thrice = TestOptions {
        times: 3,
        ..TestOptions::default()
    };
    let created = find("user.created").unwrap().json;
    let sent = send_test_event(engine, client, created, &thrice, &app_url)
        .await
        .unwrap();
    assert_eq!(sent.attempts.len(), 1, "the first answer is kept");
    assert_eq!(sent.attempts[0].status, 200);
    let stopped = sent.stopped.expect("the send says why it stopped");
    assert!(
        stopped.starts_with("delivery 2 of 3 got no answer"),
        "{stopped}"
    );
    sandbox.runtime.shutdown().await;
}
