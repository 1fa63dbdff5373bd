//! How to open the tunnel: the authtoken and domain (resolved from flags, environment and the
//! settings file), edge verification, and the knobs tests turn (server, transport, delays).

use std::time::Duration;

use crate::secret::mask;
use crate::settings::Settings;

use super::backoff::Backoff;

/// The environment variable holding the ngrok authtoken.
pub const AUTHTOKEN_ENV: &str = "NGROK_AUTHTOKEN";
/// The environment variable holding the static domain.
pub const DOMAIN_ENV: &str = "NGROK_DOMAIN";
/// How long one session open (connect, authenticate, bind) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// How the session's connection reaches the edge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Transport {
    /// TLS to ngrok's cloud, as the ngrok agent does.
    #[default]
    Tls,
    /// Plain TCP to `server_addr`: only `crates/fake-ngrok-edge` speaks it (offline tests).
    PlainTcp,
}

/// Heartbeat timing; when ngrok misses `interval + tolerance`, the supervisor drops the
/// connection and reconnects (ngrok-rs alone would wait forever on a silent dead path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heartbeat {
    /// Time between heartbeats.
    pub interval: Duration,
    /// How late an answer may be.
    pub tolerance: Duration,
}

/// Everything [`super::Supervisor::start`] needs.
#[derive(Clone)]
pub struct TunnelConfig {
    /// The ngrok authtoken; `None` means local-only mode (nothing is dialed).
    pub authtoken: Option<String>,
    /// The static domain (e.g. `steady-fox-42.ngrok-free.app`); `None` lets ngrok choose.
    pub domain: Option<String>,
    /// When set, ngrok verifies Clerk's signature with this secret (`whsec_…`) and drops
    /// forged requests at the edge. Off by default: see docs/tunnel.md.
    pub edge_verification_secret: Option<String>,
    /// `host:port` of the ngrok server; `None` means ngrok's default.
    pub server_addr: Option<String>,
    /// TLS (ngrok) or plain TCP (the fake edge).
    pub transport: Transport,
    /// Retry delays.
    pub backoff: Backoff,
    /// How long one open may take before it counts as a network failure.
    pub connect_timeout: Duration,
    /// Heartbeat timing; `None` keeps ngrok's (10 s, tolerance 15 s).
    pub heartbeat: Option<Heartbeat>,
    /// The public URL Clerk was last given (remembered by whoever owns the settings), so a
    /// different URL is announced as a change. The supervisor also remembers the URLs it saw.
    pub last_public_url: Option<String>,
}

impl TunnelConfig {
    /// ngrok's cloud with the given authtoken, everything else default.
    pub fn new(authtoken: Option<String>) -> Self {
        Self {
            authtoken,
            domain: None,
            edge_verification_secret: None,
            server_addr: None,
            transport: Transport::Tls,
            backoff: Backoff::default(),
            connect_timeout: CONNECT_TIMEOUT,
            heartbeat: None,
            last_public_url: None,
        }
    }

    /// The authtoken if it is not blank.
    pub(crate) fn token(&self) -> Option<&str> {
        self.authtoken
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }
}

impl std::fmt::Debug for TunnelConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TunnelConfig")
            .field("authtoken", &self.authtoken.as_deref().map(mask))
            .field("domain", &self.domain)
            .field(
                "edge_verification_secret",
                &self.edge_verification_secret.as_deref().map(mask),
            )
            .field("server_addr", &self.server_addr)
            .field("transport", &self.transport)
            .field("backoff", &self.backoff)
            .field("connect_timeout", &self.connect_timeout)
            .field("heartbeat", &self.heartbeat)
            .field("last_public_url", &self.last_public_url)
            .finish()
    }
}

/// The authtoken: `NGROK_AUTHTOKEN`, else the settings file. Blank values count as none.
pub fn resolve_authtoken(
    env: impl Fn(&str) -> Option<String>,
    settings: &Settings,
) -> Option<String> {
    env(AUTHTOKEN_ENV)
        .into_iter()
        .chain(settings.ngrok_authtoken.clone())
        .map(|t| t.trim().to_owned())
        .find(|t| !t.is_empty())
}

/// The static domain: `--domain`, else `NGROK_DOMAIN`, else the settings file; a pasted URL
/// (`https://name.ngrok-free.app/`) is reduced to its host name.
pub fn resolve_domain(
    flag: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
    settings: &Settings,
) -> Option<String> {
    flag.map(str::to_owned)
        .into_iter()
        .chain(env(DOMAIN_ENV))
        .chain(settings.ngrok_domain.clone())
        .map(|d| normalize_domain(&d))
        .find(|d| !d.is_empty())
}

/// `https://Name.ngrok-free.app/path` → `name.ngrok-free.app`.
pub fn normalize_domain(value: &str) -> String {
    let value = value.trim();
    let rest = value.split_once("://").map_or(value, |(_, rest)| rest);
    rest.split(['/', '?', '#'])
        .next()
        .unwrap_or_default()
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_wins_over_the_settings_file_and_blanks_do_not_count() {
        let settings = Settings {
            ngrok_authtoken: Some("2file_token".into()),
            ngrok_domain: Some("file.ngrok-free.app".into()),
            ..Settings::default()
        };
        let env = |name: &str| match name {
            AUTHTOKEN_ENV => Some("2env_token".to_owned()),
            DOMAIN_ENV => Some("  ".to_owned()),
            _ => None,
        };
        assert_eq!(
            resolve_authtoken(env, &settings).as_deref(),
            Some("2env_token")
        );
        assert_eq!(
            resolve_authtoken(|_| None, &settings).as_deref(),
            Some("2file_token")
        );
        assert_eq!(resolve_authtoken(|_| None, &Settings::default()), None);
        assert_eq!(
            resolve_domain(None, env, &settings).as_deref(),
            Some("file.ngrok-free.app")
        );
        assert_eq!(
            resolve_domain(Some("https://Flag.ngrok-free.app/"), env, &settings).as_deref(),
            Some("flag.ngrok-free.app")
        );
    }

    #[test]
    fn debug_masks_the_authtoken_and_the_secret() {
        let mut config = TunnelConfig::new(Some("2abcdefghijk_secretvalue".into()));
        config.edge_verification_secret = Some("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into());
        let text = format!("{config:?}");
        assert!(!text.contains("secretvalue"), "{text}");
        assert!(!text.contains("MfKQ9r8"), "{text}");
    }
}
