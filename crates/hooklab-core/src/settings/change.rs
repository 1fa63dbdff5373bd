//! One edit of the settings, validated the same way wherever it comes from (`hooklab config`,
//! the desktop app's Settings screen): a bad value is refused with the field it belongs to,
//! a message and a hint, and nothing is saved.

use serde::{Deserialize, Serialize};

use super::Settings;
use super::forward_url::normalize_forward_url;
use crate::secret::{Secret, SecretOrigin, WHERE_THE_SECRET_IS};
use crate::store::{MIN_AGE_DAYS, MIN_EVENTS, MIN_SIZE_MB, Retention, Synchronous};
use crate::tunnel::{AUTHTOKEN_URL, DOMAINS_URL, normalize_domain};

/// One edit of the settings.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum SettingsChange {
    /// A new current signing secret; with `keep_previous` the current one stays valid as the
    /// previous (Clerk keeps the old secret valid for 24 h after a rotation).
    SetSecret {
        /// `whsec_…`.
        secret: String,
        /// Keep the current secret as the previous one.
        keep_previous: bool,
    },
    /// Forget the previous secret (the rotation is over).
    DropPreviousSecret,
    /// Forget every stored secret.
    ClearSecrets,
    /// The webhook route, e.g. `/api/webhooks/clerk`.
    SetWebhookPath {
        /// The path; a missing leading `/` is added.
        path: String,
    },
    /// The loopback port.
    SetPort {
        /// 1–65535.
        port: u16,
    },
    /// The ngrok authtoken; `None` removes it (local-only mode).
    SetNgrokAuthtoken {
        /// The token.
        token: Option<String>,
    },
    /// The ngrok static domain; `None` lets ngrok choose.
    SetNgrokDomain {
        /// The domain (a pasted URL is reduced to its host).
        domain: Option<String>,
    },
    /// What the database keeps; each limit `None` for none.
    SetRetention {
        /// The limits.
        retention: Retention,
    },
    /// The user's app: its webhook URL (`None` forgets it), and whether every verified event
    /// is forwarded to it as it arrives.
    SetForward {
        /// E.g. `http://localhost:3000/api/webhooks/clerk`.
        url: Option<String>,
        /// Forward each verified event as it arrives.
        live: bool,
    },
    /// Whether ngrok checks Clerk's signature at its edge (the tunnel reconnects with it).
    SetVerifyAtEdge {
        /// On or off.
        on: bool,
    },
    /// How durable a commit is; the writer takes it at the next start.
    SetSynchronous {
        /// `normal` (survives a crash) or `full` (also a power cut, slower).
        synchronous: Synchronous,
    },
}

impl std::fmt::Debug for SettingsChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SetSecret { secret, .. } => {
                write!(f, "SetSecret({})", crate::secret::mask(secret))
            }
            Self::SetNgrokAuthtoken { token } => {
                write!(
                    f,
                    "SetNgrokAuthtoken({:?})",
                    token.as_deref().map(crate::secret::mask)
                )
            }
            Self::DropPreviousSecret => write!(f, "DropPreviousSecret"),
            Self::ClearSecrets => write!(f, "ClearSecrets"),
            Self::SetWebhookPath { path } => write!(f, "SetWebhookPath({path})"),
            Self::SetPort { port } => write!(f, "SetPort({port})"),
            Self::SetNgrokDomain { domain } => write!(f, "SetNgrokDomain({domain:?})"),
            Self::SetRetention { retention } => write!(f, "SetRetention({retention:?})"),
            Self::SetForward { url, live } => write!(f, "SetForward({url:?}, live: {live})"),
            Self::SetVerifyAtEdge { on } => write!(f, "SetVerifyAtEdge({on})"),
            Self::SetSynchronous { synchronous } => write!(f, "SetSynchronous({synchronous:?})"),
        }
    }
}

/// A value refused, with the field it belongs to (the UI shows it beside that field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct FieldError {
    /// `secret`, `webhook_path`, `port`, `ngrok_authtoken`, `ngrok_domain`, `retention` or
    /// `forward_url`.
    pub field: &'static str,
    /// A stable code.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub hint: String,
}

impl FieldError {
    pub(crate) fn new(
        field: &'static str,
        code: &'static str,
        message: String,
        hint: &str,
    ) -> Self {
        Self {
            field,
            code,
            message,
            hint: hint.to_owned(),
        }
    }
}

