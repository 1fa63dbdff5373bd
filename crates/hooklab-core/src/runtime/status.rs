//! What the runtime reports about itself: where it listens, with which (masked) secrets, what
//! overrides the settings file, and a problem applying the file, if any.

use serde::Serialize;

use crate::error_body::ErrorBody;
use crate::probe::ProbeResult;
use crate::secret::{Secret, SecretOrigin, mask};
use crate::settings::Settings;
use crate::store::{Downtime, Retention, Synchronous};
use crate::tunnel::TunnelState;

use super::effective::{Effective, Overrides};

/// One signing secret as the UI lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SecretInfo {
    /// `whsec_…` plus the last four characters.
    pub masked: String,
    /// `current`, or `previous` (still valid during a rotation).
    pub role: String,
    /// Where it is configured.
    pub origin: SecretOrigin,
}

/// The runtime as the header and the Settings screen show it. Secrets are masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RuntimeStatus {
    /// `http://127.0.0.1:PORT/PATH`: where to send test events locally.
    pub local_url: String,
    /// The port actually listened on.
    pub port: u16,
    /// The port the settings ask for, when it was in use at start and the receiver listens on
    /// a free one instead (the local URL changed).
    pub port_taken: Option<u16>,
    /// The webhook route.
    pub webhook_path: String,
    /// The secrets in use, current first.
    pub secrets: Vec<SecretInfo>,
    /// What overrides the settings file's secrets (`--secret`, `CLERK_WEBHOOK_SECRET`), if
    /// anything: secrets saved in Settings then have no effect until it is removed.
    pub secrets_overridden_by: Option<String>,
    /// The ngrok authtoken in use, masked.
    pub ngrok_authtoken: Option<String>,
    /// The static domain in use.
    pub ngrok_domain: Option<String>,
    /// Whether the tunnel runs (or would, with an authtoken).
    pub tunnel_enabled: bool,
    /// Whether ngrok is asked to check Clerk's signature at its edge (Settings or
    /// `--verify-at-edge`); it does only with a signing secret to check with.
    pub verify_at_edge: bool,
    /// The public URL Clerk was last given.
    pub last_public_url: Option<String>,
    /// The database file.
    pub db_path: String,
    /// What the database keeps.
    pub retention: Retention,
    /// How durable a commit is now (`normal`: survives a crash; `full`: also a power cut),
    /// fixed when the database was opened.
    pub synchronous: Synchronous,
    /// What the next start uses (`--synchronous`, else the settings), when it differs.
    pub synchronous_next: Option<Synchronous>,
    /// The user's app's webhook URL: where resends to "your app" go (`--forward-to`, else the
    /// settings).
    pub forward_url: Option<String>,
    /// Whether every verified event is forwarded to `forward_url` as it arrives.
    pub forwarding: bool,
    /// `--forward-to` when it overrides the settings' app URL.
    pub forward_overridden_by: Option<String>,
    /// The settings file.
    pub settings_path: String,
    /// Why the settings file's latest contents are not in effect, if they are not.
    pub settings_problem: Option<ErrorBody>,
}

/// Everything the app's header shows at once (`get_status`), and the change number to follow
/// the feed from.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StatusReply {
    /// The runtime.
    pub runtime: RuntimeStatus,
    /// The tunnel.
    pub tunnel: TunnelState,
    /// The latest change-feed number.
    pub cursor: i64,
    /// While online: the stretch without a public URL that ended when the tunnel came back.
    pub downtime: Option<Downtime>,
    /// The latest probe of the public URL, automatic or asked for.
    pub probe: Option<ProbeResult>,
}

pub(crate) struct StatusParts<'a> {
    pub port: u16,
    pub port_wanted: u16,
    pub effective: &'a Effective,
    pub settings: &'a Settings,
    pub overrides: &'a Overrides,
    pub tunnel_enabled: bool,
    pub db_path: &'a std::path::Path,
    pub settings_path: &'a std::path::Path,
    pub problem: Option<ErrorBody>,
    pub synchronous: Synchronous,
}

impl RuntimeStatus {
    pub(crate) fn new(p: StatusParts<'_>) -> Self {
        let secrets = p
            .effective
            .secrets
            .iter()
            .enumerate()
            .map(|(i, s): (usize, &Secret)| SecretInfo {
                masked: s.masked(),
                role: if i == 0 { "current" } else { "previous" }.to_owned(),
                origin: s.origin(),
            })
            .collect();
        Self {
            local_url: format!("http://127.0.0.1:{}{}", p.port, p.effective.webhook_path),
            port: p.port,
            port_taken: (p.port_wanted != 0 && p.port_wanted != p.port).then_some(p.port_wanted),
            webhook_path: p.effective.webhook_path.clone(),
            secrets,
            secrets_overridden_by: p.overrides.secrets_overridden_by(),
            ngrok_authtoken: p.effective.tunnel.authtoken.as_deref().map(mask),
            ngrok_domain: p.effective.tunnel.domain.clone(),
            tunnel_enabled: p.tunnel_enabled,
            verify_at_edge: p.overrides.verify_at_edge || p.settings.verify_at_edge,
            last_public_url: p.settings.last_public_url.clone(),
            db_path: p.db_path.display().to_string(),
            retention: p.settings.retention,
            synchronous: p.synchronous,
            synchronous_next: Some(
                p.overrides
                    .synchronous
                    .or(p.settings.synchronous)
                    .unwrap_or_default(),
            )
            .filter(|next| *next != p.synchronous),
            forward_url: p
                .effective
                .forward
                .clone()
                .or_else(|| p.settings.forward_url.clone()),
            forwarding: p.effective.forward.is_some(),
            forward_overridden_by: p
                .overrides
                .forward_to
                .as_ref()
                .map(|_| "--forward-to".to_owned()),
            settings_path: p.settings_path.display().to_string(),
            settings_problem: p.problem,
        }
    }
}
