//! Shared setup for the integration tests: a real engine on a temp SQLite file served over
//! loopback HTTP, Svix-signed deliveries of the embedded Clerk fixtures, raw HTTP requests, and
//! the store queries the tests check results with.

// Each test crate uses its own subset of these helpers.
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use hooklab_core::client::HttpClient;
use hooklab_core::engine::DEFAULT_WEBHOOK_PATH;
use hooklab_core::fixtures::{Prepared, find, prepare};
use hooklab_core::receiver::ConnLimits;
use hooklab_core::secret::{Secret, SecretOrigin};
use hooklab_core::send::{Delivery, SignOptions, sign, sign_as};
use hooklab_core::store::{
    EventDetail, EventFilter, EventPage, EventSummary, UserDetail, UserPage, UserQuery,
};
use hooklab_core::{Engine, EngineConfig};
use http::HeaderMap;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// The signing secret every harness starts with (Svix's published test vector).
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// A second valid secret: a rotation's new secret, or simply the wrong one.
pub const OTHER_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
/// The webhook route the engine is configured with.
pub const WEBHOOK_PATH: &str = DEFAULT_WEBHOOK_PATH;
/// How long any single await in a test may take before the test fails instead of hanging.
pub const WAIT: Duration = Duration::from_secs(20);

/// Awaits `future`, failing the test (naming `what`) if it takes longer than [`WAIT`].
pub async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    match tokio::time::timeout(WAIT, future).await {
        Ok(value) => value,
        Err(_) => panic!("{what} did not finish within {WAIT:?}"),
    }
}

/// Parses a `whsec_…` secret as if it were passed with `--secret`.
pub fn secret(raw: &str) -> Secret {
    Secret::parse(raw, SecretOrigin::Flag).expect("test secret parses")
}

/// Unix ms now.
pub fn now_ms() -> i64 {
    hooklab_core::capture::now_ms()
}

/// Unix s now.
pub fn now_secs() -> i64 {
    now_ms().div_euclid(1000)
}

/// A fresh event body from an embedded fixture, about `user` (a fresh user when `None`), with
/// its times moved to `at_ms`.
pub fn fixture(name: &str, user: Option<&str>, at_ms: i64) -> Prepared {
    let template = find(name).unwrap_or_else(|| panic!("no fixture {name}"));
    prepare(template.json, user, at_ms).expect("fixture prepares")
}

/// The user id a prepared fixture is about.
pub fn user_of(prepared: &Prepared) -> String {
    prepared.user_id.clone().expect("the fixture names a user")
}

/// `body` signed with [`SECRET`] as a new message, now.
pub fn signed(body: impl Into<Bytes>) -> Delivery {
    signed_with(body, SECRET, SignOptions::default())
}

/// `body` signed with `secret_raw` as a new message, now, with `options`.
pub fn signed_with(body: impl Into<Bytes>, secret_raw: &str, options: SignOptions) -> Delivery {
    sign(body.into(), &secret(secret_raw), now_secs(), options)
}

/// A Svix retry of `delivery`: same `svix-id` and body, signed again now with `secret_raw`.
pub fn redelivery(delivery: &Delivery, secret_raw: &str) -> Delivery {
    sign_as(
        delivery.svix_id.clone(),
        delivery.body.clone(),
        &secret(secret_raw),
        now_secs(),
        SignOptions::default(),
    )
}

/// `delivery` as the receiver would have captured it at the webhook path at `received_ms`.
pub fn capture_at(delivery: &Delivery, received_ms: i64) -> hooklab_core::capture::Capture {
    hooklab_core::capture::Capture {
        received_ms,
        source: hooklab_core::capture::Source::Local,
        remote: None,
        method: "POST".into(),
        path: WEBHOOK_PATH.into(),
        headers: delivery.headers(),
        body: delivery.body.clone(),
        body_size: delivery.body.len() as u64,
        incomplete: None,
        replay_of: None,
    }
}

/// `delivery` as the receiver would capture it now.
pub fn capture_of(delivery: &Delivery) -> hooklab_core::capture::Capture {
    capture_at(delivery, now_ms())
}

/// How the receiver answered.
#[derive(Debug)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body as text.
    pub body: String,
    /// The body as JSON (`Null` when it is not JSON).
    pub json: Value,
}

impl Reply {
    /// Wraps what [`HttpClient::post`] returned.
    pub fn from_http(reply: hooklab_core::client::HttpReply) -> Self {
        Self::new(reply.status, reply.headers, reply.body)
    }

