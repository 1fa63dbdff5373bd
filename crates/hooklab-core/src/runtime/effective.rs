//! What the runtime runs with: the settings file, overridden by what the user passed when
//! starting it (flags, environment), resolved into one value that can be compared with the
//! running one to see what changed.

use std::collections::BTreeMap;

use crate::engine::DEFAULT_WEBHOOK_PATH;
use crate::secret::{Secret, SecretError};
use crate::settings::{
    DEFAULT_PORT, SECRET_ENV, Settings, normalize_forward_url, normalize_path, resolve_secrets,
};
use crate::store::Synchronous;
use crate::tunnel::{AUTHTOKEN_ENV, DOMAIN_ENV, resolve_authtoken, resolve_domain};

/// Values that win over the settings file for as long as the runtime runs. No `Debug`: it
/// holds secrets.
#[derive(Clone, Default)]
pub struct Overrides {
    /// `--secret` values.
    pub secret_flags: Vec<String>,
    /// `--port`.
    pub port: Option<u16>,
    /// `--path`.
    pub webhook_path: Option<String>,
    /// `--synchronous` (read once, at start).
    pub synchronous: Option<Synchronous>,
    /// `--domain`.
    pub domain: Option<String>,
    /// `--verify-at-edge`: ngrok checks signatures with the current secret.
    pub verify_at_edge: bool,
    /// `--forward-to`: forward every verified event to this URL, whatever the settings say.
    pub forward_to: Option<String>,
    /// The environment variables Hooklab reads, captured at start.
    pub env: BTreeMap<String, String>,
}

impl Overrides {
    /// Captures `CLERK_WEBHOOK_SECRET`, `CLERK_WEBHOOK_SIGNING_SECRET`, `NGROK_AUTHTOKEN` and
    /// `NGROK_DOMAIN` from this process's environment.
    pub fn from_process_env() -> Self {
        let env = SECRET_ENV
            .iter()
            .chain([AUTHTOKEN_ENV, DOMAIN_ENV].iter())
            .filter_map(|name| std::env::var(name).ok().map(|v| ((*name).to_owned(), v)))
            .collect();
        Self {
            env,
            ..Self::default()
        }
    }

    fn env(&self, name: &str) -> Option<String> {
        self.env.get(name).cloned()
    }

    /// What overrides the settings file's secrets, in words (`--secret`,
    /// `CLERK_WEBHOOK_SECRET`), if anything does.
    pub fn secrets_overridden_by(&self) -> Option<String> {
        if !self.secret_flags.is_empty() {
            return Some("--secret".to_owned());
        }
        SECRET_ENV
            .iter()
            .find(|name| self.env.get(**name).is_some_and(|v| !v.trim().is_empty()))
            .map(|name| (*name).to_owned())
    }
}

/// The resolved configuration.
#[derive(Debug)]
pub(crate) struct Effective {
    pub secrets: Vec<Secret>,
    pub webhook_path: String,
    pub port: u16,
    pub tunnel: TunnelKey,
    /// Where verified events are forwarded as they arrive, if anywhere.
    pub forward: Option<String>,
}

/// What the tunnel session depends on: a change restarts it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct TunnelKey {
    pub authtoken: Option<String>,
    pub domain: Option<String>,
    pub edge_secret: Option<String>,
}

impl std::fmt::Debug for TunnelKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TunnelKey")
            .field(
                "authtoken",
                &self.authtoken.as_deref().map(crate::secret::mask),
            )
            .field("domain", &self.domain)
            .field("edge_secret", &self.edge_secret.is_some())
            .finish()
    }
}

impl Effective {
    /// Resolves `settings` under `overrides`.
    pub fn resolve(settings: &Settings, overrides: &Overrides) -> Result<Self, SecretError> {
        let env = |name: &str| overrides.env(name);
        let secrets = resolve_secrets(&overrides.secret_flags, env, settings)?;
        let webhook_path = overrides
            .webhook_path
            .as_deref()
            .or(settings.webhook_path.as_deref())
            .map_or_else(
                || DEFAULT_WEBHOOK_PATH.to_owned(),
                |p| normalize_path(p).unwrap_or_else(|_| DEFAULT_WEBHOOK_PATH.to_owned()),
            );
        let port = overrides
            .port
            .or(settings.port.filter(|p| *p != 0))
            .unwrap_or(DEFAULT_PORT);
        let edge_secret = (overrides.verify_at_edge || settings.verify_at_edge)
            .then(|| secrets.first().map(|s| s.expose().to_owned()))
            .flatten();
        let tunnel = TunnelKey {
            authtoken: resolve_authtoken(env, settings),
            domain: resolve_domain(overrides.domain.as_deref(), env, settings),
            edge_secret,
        };
        // A saved URL that is no longer valid (it became Hooklab's own port) forwards nowhere.
        let saved = settings
            .forward_url
            .as_deref()
            .filter(|_| settings.forward_live)
            .and_then(|url| match normalize_forward_url(url, port) {
                Ok(url) => Some(url),
                Err(e) => {
                    tracing::warn!(error = %e, "not forwarding: the saved app URL is refused");
                    None
                }
            });
        let forward = overrides.forward_to.clone().or(saved);
        Ok(Self {
            secrets,
            webhook_path,
            port,
            tunnel,
            forward,
        })
    }
}
