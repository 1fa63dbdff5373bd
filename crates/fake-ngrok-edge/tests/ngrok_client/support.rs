//! Shared helpers: a ngrok `SessionBuilder` wired to the fake edge through a
//! recording plain-TCP `Connector`, bounded waits, and a tiny hyper service.

use std::{
    convert::Infallible,
    future::Future,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use bytes::Bytes;
use fake_ngrok_edge::{EdgeOptions, FakeEdge};
use futures_util::StreamExt;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use ngrok::{
    prelude::*,
    session::{ConnectError, IoStream, SessionBuilder},
    tunnel::{AcceptError, HttpTunnel},
};

/// A well-formed token the edge accepts.
pub const TOKEN: &str = "2fakeAgentId_fakeSecret";

/// One call of the session's `Connector`.
#[derive(Debug, Clone)]
pub struct ConnectCall {
    pub at: Instant,
    /// The `err` argument: `None` on the first connect, the reason on reconnects.
    pub err: Option<AcceptError>,
}

pub type CallLog = Arc<Mutex<Vec<ConnectCall>>>;

pub async fn edge(options: EdgeOptions) -> FakeEdge {
    FakeEdge::start(options).await.expect("start fake edge")
}

/// A session builder whose connector dials the fake edge over plain TCP and
/// records every call. `cancel_on_reconnect` makes it give up on the first
/// reconnect (`ConnectError::Canceled`).
pub fn builder_with(
    edge: &FakeEdge,
    token: Option<&str>,
    log: CallLog,
    cancel_on_reconnect: bool,
) -> SessionBuilder {
    let addr = edge.addr();
    let mut builder = ngrok::Session::builder();
    if let Some(token) = token {
        builder.authtoken(token);
    }
    builder
        .server_addr(edge.server_addr())
        .expect("loopback server addr");
    builder.connector(
        move |_host: String,
              _port: u16,
              _tls: Arc<rustls::ClientConfig>,
              err: Option<AcceptError>| {
            let log = log.clone();
            async move {
                let reconnect = err.is_some();
                log.lock().unwrap().push(ConnectCall {
                    at: Instant::now(),
                    err,
                });
                if reconnect && cancel_on_reconnect {
                    return Err(ConnectError::Canceled);
                }
                let tcp = tokio::net::TcpStream::connect(addr)
                    .await
                    .map_err(ConnectError::Tcp)?;
                Ok(Box::new(tcp) as Box<dyn IoStream>)
            }
        },
    );
    builder
}

pub fn builder(edge: &FakeEdge, token: &str) -> SessionBuilder {
    builder_with(edge, Some(token), CallLog::default(), false)
}

/// Awaits `fut` or panics after `secs` seconds: every test stays bounded.
pub async fn within<F: Future>(secs: u64, what: &str, fut: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(secs), fut)
        .await
        .unwrap_or_else(|_| panic!("timed out after {secs}s: {what}"))
}

/// One request as the hyper service received it.
#[derive(Debug)]
pub struct SeenRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

/// What the hyper service saw.
#[derive(Debug, Default)]
pub struct Seen {
    pub remote_addrs: Vec<SocketAddr>,
    pub requests: Vec<SeenRequest>,
    pub accept_errors: Vec<String>,
}

/// Serves every connection of `tunnel` with a hyper HTTP/1 service answering
/// `201` + `x-echo-path` + the request body.
pub fn serve(mut tunnel: HttpTunnel, seen: Arc<Mutex<Seen>>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(next) = tunnel.next().await {
            let conn = match next {
                Ok(conn) => conn,
                Err(e) => {
                    seen.lock().unwrap().accept_errors.push(format!("{e:?}"));
                    continue;
                }
            };
            seen.lock().unwrap().remote_addrs.push(conn.remote_addr());
            let seen = seen.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let seen = seen.clone();
                    async move {
                        let method = req.method().to_string();
                        let path = req.uri().path().to_string();
                        let headers = req
                            .headers()
                            .iter()
                            .map(|(k, v)| {
                                (k.to_string(), v.to_str().unwrap_or_default().to_string())
                            })
                            .collect();
                        let body = req
                            .into_body()
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        seen.lock().unwrap().requests.push(SeenRequest {
                            method,
                            path: path.clone(),
                            headers,
                            body: body.clone(),
                        });
                        let resp = Response::builder()
                            .status(201)
                            .header("x-echo-path", path)
                            .body(Full::new(body))
                            .expect("response");
                        Ok::<_, Infallible>(resp)
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(conn), service)
                    .await;
            });
        }
    })
}

/// Lets the app cut its own session's connection: ngrok-rs 0.19 offers no way
/// to close the transport (see shutdown.rs), so a supervisor's Connector wraps
/// the stream in this.
#[derive(Clone, Default)]
pub struct KillSwitch(Arc<Mutex<(bool, [Option<std::task::Waker>; 2])>>);

impl KillSwitch {
    pub fn kill(&self) {
        let mut state = self.0.lock().unwrap();
        state.0 = true;
        for waker in state.1.iter_mut().filter_map(Option::take) {
            waker.wake();
        }
    }

    /// `side` 0 = read, 1 = write: each keeps its own waker.
    fn killed(&self, side: usize, cx: &mut std::task::Context<'_>) -> bool {
        let mut state = self.0.lock().unwrap();
        if !state.0 {
            state.1[side] = Some(cx.waker().clone());
        }
        state.0
    }
}

/// A TCP stream that fails every read and write once its switch is killed.
pub struct KillableIo {
    pub inner: tokio::net::TcpStream,
    pub switch: KillSwitch,
}

impl tokio::io::AsyncRead for KillableIo {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if self.switch.killed(0, cx) {
            return std::task::Poll::Ready(Err(std::io::ErrorKind::ConnectionAborted.into()));
        }
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for KillableIo {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        if self.switch.killed(1, cx) {
            return std::task::Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into()));
        }
        std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A builder whose connector wraps each connection in a [`KillableIo`] on `switch`.
pub fn killable_builder(edge: &FakeEdge, log: CallLog, switch: KillSwitch) -> SessionBuilder {
    let addr = edge.addr();
    let mut builder = ngrok::Session::builder();
    builder.authtoken(TOKEN);
    builder
        .server_addr(edge.server_addr())
        .expect("loopback server addr");
    builder.connector(
        move |_host: String,
              _port: u16,
              _tls: Arc<rustls::ClientConfig>,
              err: Option<AcceptError>| {
            let (log, switch) = (log.clone(), switch.clone());
            async move {
                log.lock().unwrap().push(ConnectCall {
                    at: Instant::now(),
                    err,
                });
                let inner = tokio::net::TcpStream::connect(addr)
                    .await
                    .map_err(ConnectError::Tcp)?;
                Ok(Box::new(KillableIo { inner, switch }) as Box<dyn IoStream>)
            }
        },
    );
    builder
}