    fn new(status: u16, headers: HeaderMap, body: String) -> Self {
        let json = serde_json::from_str(&body).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            body,
            json,
        }
    }

    /// The stored event's row id the receiver reported.
    pub fn id(&self) -> i64 {
        self.json["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("no event id in the answer: {}", self.body))
    }

    /// A string field of the JSON answer.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.json[name].as_str()
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A running engine served on a loopback port, on its own temp database.
pub struct Harness {
    /// The engine the receiver serves.
    pub engine: Engine,
    /// A client for posting deliveries.
    pub client: HttpClient,
    /// Where the receiver listens.
    pub addr: SocketAddr,
    /// The database file's directory (removed on drop).
    pub dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    served: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Harness {
    /// An engine with [`SECRET`] configured and every other setting at its default.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// An engine whose config (secrets: [`SECRET`]) `configure` may change before it starts.
    pub async fn start_with(configure: impl FnOnce(&mut EngineConfig)) -> Self {
        Self::start_serving(configure, ConnLimits::default()).await
    }

    /// An engine served with these connection limits.
    pub async fn start_limited(limits: ConnLimits) -> Self {
        Self::start_serving(|_| {}, limits).await
    }

    /// Stops serving; true when the receiver ended within `wait`.
    pub async fn stop_serving(&mut self, wait: Duration) -> bool {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.served.take() {
            Some(served) => tokio::time::timeout(wait, served).await.is_ok(),
            None => true,
        }
    }

    async fn start_serving(configure: impl FnOnce(&mut EngineConfig), limits: ConnLimits) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = EngineConfig::new(dir.path().join("hooklab.db"));
        config.secrets = vec![secret(SECRET)];
        configure(&mut config);
        let engine = Engine::start(config).expect("engine starts on a fresh database");
        let listener = within("binding a loopback port", TcpListener::bind("127.0.0.1:0"))
            .await
            .expect("loopback port");
        let addr = listener.local_addr().expect("listener address");
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        let served = tokio::spawn(hooklab_core::receiver::serve_with(
            listener,
            engine.clone(),
            limits,
            shutdown,
        ));
        Self {
            engine,
            client: HttpClient::new(),
            addr,
            dir,
            stop: Some(stop),
            served: Some(served),
        }
    }

    /// Waits until the writer's text index covers every event (it indexes while idle).
    pub async fn wait_for_text_index(&self) {
        let conn = rusqlite::Connection::open(self.db_path()).unwrap();
        for _ in 0..200 {
            let (upto, max): (i64, i64) = conn
                .query_row(
                    "SELECT (SELECT upto FROM index_state WHERE name = 'event_text'), \
                     (SELECT max(id) FROM events)",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap();
            if upto == max {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the text index did not catch up");
    }

    /// The database file.
    pub fn db_path(&self) -> std::path::PathBuf {
        self.engine.store().path().to_owned()
    }

    /// The URL of `path` on this receiver.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Posts a signed delivery to the webhook route.
    pub async fn deliver(&self, delivery: &Delivery) -> Reply {
        self.post(WEBHOOK_PATH, &delivery.headers(), delivery.body.clone())
            .await
    }

    /// Posts every delivery to the webhook route at once; the answers in completion order.
    pub async fn deliver_all_at_once(&self, deliveries: &[Delivery]) -> Vec<Reply> {
        let mut tasks = tokio::task::JoinSet::new();
        for delivery in deliveries {
            let (client, url, delivery) = (
                self.client.clone(),
                self.url(WEBHOOK_PATH),
                delivery.clone(),
            );
            tasks.spawn(async move { delivery.post(&client, &url).await });
        }
        let mut replies = Vec::new();
        while let Some(done) = within("concurrent deliveries", tasks.join_next()).await {
            let reply = done.expect("delivery task").expect("an answer");
            replies.push(Reply::from_http(reply));
        }
        replies
    }

    /// POSTs `body` with `headers` to `path`.
    pub async fn post(&self, path: &str, headers: &HeaderMap, body: Bytes) -> Reply {
        let url = self.url(path);
        let reply = within(
            &format!("POST {path}"),
            self.client.post(&url, headers, body),
        )
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
        Reply::from_http(reply)
    }

    /// Writes `request` (a whole HTTP/1.1 request, which should say `Connection: close`) on a
    /// fresh TCP connection and reads the answer until the server closes it.
    pub async fn raw(&self, request: &[u8]) -> Reply {
        let exchange = async {
            let mut stream = TcpStream::connect(self.addr).await?;
            stream.write_all(request).await?;
            let mut answer = Vec::new();
            stream.read_to_end(&mut answer).await?;
            Ok::<_, std::io::Error>(answer)
        };
        let answer = within("a raw HTTP exchange", exchange)
            .await
            .expect("raw HTTP exchange");
        parse_raw_reply(&answer)
    }

    /// Like [`Harness::raw`], but closes the sending side after `request`, as a client that
    /// gives up mid-body does.
    pub async fn raw_half_closed(&self, request: &[u8]) -> Reply {
        let exchange = async {
            let mut stream = TcpStream::connect(self.addr).await?;
            stream.write_all(request).await?;
            stream.shutdown().await?;
            let mut answer = Vec::new();
            stream.read_to_end(&mut answer).await?;
            Ok::<_, std::io::Error>(answer)
        };
        let answer = within("a half-closed HTTP exchange", exchange)
            .await
            .expect("half-closed HTTP exchange");
        parse_raw_reply(&answer)
    }

    /// One stored event, by row id.
    pub async fn event(&self, id: i64) -> EventDetail {
        self.event_by(id.to_string())
            .await
            .unwrap_or_else(|| panic!("no stored event {id}"))
    }

    /// One stored event, by row id or svix-id.
    pub async fn event_by(&self, key: String) -> Option<EventDetail> {
        let query = self.engine.store().event(key);
        within("get_event", query).await.expect("get_event")
    }

    /// One page of the event list.
    pub async fn events(&self, filter: EventFilter) -> EventPage {
        let query = self.engine.store().events(filter);
        within("list_events", query).await.expect("list_events")
    }

    /// Every stored event (up to 500), newest first.
    pub async fn all_events(&self) -> Vec<EventSummary> {
        let page = self
            .events(EventFilter {
                limit: Some(500),
                ..EventFilter::default()
            })
            .await;
        assert_eq!(page.next_cursor, None, "more than 500 events in a test");
        page.items
    }

    /// One synced user with its sessions and timeline.
    pub async fn user(&self, id: &str) -> Option<UserDetail> {
        let query = self.engine.store().user(id);
        within("get_user", query).await.expect("get_user")
    }

    /// One synced user that must exist.
    pub async fn existing_user(&self, id: &str) -> UserDetail {
        self.user(id)
            .await
            .unwrap_or_else(|| panic!("no user row for {id}"))
    }

    /// The user list, optionally searched.
    pub async fn users(&self, search: Option<&str>) -> UserPage {
        let query =
            self.engine
                .store()
                .users(UserQuery::newest(search.map(str::to_owned), None, 500));
        within("list_users", query).await.expect("list_users")
    }

    /// (live, deleted) user counts.
    pub async fn user_counts(&self) -> (i64, i64) {
        let query = self.engine.store().user_counts();
        let counts = within("count_users", query).await.expect("count_users");
        (counts.active, counts.deleted)
    }

    /// Checks that the request the receiver answered with `reply` was stored with that status
    /// and with exactly the body bytes sent; returns the stored event.
    pub async fn assert_captured(&self, reply: &Reply, sent: &[u8]) -> EventDetail {
        let event = self.event(reply.id()).await;
        assert_eq!(
            event.summary.status, reply.status,
            "stored status vs answered status"
        );
        assert_eq!(
            event.body, sent,
            "stored body bytes differ from the bytes sent"
        );
        assert_eq!(
            event.summary.body_size,
            sent.len() as i64,
            "stored body size"
        );
        event
    }
}

/// The Svix headers of `delivery` with one of them removed.
pub fn headers_without(delivery: &Delivery, name: &str) -> HeaderMap {
    let mut headers = delivery.headers();
    headers.remove(name);
    headers
}

/// Reads the answer on `stream` until the server closes it.
pub async fn read_reply(stream: &mut TcpStream) -> Reply {
    let mut answer = Vec::new();
    within("reading an answer", stream.read_to_end(&mut answer))
        .await
        .expect("read the answer");
    parse_raw_reply(&answer)
}

fn parse_raw_reply(answer: &[u8]) -> Reply {
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header block in {:?}", String::from_utf8_lossy(answer)));
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let body = String::from_utf8_lossy(&answer[split + 4..]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let mut headers = HeaderMap::new();
    for line in lines {
        if let Some((name, value)) = line.split_once(':')
            && let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.trim().as_bytes()),
                http::HeaderValue::from_str(value.trim()),
            )
        {
            headers.append(name, value);
        }
    }
    Reply::new(status, headers, body)
}