impl SettingsChange {
    /// Applies the edit to `settings`, or refuses it and leaves them as they were.
    pub fn apply_to(&self, settings: &mut Settings) -> Result<(), FieldError> {
        match self {
            Self::SetSecret {
                secret,
                keep_previous,
            } => {
                let parsed = Secret::parse(secret, SecretOrigin::Settings).map_err(|e| {
                    FieldError::new(
                        "secret",
                        "invalid_secret",
                        e.to_string(),
                        WHERE_THE_SECRET_IS,
                    )
                })?;
                let mut list = vec![parsed.expose().to_owned()];
                if *keep_previous {
                    list.extend(
                        settings
                            .secrets
                            .iter()
                            .filter(|s| s.as_str() != parsed.expose())
                            .take(1)
                            .cloned(),
                    );
                }
                settings.secrets = list;
            }
            Self::DropPreviousSecret => settings.secrets.truncate(1),
            Self::ClearSecrets => settings.secrets.clear(),
            Self::SetWebhookPath { path } => settings.webhook_path = Some(normalize_path(path)?),
            Self::SetPort { port: 0 } => {
                return Err(FieldError::new(
                    "port",
                    "invalid_port",
                    "port 0 cannot be stored: it means \"any free port\", so the URL in Clerk \
                     would change on every start"
                        .into(),
                    "Pick a fixed port from 1024 to 65535, e.g. 8787.",
                ));
            }
            Self::SetPort { port } => {
                if let Some(url) = &settings.forward_url
                    && let Err(e) = normalize_forward_url(url, *port)
                    && e.code == "forward_to_self"
                {
                    return Err(FieldError::new(
                        "port",
                        "port_is_the_apps",
                        format!("port {port} is where your app listens ({url})"),
                        "Pick another port for Hooklab, or change your app's URL under Your app.",
                    ));
                }
                settings.port = Some(*port);
            }
            Self::SetVerifyAtEdge { on } => settings.verify_at_edge = *on,
            Self::SetSynchronous { synchronous } => settings.synchronous = Some(*synchronous),
            Self::SetForward { url, live } => {
                let own_port = settings.port.unwrap_or(super::DEFAULT_PORT);
                let url = match url.as_deref().map(str::trim) {
                    None | Some("") if *live => {
                        return Err(FieldError::new(
                            "forward_url",
                            "empty_forward_url",
                            "forwarding needs your app's URL".into(),
                            "Enter the URL your app's webhook handler listens on, e.g. \
                             http://localhost:3000/api/webhooks/clerk.",
                        ));
                    }
                    None | Some("") => None,
                    Some(url) => Some(normalize_forward_url(url, own_port)?),
                };
                settings.forward_url = url;
                settings.forward_live = *live;
            }
            Self::SetRetention { retention } => {
                check_retention(retention)?;
                settings.retention = *retention;
            }
            Self::SetNgrokAuthtoken { token } => {
                settings.ngrok_authtoken = match token.as_deref().map(str::trim) {
                    None | Some("") if token.is_some() => {
                        return Err(FieldError::new(
                            "ngrok_authtoken",
                            "empty_authtoken",
                            "the ngrok authtoken is empty".into(),
                            &format!("Copy it from {AUTHTOKEN_URL}."),
                        ));
                    }
                    None | Some("") => None,
                    Some(t) if t.chars().any(char::is_whitespace) => {
                        return Err(FieldError::new(
                            "ngrok_authtoken",
                            "invalid_authtoken",
                            "an ngrok authtoken has no spaces".into(),
                            &format!("Copy it again from {AUTHTOKEN_URL}."),
                        ));
                    }
                    Some(t) => Some(t.to_owned()),
                };
            }
            Self::SetNgrokDomain { domain } => {
                settings.ngrok_domain = match domain.as_deref().map(normalize_domain) {
                    Some(d) if d.is_empty() => {
                        return Err(FieldError::new(
                            "ngrok_domain",
                            "empty_domain",
                            "the ngrok domain is empty".into(),
                            &format!("Claim your free static domain at {DOMAINS_URL}."),
                        ));
                    }
                    Some(d)
                        if !d.contains('.')
                            || d.chars()
                                .any(|c| !(c.is_ascii_alphanumeric() || c == '-' || c == '.')) =>
                    {
                        return Err(FieldError::new(
                            "ngrok_domain",
                            "invalid_domain",
                            format!("{d} is not a domain name"),
                            "Use the name shown in the ngrok dashboard, e.g. steady-fox-42.ngrok-free.app.",
                        ));
                    }
                    other => other,
                };
            }
        }
        Ok(())
    }
}

/// Refuses limits so small they would prune what the user is looking at.
pub(crate) fn check_retention(r: &Retention) -> Result<(), FieldError> {
    let too_small = |what: String| {
        FieldError::new(
            "retention",
            "retention_too_small",
            what,
            "Leave a limit empty for none; the size limit alone keeps the disk from filling.",
        )
    };
    if r.max_age_days.is_some_and(|d| d < MIN_AGE_DAYS) {
        return Err(too_small(format!(
            "keep events at least {MIN_AGE_DAYS} day"
        )));
    }
    if r.max_events.is_some_and(|n| n < MIN_EVENTS) {
        return Err(too_small(format!("keep at least {MIN_EVENTS} events")));
    }
    if r.max_size_mb.is_some_and(|mb| mb < MIN_SIZE_MB) {
        return Err(too_small(format!("keep at least {MIN_SIZE_MB} MB")));
    }
    Ok(())
}

