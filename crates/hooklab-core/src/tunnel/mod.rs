//! The in-process ngrok tunnel: a public HTTPS URL for the receiver, served by the same router
//! as the loopback listener, owned by a [`Supervisor`] that reports its [`TunnelState`] on the
//! engine bus and in `tunnel_states`, and reconnects on its own capped, jittered backoff.
//! ngrok-rs is pinned to 0.19.0; what this module relies on is in docs/fake-ngrok-edge.md, how
//! it behaves for users in docs/tunnel.md.

mod backoff;
mod checklist;
mod config;
mod connect;
mod errors;
mod killable;
mod policy;
mod serve_conn;
mod state;
mod supervisor;

pub use backoff::{Backoff, MAX_RETRY_DELAY};
pub use checklist::{CLERK_EVENTS, clerk_checklist};
pub use config::{
    AUTHTOKEN_ENV, CONNECT_TIMEOUT, DOMAIN_ENV, Heartbeat, Transport, TunnelConfig,
    normalize_domain, resolve_authtoken, resolve_domain,
};
pub use errors::{AUTHTOKEN_URL, DOMAINS_URL, Retry, TunnelError};
pub use policy::{CLERK_PROVIDER, verify_webhook_policy};
pub use state::{TunnelState, seconds};
pub use supervisor::Supervisor;
