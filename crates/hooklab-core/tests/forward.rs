//! Forwarding to the user's own app over real HTTP on loopback: a verified event reaches the
//! app byte for byte with signature headers the app can verify with the same secret, and the
//! app's answer is stored with the event; junk is not forwarded; an app that is down is
//! recorded with a hint, and a resend to it once it runs replaces that; turning forwarding on
//! applies without a restart; a URL that leads back to Hooklab does not loop nor keeps Hooklab
//! from starting; Hooklab's probes are not forwarded; two receivers on one database forward
//! each event once.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod common;

use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;
use common::{OTHER_SECRET, SECRET, WAIT, fixture, signed, signed_with, within};
use hooklab_core::client::HttpClient;
use hooklab_core::forward::FORWARDED_HEADER;
use hooklab_core::replay::{ReplayRequest, Signing, Target, replay};
use hooklab_core::runtime::{Overrides, Runtime, RuntimeError, RuntimeOptions};
use hooklab_core::send::{Delivery, SignOptions};
use hooklab_core::settings::{self, Settings, SettingsChange};
use hooklab_core::store::{EventFilter, Forward};
use tokio::sync::mpsc;

/// A request the app received.
struct Received {
    headers: HeaderMap,
    body: Bytes,
}

/// A stand-in for the user's app: answers every POST with `status` and a short text, and
/// hands over what it received.
async fn start_app(status: StatusCode) -> (String, mpsc::UnboundedReceiver<Received>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = axum::Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(Received { headers, body });
            (status, "handled by the app")
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/api/webhooks/clerk",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, rx)
}

/// A running receiver with `settings` (plus the signing secret) on a temporary database.
async fn start(
    settings: Settings,
    overrides: impl FnOnce(&mut Overrides),
) -> (tempfile::TempDir, Runtime) {
    try_start(settings, overrides)
        .await
        .expect("the runtime starts")
}

async fn try_start(
    settings: Settings,
    overrides: impl FnOnce(&mut Overrides),
) -> Result<(tempfile::TempDir, Runtime), RuntimeError> {
    let dir = tempfile::tempdir().unwrap();
    let settings_path = dir.path().join("settings.json");
    let file = Settings {
        secrets: vec![SECRET.to_owned()],
        ..settings
    };
    settings::save(&settings_path, &file).unwrap();
    let mut options = RuntimeOptions::new(dir.path().join("hooklab.db"), settings_path);
    options.overrides.port = Some(0);
    overrides(&mut options.overrides);
    let runtime = within("starting the runtime", Runtime::start(options)).await?;
    Ok((dir, runtime))
}

/// A receiver on a port known before it starts (`start_on(port)` builds it): a port found
/// free may be taken by a parallel test before it is bound, so another is tried then.
async fn start_on_a_known_port<F, Fut>(start_on: F) -> (tempfile::TempDir, Runtime, u16)
where
    F: Fn(u16) -> Fut,
    Fut: std::future::Future<Output = Result<(tempfile::TempDir, Runtime), RuntimeError>>,
{
    for _ in 0..20 {
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = free.local_addr().unwrap().port();
        drop(free);
        match start_on(port).await {
            Ok((dir, runtime)) => return (dir, runtime, port),
            Err(RuntimeError::PortInUse { .. }) => continue,
            Err(e) => panic!("the runtime does not start: {e}"),
        }
    }
    panic!("no free port in 20 tries")
}

async fn deliver(runtime: &Runtime, delivery: &Delivery) -> i64 {
    let url = runtime.status().local_url;
    let reply = HttpClient::new()
        .post(&url, &delivery.headers(), delivery.body.clone())
        .await
        .unwrap();
    let answer: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    answer["id"]
        .as_i64()
        .expect("Hooklab answers with the event's number")
}

fn user_created() -> Delivery {
    signed(fixture("user.created", None, common::now_ms()).body)
}

