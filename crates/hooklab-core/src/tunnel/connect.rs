//! Opens one ngrok session and its HTTPS endpoint, and closes them for good. The connector
//! refuses ngrok-rs's own reconnects (their backoff grows to ~104 min), so a dropped connection
//! ends the tunnel's stream and the supervisor rebuilds on its own capped backoff.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ngrok::Session;
use ngrok::prelude::*;
use ngrok::session::{ConnectError, IoStream, SessionBuilder};
use ngrok::tunnel::{AcceptError, HttpTunnel};
use tokio::sync::watch;

use super::config::{Transport, TunnelConfig};
use super::errors::{TunnelError, describe, redact};
use super::killable::{KillSwitch, KillableIo};
use super::policy::verify_webhook_policy;

/// How long closing a session may take before its transport is cut anyway.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// Why opening did not produce a tunnel.
pub(crate) enum OpenError {
    /// `stop` fired first; everything opened so far is closed.
    Stopped,
    /// It failed.
    Failed(TunnelError),
}

/// The connection under one session: the switch that cuts it, and why it dropped.
#[derive(Clone, Default)]
pub(crate) struct Link {
    switch: KillSwitch,
    lost: Arc<Mutex<Option<String>>>,
}

impl Link {
    fn note_lost(&self, why: String) {
        let mut lost = self.lost.lock().unwrap_or_else(PoisonError::into_inner);
        lost.get_or_insert(why);
    }

    /// Why the connection dropped, as first noticed.
    pub(crate) fn lost_reason(&self) -> Option<String> {
        self.lost
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// An open session with its endpoint.
pub(crate) struct Live {
    pub(crate) session: Session,
    pub(crate) tunnel: HttpTunnel,
    pub(crate) link: Link,
}

impl Live {
    /// The public URL ngrok assigned.
    pub(crate) fn url(&self) -> String {
        self.tunnel.url().to_owned()
    }

    /// Closes the session so that it neither reconnects nor lingers (docs/fake-ngrok-edge.md,
    /// "Ending a session"): `close()`, then cut the transport, then drop the tunnel and session.
    pub(crate) async fn shutdown(self) {
        let Live {
            session,
            tunnel,
            link,
        } = self;
        close_session(session, &link).await;
        drop(tunnel);
    }
}

/// Opens a session and its HTTPS endpoint; gives up as soon as `stop` fires.
pub(crate) async fn open(
    config: &TunnelConfig,
    authtoken: &str,
    stop: &mut watch::Receiver<bool>,
) -> Result<Live, OpenError> {
    let domain = config.domain.as_deref();
    let failed = |e: TunnelError| Err(OpenError::Failed(e));
    let link = Link::default();
    let builder = match session_builder(config, authtoken, &link) {
        Ok(builder) => builder,
        Err(e) => return failed(e),
    };
    let connected = tokio::select! {
        connected = tokio::time::timeout(config.connect_timeout, builder.connect()) => connected,
        () = stopped(stop) => {
            link.switch.kill();
            return Err(OpenError::Stopped);
        }
    };
    let session = match connected {
        Ok(Ok(session)) => session,
        Ok(Err(e)) => {
            link.switch.kill();
            return failed(from_ngrok(&e, domain, authtoken));
        }
        Err(_) => {
            link.switch.kill();
            return failed(no_answer(config.connect_timeout));
        }
    };
    let mut endpoint = session.http_endpoint();
    endpoint.forwards_to("hooklab");
    if let Some(domain) = domain {
        endpoint.domain(domain);
    }
    if let Some(secret) = &config.edge_verification_secret {
        endpoint.traffic_policy(verify_webhook_policy(secret));
    }
    let listened = tokio::select! {
        listened = tokio::time::timeout(config.connect_timeout, endpoint.listen()) => Some(listened),
        () = stopped(stop) => None,
    };
    drop(endpoint);
    match listened {
        Some(Ok(Ok(tunnel))) => Ok(Live {
            session,
            tunnel,
            link,
        }),
        Some(Ok(Err(e))) => {
            close_session(session, &link).await;
            failed(from_ngrok(&e, domain, authtoken))
        }
        Some(Err(_)) => {
            close_session(session, &link).await;
            failed(no_answer(config.connect_timeout))
        }
        None => {
            close_session(session, &link).await;
            Err(OpenError::Stopped)
        }
    }
}

/// Resolves when `stop` turns true or its sender is gone.
pub(crate) async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

async fn close_session(mut session: Session, link: &Link) {
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, session.close()).await;
    link.switch.kill();
    drop(session);
}

fn session_builder(
    config: &TunnelConfig,
    authtoken: &str,
    link: &Link,
) -> Result<SessionBuilder, TunnelError> {
    install_crypto_provider();
    let mut builder = Session::builder();
    builder.authtoken(authtoken);
    if let Some(addr) = &config.server_addr {
        builder
            .server_addr(addr.as_str())
            .map_err(|e| TunnelError::InvalidConfig {
                message: e.to_string(),
            })?;
    }
    if let Some(heartbeat) = config.heartbeat {
        let invalid = |message: String| TunnelError::InvalidConfig { message };
        builder
            .heartbeat_interval(heartbeat.interval)
            .map_err(|e| invalid(e.to_string()))?;
        builder
            .heartbeat_tolerance(heartbeat.tolerance)
            .map_err(|e| invalid(e.to_string()))?;
    }
    let watched = link.clone();
    builder.handle_heartbeat(move |latency: Option<Duration>| {
        let link = watched.clone();
        async move {
            if latency.is_none() {
                // ngrok-rs only reports a silent dead path; cutting it makes the tunnel end.
                link.note_lost("ngrok stopped answering heartbeats".to_owned());
                link.switch.kill();
            }
            Ok::<(), Box<dyn std::error::Error>>(())
        }
    });
    let (transport, link) = (config.transport, link.clone());
    builder.connector(
        move |host: String, port: u16, tls: Arc<rustls::ClientConfig>, err: Option<AcceptError>| {
            let link = link.clone();
            async move {
                if let Some(err) = err {
                    // A reconnect: refuse it; the supervisor rebuilds with its own backoff.
                    link.note_lost(describe(&err));
                    return Err(ConnectError::Canceled);
                }
                let io: Box<dyn IoStream> = match transport {
                    Transport::Tls => {
                        ngrok::session::default_connect(host, port, tls, None).await?
                    }
                    Transport::PlainTcp => {
                        let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
                            .await
                            .map_err(ConnectError::Tcp)?;
                        let _ = tcp.set_nodelay(true);
                        Box::new(tcp)
                    }
                };
                Ok(Box::new(KillableIo::new(io, link.switch.clone())) as Box<dyn IoStream>)
            }
        },
    );
    Ok(builder)
}

/// ngrok-rs builds a rustls config on every connect; if the dependency graph ever enables both
/// rustls providers that panics, unless one is installed for the process first.
fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    }
}