/// `api/webhooks/clerk` → `/api/webhooks/clerk`; refuses spaces, queries and fragments.
pub fn normalize_path(path: &str) -> Result<String, FieldError> {
    let path = path.trim();
    let bad = |message: String| {
        FieldError::new(
            "webhook_path",
            "invalid_path",
            message,
            "Use the path part of your endpoint URL only, e.g. /api/webhooks/clerk.",
        )
    };
    if path.is_empty() {
        return Err(bad("the webhook path is empty".into()));
    }
    if path.contains("://") {
        return Err(bad(format!("{path} is a URL, not a path")));
    }
    if path
        .chars()
        .any(|c| c.is_whitespace() || c == '?' || c == '#')
    {
        return Err(bad(format!(
            "{path} is not a plain path (no spaces, `?` or `#`)"
        )));
    }
    Ok(if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const B: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

    fn set(secret: &str, keep_previous: bool) -> SettingsChange {
        SettingsChange::SetSecret {
            secret: secret.into(),
            keep_previous,
        }
    }

    #[test]
    fn a_rotation_keeps_the_old_secret_as_previous_and_a_bad_secret_changes_nothing() {
        let mut s = Settings::default();
        set(A, false).apply_to(&mut s).unwrap();
        set(B, true).apply_to(&mut s).unwrap();
        assert_eq!(s.secrets, vec![B.to_owned(), A.to_owned()]);
        let err = set("whsec_not base64!", false)
            .apply_to(&mut s)
            .unwrap_err();
        assert_eq!((err.field, err.code), ("secret", "invalid_secret"));
        assert!(!err.message.contains("base64!"), "masked: {}", err.message);
        assert_eq!(s.secrets.len(), 2, "nothing changed");
        SettingsChange::DropPreviousSecret.apply_to(&mut s).unwrap();
        assert_eq!(s.secrets, vec![B.to_owned()]);
    }

    #[test]
    fn retention_limits_too_small_to_be_safe_are_refused_and_nothing_changes() {
        let mut s = Settings::default();
        assert_eq!(
            s.retention.max_size_mb,
            Some(1024),
            "the default bounds the disk"
        );
        let set = |retention| SettingsChange::SetRetention { retention };
        let none = Retention {
            max_age_days: None,
            max_events: None,
            max_size_mb: None,
        };
        for bad in [
            Retention {
                max_age_days: Some(0),
                ..none
            },
            Retention {
                max_events: Some(10),
                ..none
            },
            Retention {
                max_size_mb: Some(1),
                ..none
            },
        ] {
            let err = set(bad).apply_to(&mut s).unwrap_err();
            assert_eq!((err.field, err.code), ("retention", "retention_too_small"));
            assert_eq!(s.retention, Retention::default());
        }
        let good = Retention {
            max_age_days: Some(30),
            max_events: None,
            max_size_mb: Some(512),
        };
        set(good).apply_to(&mut s).unwrap();
        assert_eq!(s.retention, good);
        set(none).apply_to(&mut s).unwrap();
        assert_eq!(s.retention, none, "no limit at all is allowed");
    }

    #[test]
    fn paths_ports_and_domains_are_checked_and_normalized() {
        let mut s = Settings::default();
        let path = |p: &str| SettingsChange::SetWebhookPath { path: p.into() };
        path("api/hooks").apply_to(&mut s).unwrap();
        assert_eq!(s.webhook_path.as_deref(), Some("/api/hooks"));
        for bad in ["", "https://x.dev/api", "/a b", "/a?x=1"] {
            assert_eq!(
                path(bad).apply_to(&mut s).unwrap_err().field,
                "webhook_path",
                "{bad}"
            );
        }
        assert_eq!(
            SettingsChange::SetPort { port: 0 }
                .apply_to(&mut s)
                .unwrap_err()
                .code,
            "invalid_port"
        );
        let domain = |d: &str| SettingsChange::SetNgrokDomain {
            domain: Some(d.into()),
        };
        domain("https://Fox-1.ngrok-free.app/")
            .apply_to(&mut s)
            .unwrap();
        assert_eq!(s.ngrok_domain.as_deref(), Some("fox-1.ngrok-free.app"));
        assert_eq!(
            domain("not a domain").apply_to(&mut s).unwrap_err().code,
            "invalid_domain"
        );
        let token = |t: Option<&str>| SettingsChange::SetNgrokAuthtoken {
            token: t.map(Into::into),
        };
        assert_eq!(
            token(Some("  ")).apply_to(&mut s).unwrap_err().code,
            "empty_authtoken"
        );
        token(Some("2abc_def")).apply_to(&mut s).unwrap();
        token(None).apply_to(&mut s).unwrap();
        assert_eq!(s.ngrok_authtoken, None);
    }
}