/// Waits until event `id` has a stored forward.
async fn forward_of(runtime: &Runtime, id: i64) -> Forward {
    within("the app's answer to be stored", async {
        loop {
            let detail = runtime.engine().store().event(id.to_string()).await;
            if let Some(forward) = detail.unwrap().unwrap().forward {
                return forward;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

#[tokio::test]
async fn a_verified_event_reaches_the_app_as_signed_and_the_apps_answer_is_kept() {
    let (app_url, mut app) = start_app(StatusCode::CREATED).await;
    let live = Settings {
        forward_url: Some(app_url.clone()),
        forward_live: true,
        ..Settings::default()
    };
    let (_dir, runtime) = start(live, |_| {}).await;
    assert!(runtime.status().forwarding);

    // A delivery signed with another secret is stored but never reaches the app.
    let junk = signed_with(
        fixture("user.created", None, common::now_ms()).body,
        OTHER_SECRET,
        SignOptions::default(),
    );
    deliver(&runtime, &junk).await;
    // Nor does Hooklab's own probe of its public URL (signed, verified, answered 200).
    let probe = signed(
        serde_json::json!({"type": hooklab_core::probe::PROBE_TYPE, "object": "event", "data": {}})
            .to_string(),
    );
    deliver(&runtime, &probe).await;
    let delivery = user_created();
    let id = deliver(&runtime, &delivery).await;

    let got = within("the app to receive the event", app.recv())
        .await
        .unwrap();
    assert_eq!(got.body, delivery.body, "the body arrives byte for byte");
    let svix = svix::webhooks::Webhook::new(SECRET).unwrap();
    svix.verify(&got.body, &got.headers)
        .expect("the app verifies it with the same signing secret");
    assert_eq!(
        got.headers[FORWARDED_HEADER].to_str().unwrap(),
        id.to_string()
    );

    let forward = forward_of(&runtime, id).await;
    assert_eq!(forward.status, Some(201));
    assert_eq!(forward.body, "handled by the app");
    assert_eq!(forward.url, app_url);
    assert_eq!(forward.answer().split(' ').next(), Some("201"));
    assert!(forward.hint.is_none(), "a 2xx needs no hint");
    let page = runtime
        .engine()
        .store()
        .events(EventFilter::default())
        .await
        .unwrap();
    let row = page.items.iter().find(|e| e.id == id).unwrap();
    assert_eq!(row.forwarded, Some(201), "the log's row shows the answer");
    let junk_row = page.items.iter().find(|e| e.id != id).unwrap();
    assert_eq!(junk_row.forwarded, None);
    assert!(
        app.try_recv().is_err(),
        "only the verified event was forwarded"
    );
    runtime.shutdown().await;
}

#[tokio::test]
async fn forwarding_turned_on_applies_at_once_and_an_app_that_is_down_gets_a_hint() {
    let (_dir, runtime) = start(Settings::default(), |_| {}).await;
    assert!(!runtime.status().forwarding);
    let before = deliver(&runtime, &user_created()).await;

    // Hooklab's own port is refused beside the field.
    let own = format!(
        "http://localhost:{}/api/webhooks/clerk",
        runtime.status().port
    );
    let settings_path = runtime.status().settings_path;
    let mut file = settings::load(settings_path.as_ref()).unwrap();
    file.port = Some(runtime.status().port);
    settings::save(settings_path.as_ref(), &file).unwrap();
    let refused = runtime
        .change_settings(SettingsChange::SetForward {
            url: Some(own),
            live: true,
        })
        .await
        .expect_err("forwarding to Hooklab itself is refused");
    let body = hooklab_core::error_body::ErrorBody::of(&refused);
    assert_eq!(body.field.as_deref(), Some("forward_url"), "{body:?}");

    // A port nothing listens on: bind one, then free it.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let down = format!("http://{}/hooks", closed.local_addr().unwrap());
    drop(closed);
    let status = runtime
        .change_settings(SettingsChange::SetForward {
            url: Some(down.clone()),
            live: true,
        })
        .await
        .unwrap();
    assert!(status.forwarding);
    assert_eq!(status.forward_url.as_deref(), Some(down.as_str()));

    let id = deliver(&runtime, &user_created()).await;
    let forward = forward_of(&runtime, id).await;
    assert_eq!(forward.status, None);
    assert!(
        forward.answer().starts_with("no answer"),
        "{}",
        forward.answer()
    );
    let hint = forward.hint.as_deref().unwrap();
    assert!(hint.contains(&down), "{hint}");
    let earlier = runtime.engine().store().event(before.to_string()).await;
    assert!(
        earlier.unwrap().unwrap().forward.is_none(),
        "what arrived before forwarding was on is not sent"
    );

    // The app starts; resending the event to it replaces the failure with its answer.
    let listener = tokio::net::TcpListener::bind(
        down.trim_start_matches("http://")
            .trim_end_matches("/hooks"),
    )
    .await
    .unwrap();
    let app = axum::Router::new().fallback(|| async { (StatusCode::ACCEPTED, "queued") });
    tokio::spawn(async move { axum::serve(listener, app).await });
    let request = ReplayRequest {
        key: id.to_string(),
        signing: Signing::AsCaptured,
        target: Target::Http { url: down.clone() },
        body: None,
    };
    let outcome = replay(runtime.engine(), &HttpClient::new(), &request)
        .await
        .unwrap();
    assert_eq!(outcome.http.unwrap().status, 202);
    let detail = runtime
        .engine()
        .store()
        .event(id.to_string())
        .await
        .unwrap();
    let forward = detail.unwrap().forward.unwrap();
    assert_eq!(
        (forward.status, forward.body.as_str()),
        (Some(202), "queued")
    );
    assert!(forward.hint.is_none());
    runtime.shutdown().await;
}

#[tokio::test]
async fn forwarding_to_hooklab_itself_does_not_loop() {
    // `--forward-to` is checked by the CLI; the runtime must still not loop when a URL leads
    // back to Hooklab. A free port, so the URL is known before the start.
    let (_dir, runtime, _) = start_on_a_known_port(|port| {
        try_start(Settings::default(), move |o| {
            o.port = Some(port);
            o.forward_to = Some(format!("http://127.0.0.1:{port}{}", common::WEBHOOK_PATH));
        })
    })
    .await;
    let first = deliver(&runtime, &user_created()).await;
    let forward = forward_of(&runtime, first).await;
    assert_eq!(
        forward.status,
        Some(200),
        "Hooklab took its own forward: {forward:?}"
    );
    let second = deliver(&runtime, &user_created()).await;
    forward_of(&runtime, second).await;

    let events = runtime
        .engine()
        .store()
        .events(EventFilter::default())
        .await
        .unwrap();
    assert_eq!(
        events.items.len(),
        2,
        "each forward came back as a redelivery, not a new event"
    );
    assert!(events.items.iter().all(|e| e.delivery_count == 2));
    tokio::time::sleep(WAIT / 40).await;
    let later = runtime
        .engine()
        .store()
        .events(EventFilter::default())
        .await
        .unwrap();
    assert!(
        later.items.iter().all(|e| e.delivery_count == 2),
        "no forward came back again"
    );
    runtime.shutdown().await;
}

#[tokio::test]
async fn two_receivers_on_one_database_forward_each_event_once() {
    let (app_url, mut app) = start_app(StatusCode::OK).await;
    let live = Settings {
        forward_url: Some(app_url),
        forward_live: true,
        ..Settings::default()
    };
    // The app and a `hooklab serve` share the database and the settings file.
    let (dir, first) = start(live, |_| {}).await;
    let mut options = RuntimeOptions::new(
        dir.path().join("hooklab.db"),
        dir.path().join("settings.json"),
    );
    options.overrides.port = Some(0);
    let second = within("starting the second runtime", Runtime::start(options))
        .await
        .unwrap();
    let a = deliver(&first, &user_created()).await;
    forward_of(&first, a).await;
    let b = deliver(&second, &user_created()).await;
    forward_of(&second, b).await;
    // Each one's bus nudge, and the periodic look at the store, would both find the other's
    // event: it must still go once.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let mut posts = 0;
    while app.try_recv().is_ok() {
        posts += 1;
    }
    assert_eq!(posts, 2, "each event reached the app once");
    first.shutdown().await;
    second.shutdown().await;
}

#[tokio::test]
async fn a_saved_app_url_on_hooklabs_own_port_leaves_forwarding_off_but_hooklab_starts() {
    let (_dir, runtime, port) = start_on_a_known_port(|port| {
        let file = Settings {
            port: Some(port),
            forward_url: Some(format!("http://localhost:{port}/api/webhooks/clerk")),
            forward_live: true,
            ..Settings::default()
        };
        try_start(file, |o| o.port = None)
    })
    .await;
    let status = runtime.status();
    assert_eq!(status.port, port);
    assert!(
        !status.forwarding,
        "a URL leading back to Hooklab is not used"
    );
    runtime.shutdown().await;
}
