//! Test support only: a fake ngrok edge speaking the agent protocol, for offline tunnel tests.
//!
//! The real ngrok-rs 0.19.0 client connects to [`FakeEdge`] over plain TCP (a
//! `SessionBuilder::connector` that dials [`FakeEdge::addr`]), authenticates,
//! binds HTTP(S) endpoints and receives proxied connections, exactly as it
//! would against ngrok's cloud. Tests drive the edge side: send HTTP requests
//! to a public URL, refuse tokens or domains with ngrok's real error codes,
//! drop connections, stop tunnels. See docs/fake-ngrok-edge.md.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod control;
mod error;
mod options;
mod proxy;
mod rpc;
mod session;
mod state;
mod wire;

pub mod codes;

use std::{io, net::SocketAddr, sync::Arc, time::Duration};

use muxado::typed::TypedOpenClose;
use tokio::{
    io::AsyncWriteExt,
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};

pub use crate::{
    control::AgentCommand,
    error::EdgeError,
    options::EdgeOptions,
    proxy::{HttpRequest, HttpResponse, ProxyStream},
    state::{AuthRecord, BoundTunnel, EdgeEvent},
};
use crate::{
    state::{Shared, State},
    wire::{PROXY_REQ, ProxyHeader},
};

/// A running fake edge on `127.0.0.1:<ephemeral port>`. Dropping it stops the
/// listener and drops every agent connection.
pub struct FakeEdge {
    shared: Arc<Shared>,
    addr: SocketAddr,
    accept_task: JoinHandle<()>,
}

impl std::fmt::Debug for FakeEdge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeEdge")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Drop for FakeEdge {
    fn drop(&mut self) {
        self.accept_task.abort();
        self.drop_sessions();
    }
}