/// An ngrok error with a code is mapped by the code; one without is a network failure.
fn from_ngrok<E: ngrok::Error + 'static>(
    e: &E,
    domain: Option<&str>,
    authtoken: &str,
) -> TunnelError {
    match e.error_code() {
        Some(code) => TunnelError::from_code(Some(code), &e.msg(), domain, Some(authtoken)),
        None => TunnelError::Network {
            message: redact(&describe(e), Some(authtoken)),
        },
    }
}

fn no_answer(timeout: Duration) -> TunnelError {
    TunnelError::Network {
        message: format!(
            "no answer from ngrok within {}",
            super::state::seconds(timeout)
        ),
    }
}

/// Why the tunnel's stream ended.
pub(crate) fn from_accept_error(
    e: Option<&AcceptError>,
    link: &Link,
    domain: Option<&str>,
    authtoken: &str,
) -> TunnelError {
    match e {
        Some(AcceptError::ListenerClosed {
            message,
            error_code,
        }) => match error_code {
            Some(code) => TunnelError::from_code(Some(code), message, domain, Some(authtoken)),
            None => TunnelError::ConnectionLost {
                message: format!("ngrok closed the endpoint: {message}"),
            },
        },
        other => TunnelError::ConnectionLost {
            message: link
                .lost_reason()
                .or_else(|| other.map(|e| describe(e)))
                .unwrap_or_else(|| "the session ended".to_owned()),
        },
    }
}
