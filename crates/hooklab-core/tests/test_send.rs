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
use hooklab_core::test_event::send_test_event;

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

#[tokio::test]
async fn an_update_sent_about_a_chosen_user_lands_on_that_user() {
    let sandbox = start().await;
    let (engine, client, url) = (sandbox.runtime.engine(), &sandbox.client, &sandbox.url);
    let created = find("user.created").unwrap().json;
    let updated = find("user.updated").unwrap().json;

    let first = send_test_event(engine, client, created, None, url)
        .await
        .unwrap();
    let user = first.user_id.clone().expect("a user event names its user");
    assert_eq!(first.http.status, 200, "{}", first.http.body);
    // Without a user, each send is about a new one.
    let other = send_test_event(engine, client, updated, None, url)
        .await
        .unwrap();
    assert_ne!(other.user_id.as_deref(), Some(user.as_str()));

    let chosen = format!("  {user} ");
    let update = send_test_event(engine, client, updated, Some(&chosen), url)
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

    let error = send_test_event(engine, client, updated, Some("user_1 OR 1=1"), url)
        .await
        .unwrap_err();
    let body = ErrorBody::of(&error);
    assert_eq!(
        (body.code.as_str(), body.field.as_deref()),
        ("invalid_user_id", Some("user_id"))
    );
    assert!(body.message.contains("user_1 OR 1=1"), "{}", body.message);

    let error = send_test_event(engine, client, "{\"type\": ", None, url)
        .await
        .unwrap_err();
    assert_eq!(ErrorBody::of(&error).field.as_deref(), Some("fixture_json"));

    let page = engine.store().events(EventFilter::default()).await.unwrap();
    assert!(page.items.is_empty(), "nothing was sent: {:?}", page.items);
    sandbox.runtime.shutdown().await;
}