impl FakeEdge {
    /// Listens on `127.0.0.1:0` and starts accepting agent connections.
    pub async fn start(options: EdgeOptions) -> io::Result<FakeEdge> {
        let listener = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(options));
        let accept_shared = shared.clone();
        let accept_task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let _ = tcp.set_nodelay(true);
                tokio::spawn(session::serve_connection(accept_shared.clone(), tcp));
            }
        });
        Ok(FakeEdge {
            shared,
            addr,
            accept_task,
        })
    }

    /// The listening address (plain TCP, no TLS).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `addr()` as a string for ngrok's `SessionBuilder::server_addr`, so that
    /// even a default connector would only ever dial loopback.
    pub fn server_addr(&self) -> String {
        self.addr.to_string()
    }

    /// Opens a plain TCP connection to the edge: what a test `Connector` returns.
    pub async fn dial(&self) -> io::Result<TcpStream> {
        let tcp = TcpStream::connect(self.addr).await?;
        tcp.set_nodelay(true)?;
        Ok(tcp)
    }

    // ---- switches -------------------------------------------------------

    /// While on, every Auth fails with `ERR_NGROK_107` (token revoked/reset).
    pub fn reject_all_auth(&self, on: bool) {
        self.shared.update(|st| st.reject_all_auth = on);
    }

    /// While on, every Auth with a valid token fails with `ERR_NGROK_108`, as
    /// when another agent already holds the account's only session.
    pub fn set_other_agent_online(&self, on: bool) {
        self.shared.update(|st| st.other_agent_online = on);
    }

    /// While off, heartbeats are read but never answered (a hung edge).
    pub fn set_answer_heartbeats(&self, on: bool) {
        self.shared.update(|st| st.answer_heartbeats = on);
    }

    /// Reserves a domain for the account from now on.
    pub fn allow_domain(&self, domain: impl Into<String>) {
        let domain = domain.into();
        self.shared
            .update(|st| st.opts.allowed_domains.push(domain));
    }

    /// Un-reserves a domain (exact entry); later binds of it get `ERR_NGROK_319`.
    /// Tunnels already bound stay up.
    pub fn disallow_domain(&self, domain: &str) {
        self.shared.update(|st| {
            st.opts
                .allowed_domains
                .retain(|d| !d.eq_ignore_ascii_case(domain))
        });
    }

    /// Drops every agent connection abruptly (TCP reset, no GOAWAY); their
    /// tunnels are unbound at the edge. Returns how many connections were dropped.
    pub fn drop_sessions(&self) -> usize {
        self.shared.read(|st| {
            for conn in st.conns.values() {
                conn.kill.notify_one();
            }
            st.conns.len()
        })
    }

    // ---- inspection -----------------------------------------------------

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.read(|st| st.connections)
    }

    /// Auth requests received so far (accepted or not).
    pub fn auth_attempts(&self) -> usize {
        self.shared.read(|st| st.auth_attempts)
    }

    /// Connected, authenticated sessions.
    pub fn live_sessions(&self) -> usize {
        self.shared.read(State::live_sessions)
    }

    /// Heartbeats received from agents so far.
    pub fn heartbeats(&self) -> usize {
        self.shared.read(|st| st.heartbeats)
    }

    /// URLs of the tunnels bound right now.
    pub fn bound_urls(&self) -> Vec<String> {
        self.shared
            .read(|st| st.tunnels.values().map(|t| t.url.clone()).collect())
    }

    /// Tunnels bound right now.
    pub fn tunnels(&self) -> Vec<BoundTunnel> {
        self.shared
            .read(|st| st.tunnels.values().cloned().collect())
    }

    /// Everything that happened, in order.
    pub fn events(&self) -> Vec<EdgeEvent> {
        self.shared.read(|st| st.events.clone())
    }

    /// Every Auth request received, in order.
    pub fn auth_requests(&self) -> Vec<AuthRecord> {
        self.shared.read(|st| st.auths.clone())
    }

    /// Waits until `cond(self)` holds, re-checking after every state change.
    /// Returns false if `timeout` passes first.
    pub async fn wait_until(
        &self,
        timeout: Duration,
        mut cond: impl FnMut(&FakeEdge) -> bool,
    ) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut changed = self.shared.subscribe();
        loop {
            if cond(self) {
                return true;
            }
            match tokio::time::timeout_at(deadline, changed.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => return cond(self),
            }
        }
    }

    // ---- traffic ----------------------------------------------------------

    /// Opens a proxy stream to the tunnel at `target` (URL, host or tunnel id)
    /// and writes the ProxyHeader; the caller then speaks the raw protocol.
    pub async fn open_proxy_stream(
        &self,
        target: &str,
        client_addr: Option<SocketAddr>,
    ) -> Result<ProxyStream, EdgeError> {
        let (tunnel, mut open, default_addr) = self.shared.read(|st| {
            let tunnel =
                resolve(st, target).ok_or_else(|| EdgeError::UnknownTunnel(target.to_string()))?;
            let open = st
                .conns
                .get(&tunnel.conn)
                .map(|c| c.open.clone())
                .ok_or(EdgeError::NoSession)?;
            Ok::<_, EdgeError>((tunnel, open, st.opts.default_client_addr))
        })?;
        let header = ProxyHeader {
            id: tunnel.id.clone(),
            client_addr: client_addr.unwrap_or(default_addr).to_string(),
            proto: tunnel.proto.clone(),
            edge_type: String::new(),
            passthrough_tls: false,
        };
        let mut inner = open.open_typed(PROXY_REQ).await?;
        inner.write_all(&header.encode()?).await?;
        Ok(ProxyStream {
            inner,
            tunnel_id: tunnel.id,
        })
    }

    /// Sends one HTTP/1.1 request (with `Connection: close`) to the tunnel at
    /// `target` and returns the agent's response. A URL no agent has bound gets
    /// the edge's own 404 page with `ngrok-error-code: ERR_NGROK_3200`, as ngrok does.
    pub async fn send(
        &self,
        target: &str,
        request: HttpRequest,
    ) -> Result<HttpResponse, EdgeError> {
        let Some(tunnel) = self.shared.read(|st| resolve(st, target)) else {
            return Ok(HttpResponse::endpoint_offline(&host_of(target)));
        };
        let (default_addr, limit) = self
            .shared
            .read(|st| (st.opts.default_client_addr, st.opts.proxy_timeout));
        let client_addr = request.client_addr.unwrap_or(default_addr);
        let host = host_of(&tunnel.url);
        let round_trip = async {
            let mut stream = self
                .open_proxy_stream(&tunnel.id, Some(client_addr))
                .await?;
            proxy::round_trip(&mut stream, &request, &host, &tunnel.proto, client_addr).await
        };
        tokio::time::timeout(limit, round_trip)
            .await
            .map_err(|_| EdgeError::Timeout(limit))?
    }

    /// Shorthand for [`FakeEdge::send`].
    pub async fn send_http(
        &self,
        target: &str,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<HttpResponse, EdgeError> {
        let mut request = HttpRequest::new(method, path).body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(target, request).await
    }

    // ---- edge → agent control -----------------------------------------------

    /// Closes the tunnel at `target` from the edge side (`StopTunnel`): ngrok-rs
    /// ends that tunnel's stream with `AcceptError::ListenerClosed { message, error_code }`.
    pub async fn stop_tunnel(
        &self,
        target: &str,
        message: &str,
        error_code: Option<&str>,
    ) -> Result<(), EdgeError> {
        let (tunnel, open) = self.shared.read(|st| {
            let tunnel =
                resolve(st, target).ok_or_else(|| EdgeError::UnknownTunnel(target.to_string()))?;
            let open = st
                .conns
                .get(&tunnel.conn)
                .map(|c| c.open.clone())
                .ok_or(EdgeError::NoSession)?;
            Ok::<_, EdgeError>((tunnel, open))
        })?;
        control::stop_tunnel(open, &tunnel.id, message, error_code).await?;
        self.shared.update(|st| {
            st.tunnels.remove(&tunnel.id);
            st.events.push(EdgeEvent::TunnelStopped {
                tunnel_id: tunnel.id.clone(),
            });
        });
        Ok(())
    }

    /// Sends a dashboard command to the most recent authenticated session and
    /// returns the agent's error string (`None` = accepted). ngrok-rs answers
    /// "the agent has no defined callback for this operation" without a handler.
    pub async fn send_command(&self, command: AgentCommand) -> Result<Option<String>, EdgeError> {
        let open = self.shared.read(|st| {
            st.conns
                .iter()
                .filter(|(_, c)| c.session_id.is_some())
                .max_by_key(|(id, _)| **id)
                .map(|(_, c)| c.open.clone())
                .ok_or(EdgeError::NoSession)
        })?;
        control::command(open, &command).await
    }
}

/// Finds a live tunnel by id, exact URL, or host (scheme, port and path ignored).
fn resolve(st: &State, target: &str) -> Option<BoundTunnel> {
    let target = target.trim();
    if let Some(t) = st.tunnels.get(target) {
        return Some(t.clone());
    }
    let trimmed = target.trim_end_matches('/');
    if let Some(t) = st
        .tunnels
        .values()
        .find(|t| t.url.eq_ignore_ascii_case(trimmed))
    {
        return Some(t.clone());
    }
    let host = host_of(target);
    st.tunnels
        .values()
        .find(|t| host_of(&t.url).eq_ignore_ascii_case(&host))
        .cloned()
}

/// `https://a.b:443/x` → `a.b`.
fn host_of(target: &str) -> String {
    let rest = target.split_once("://").map_or(target, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    authority
        .split(':')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::host_of;

    #[test]
    fn host_of_strips_scheme_port_path() {
        assert_eq!(
            host_of("https://Abc.ngrok-free.app:443/x?y"),
            "abc.ngrok-free.app"
        );
        assert_eq!(host_of("abc.ngrok-free.app"), "abc.ngrok-free.app");
    }
}
