//! Everything the edge remembers (connections, sessions, bound tunnels, counters,
//! the event log) behind one lock, plus a change signal tests can wait on.

use std::{
    collections::{BTreeMap, HashMap},
    hash::{BuildHasher, Hasher},
    sync::{
        Arc, Mutex, MutexGuard, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use muxado::{MuxadoOpen, typed::Typed};
use tokio::sync::{Notify, watch};

use crate::options::EdgeOptions;

/// One thing that happened at the edge, in order. Read with [`crate::FakeEdge::events`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EdgeEvent {
    /// An agent opened a TCP connection (`conn` numbers connections from 1).
    Connected {
        /// Connection number.
        conn: u64,
    },
    /// Auth succeeded; `resumed` is true when the agent presented the `ClientId`
    /// of an earlier session (ngrok-rs does this on every reconnect).
    AuthAccepted {
        /// Connection number.
        conn: u64,
        /// The session id (`ClientId`) returned to the agent.
        session_id: String,
        /// The agent asked to resume an earlier session id.
        resumed: bool,
    },
    /// Auth was refused with this ngrok error code.
    AuthRejected {
        /// Connection number.
        conn: u64,
        /// `ERR_NGROK_*` code sent.
        code: String,
    },
    /// An endpoint was bound; `rebind` is true when the agent sent an existing
    /// tunnel id (ngrok-rs re-binds its tunnels this way after reconnecting).
    Bound {
        /// Connection number.
        conn: u64,
        /// Tunnel id.
        tunnel_id: String,
        /// Public URL.
        url: String,
        /// The agent re-bound an existing tunnel id.
        rebind: bool,
    },
    /// A bind was refused.
    BindRejected {
        /// Connection number.
        conn: u64,
        /// `ERR_NGROK_*` code sent, if any.
        code: Option<String>,
    },
    /// The agent unbound a tunnel.
    Unbound {
        /// Connection number.
        conn: u64,
        /// Tunnel id.
        tunnel_id: String,
    },
    /// The edge stopped a tunnel ([`crate::FakeEdge::stop_tunnel`]).
    TunnelStopped {
        /// Tunnel id.
        tunnel_id: String,
    },
    /// The agent connection ended (closed by either side).
    Disconnected {
        /// Connection number.
        conn: u64,
    },
}

/// What an agent sent in one `Auth` request.
#[derive(Debug, Clone)]
pub struct AuthRecord {
    /// Connection number.
    pub conn: u64,
    /// `Extra.AuthToken`.
    pub authtoken: String,
    /// `ClientId`: empty for a new session, the previous session id on reconnect.
    pub client_id: String,
    /// Protocol versions offered (`["3", "2"]` for ngrok-rs 0.19).
    pub versions: Vec<String>,
    /// `Extra.ClientType` (the first `client_info` entry, `ngrok-rust` by default).
    pub client_type: String,
    /// `Extra.Version`.
    pub client_version: String,
    /// `Extra.UserAgent`.
    pub user_agent: String,
    /// `Extra.Metadata`.
    pub metadata: String,
    /// `Extra.HeartbeatInterval`.
    pub heartbeat_interval: Duration,
    /// `Extra.HeartbeatTolerance`.
    pub heartbeat_tolerance: Duration,
}

/// A tunnel currently bound at the edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundTunnel {
    /// Tunnel id (the ProxyHeader `Id` and ngrok-rs' `TunnelInfo::id()`).
    pub id: String,
    /// Public URL, e.g. `https://abc123.ngrok-free.app`.
    pub url: String,
    /// `https` or `http`.
    pub proto: String,
    /// Connection number of the owning agent session.
    pub conn: u64,
    /// Session id of the owning agent session.
    pub session_id: String,
    /// `ForwardsTo` sent by the agent.
    pub forwards_to: String,
    /// `Extra.Metadata` sent by the agent.
    pub metadata: String,
    /// `Extra.PoolingEnabled` sent by the agent.
    pub pooling: bool,
    /// `Opts.TrafficPolicy` sent by the agent (recorded only; the fake enforces no policy).
    pub traffic_policy: Option<String>,
}

pub(crate) struct AgentConn {
    pub open: Typed<MuxadoOpen>,
    pub kill: Arc<Notify>,
    /// Set once Auth succeeded.
    pub session_id: Option<String>,
}

pub(crate) struct State {
    pub opts: EdgeOptions,
    pub reject_all_auth: bool,
    pub other_agent_online: bool,
    pub answer_heartbeats: bool,
    pub next_conn: u64,
    pub conns: HashMap<u64, AgentConn>,
    /// Live tunnels by id.
    pub tunnels: BTreeMap<String, BoundTunnel>,
    /// Every URL ever assigned to a tunnel id, so a rebind keeps its URL.
    pub assigned: HashMap<String, String>,
    pub connections: usize,
    pub auth_attempts: usize,
    pub heartbeats: usize,
    pub events: Vec<EdgeEvent>,
    pub auths: Vec<AuthRecord>,
}

impl State {
    pub(crate) fn live_sessions(&self) -> usize {
        self.conns
            .values()
            .filter(|c| c.session_id.is_some())
            .count()
    }
}

pub(crate) struct Shared {
    state: Mutex<State>,
    changed: watch::Sender<u64>,
}

impl Shared {
    pub(crate) fn new(opts: EdgeOptions) -> Self {
        Shared {
            state: Mutex::new(State {
                opts,
                reject_all_auth: false,
                other_agent_online: false,
                answer_heartbeats: true,
                next_conn: 1,
                conns: HashMap::new(),
                tunnels: BTreeMap::new(),
                assigned: HashMap::new(),
                connections: 0,
                auth_attempts: 0,
                heartbeats: 0,
                events: Vec::new(),
                auths: Vec::new(),
            }),
            changed: watch::channel(0).0,
        }
    }

    /// Read-only look at the state (no change signal).
    pub(crate) fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.lock())
    }

    /// Mutates the state and wakes anyone in [`Shared::subscribe`].
    pub(crate) fn update<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let out = f(&mut self.lock());
        self.changed.send_modify(|v| *v = v.wrapping_add(1));
        out
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `len` lowercase hex characters, unique per call (no RNG dependency needed).
pub(crate) fn random_hex(len: usize) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_u128(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default(),
        );
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out.truncate(len);
    out
}
