//! The webhook receiver: one axum router, served on loopback and through the tunnel alike. It
//! reads the raw body, captures the request, lets the engine judge and commit it, then answers.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;
use tokio::net::TcpListener;

use crate::capture::{Capture, Origin, REPLAY_HEADER, Source, now_ms};
pub use crate::connections::ConnLimits;
use crate::connections::Connections;
use crate::engine::{Engine, PROBE_HEADER};
use crate::store::StoreError;
use crate::sync::SyncKind;
use crate::upload::{ReadBody, Upload, read_body};

/// The router: every path and method lands in `receive`, so that wrong paths and methods are
/// captured and diagnosed too. What a flood can cost is bounded per connection, not per
/// request: see `connections` (how many, and who makes room) and `upload` (deadlines and the
/// memory budget of bodies).
pub fn router(engine: Engine) -> Router {
    Router::new().fallback(receive).with_state(engine)
}

/// Serves the router on a loopback listener until `shutdown` resolves, with the default
/// [`ConnLimits`].
pub async fn serve(
    listener: TcpListener,
    engine: Engine,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, engine, ConnLimits::default(), shutdown).await
}

/// Serves the router on a loopback listener with these connection limits until `shutdown`
/// resolves; requests in flight then get the drain grace to finish.
pub async fn serve_with(
    listener: TcpListener,
    engine: Engine,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut conns = Connections::new(router(engine), limits);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let origin = Origin { source: Source::Local, remote: Some(peer) };
                    conns.serve(stream, origin);
                }
                // Out of file descriptors, say: back off instead of spinning on the error.
                Err(e) => {
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
            () = conns.reap() => {}
        }
    }
    conns.drain().await;
    Ok(())
}

/// The pause after a failed accept.
const ACCEPT_BACKOFF: std::time::Duration = std::time::Duration::from_millis(100);

async fn receive(State(engine): State<Engine>, request: Request) -> Response {
    let received_ms = now_ms();
    let origin = request.extensions().get::<Origin>().copied();
    let upload = request.extensions().get::<Arc<Upload>>().cloned();
    let (parts, body) = request.into_parts();
    // Held until the answer is sent: the body's share of the listener's memory budget.
    let ReadBody {
        bytes: body,
        size: body_size,
        incomplete,
        _held,
    } = read_body(&parts.headers, body, engine.body_limit(), upload).await;
    let remote = origin.and_then(|o| o.remote);
    let replay_of = parts
        .headers
        .get(REPLAY_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let source = origin.map_or(Source::Local, |o| o.source);
    // For the log line should the store refuse it (cheap clones: no allocation per request).
    let (method, uri) = (parts.method.clone(), parts.uri.clone());
    let probe_header = parts
        .headers
        .get(PROBE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let capture = Capture {
        received_ms,
        source,
        remote,
        method: parts.method.as_str().to_owned(),
        path: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned()),
        headers: parts.headers,
        body,
        body_size,
        incomplete,
        replay_of,
    };
    match engine.ingest(capture).await {
        Ok(receipt) => {
            let status =
                StatusCode::from_u16(receipt.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let e = &receipt.event;
            let answer = Answer {
                id: e.id,
                svix_id: e.svix_id.as_deref(),
                event_type: e.event_type.as_deref(),
                verification: &e.verification,
                sync: receipt.sync.kind,
                detail: &receipt.sync.detail,
                delivery_count: e.delivery_count,
                hint: e.hint.as_deref(),
            };
            let verified = e.verification == "verified";
            let probe = probe_header.is_some_and(|t| engine.is_probe(&t));
            let mut response = if source == Source::Tunnel && !verified && !probe {
                // Anyone on the internet can reach the public URL: an unverified caller learns
                // what failed, not the configured path, the secrets or the event counter. The
                // full diagnosis is in the app and the CLI.
                let answer = PublicAnswer {
                    verification: &e.verification,
                    detail: "not verified; the Hooklab app shows why",
                };
                (status, axum::Json(answer)).into_response()
            } else {
                (status, axum::Json(answer)).into_response()
            };
            if status == StatusCode::METHOD_NOT_ALLOWED {
                response
                    .headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("POST"));
            }
            if status == StatusCode::TOO_MANY_REQUESTS {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            if incomplete.is_some() {
                // The rest of the body is not read: close, so the client reads this answer.
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            response
        }
        Err(e) => {
            let response = store_failure(&e);
            let request = format!("{method} {uri}");
            engine.not_stored(&request, remote, response.status().as_u16(), &e);
            response
        }
    }
}

/// What an unverified caller through the public URL is told.
#[derive(Serialize)]
struct PublicAnswer<'a> {
    verification: &'a str,
    detail: &'a str,
}

/// The JSON body of every answer to a captured request (Svix shows it in Clerk's dashboard).
#[derive(Serialize)]
struct Answer<'a> {
    id: i64,
    svix_id: Option<&'a str>,
    #[serde(rename = "type")]
    event_type: Option<&'a str>,
    verification: &'a str,
    sync: SyncKind,
    detail: &'a str,
    delivery_count: i64,
    hint: Option<&'a str>,
}

/// The request could not be committed: never a 2xx, no internals leaked.
fn store_failure(e: &StoreError) -> Response {
    let (status, message) = if e.is_transient() {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "the event could not be stored right now; retry later",
        )
    } else {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "the event could not be stored",
        )
    };
    let mut response = (status, axum::Json(json!({ "error": message }))).into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    response
}
