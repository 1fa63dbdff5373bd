//! What the tunnel is doing, in the one shape the bus, the CLI, the UI and the `tunnel_states`
//! timeline all share.

use std::time::Duration;

use serde::Serialize;

/// The tunnel's state. Serialized with a `state` tag: `{"state":"online","url":…}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TunnelState {
    /// No tunnel: the receiver serves loopback only (local-only mode).
    Off,
    /// Opening a session with ngrok.
    Connecting,
    /// The public URL is live.
    Online {
        /// The public URL ngrok assigned, e.g. `https://steady-fox.ngrok-free.app`.
        url: String,
        /// The URL to paste into Clerk: `url` followed by the receiver's webhook path.
        webhook_url: String,
        /// The public URL used last time, when it differs from `url`: the Clerk endpoint still
        /// points there and must be edited.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        previous_url: Option<String>,
    },
    /// Offline for now; the next attempt is scheduled.
    Reconnecting {
        /// 1 for the first retry after a failure, then 2, 3, …
        attempt: u32,
        /// How long until the next attempt (serialized as `retry_in_ms`).
        #[serde(rename = "retry_in_ms", with = "millis")]
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        retry_in: Duration,
        /// A stable code for the last error (see [`crate::tunnel::TunnelError::code`]).
        code: String,
        /// What went wrong last.
        last_error: String,
        /// What the user can do, when there is something.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        hint: Option<String>,
    },
    /// Given up until the settings change or the tunnel is started again.
    Failed {
        /// A stable code the UI branches on (see [`crate::tunnel::TunnelError::code`]).
        code: String,
        /// What went wrong.
        error: String,
        /// What to do about it.
        hint: String,
    },
}

impl TunnelState {
    /// The tag: `off`, `connecting`, `online`, `reconnecting` or `failed`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Connecting => "connecting",
            Self::Online { .. } => "online",
            Self::Reconnecting { .. } => "reconnecting",
            Self::Failed { .. } => "failed",
        }
    }

    /// The public URL while online.
    pub fn url(&self) -> Option<&str> {
        match self {
            Self::Online { url, .. } => Some(url),
            _ => None,
        }
    }

    /// Online with a URL that differs from the remembered one: what to tell the user.
    pub fn url_change_warning(&self) -> Option<String> {
        let Self::Online {
            url,
            webhook_url,
            previous_url: Some(previous),
        } = self
        else {
            return None;
        };
        Some(format!(
            "The public URL changed: it was {previous}, it is now {url}. In the Clerk dashboard, \
             edit the URL of your existing endpoint to {webhook_url}. Do not create a new \
             endpoint: it would come with a new signing secret. A static domain (free on every \
             ngrok account) keeps the URL the same across restarts."
        ))
    }

    /// The text stored in `tunnel_states.detail`.
    pub fn detail(&self) -> Option<String> {
        match self {
            Self::Off | Self::Connecting => None,
            Self::Online { .. } => self.url_change_warning(),
            Self::Reconnecting {
                attempt,
                retry_in,
                last_error,
                ..
            } => Some(format!(
                "attempt {attempt}, next in {}: {last_error}",
                seconds(*retry_in)
            )),
            Self::Failed { error, hint, .. } => Some(format!("{error}\n{hint}")),
        }
    }
}

/// `1.5 s`, `30 s`, `250 ms`.
pub fn seconds(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// `Duration` as whole milliseconds (`serde(with)`, which ts-rs understands, unlike
/// `serialize_with`).
mod millis {
    use std::time::Duration;

    use serde::Serializer;

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_serialize_with_a_state_tag_and_milliseconds() {
        let off = serde_json::to_value(TunnelState::Off).unwrap();
        assert_eq!(off, serde_json::json!({ "state": "off" }));
        let retry = TunnelState::Reconnecting {
            attempt: 2,
            retry_in: Duration::from_millis(1500),
            code: "network".into(),
            last_error: "refused".into(),
            hint: None,
        };
        assert_eq!(
            serde_json::to_value(&retry).unwrap(),
            serde_json::json!({
                "state": "reconnecting", "attempt": 2, "retry_in_ms": 1500,
                "code": "network", "last_error": "refused",
            })
        );
        assert_eq!(retry.name(), "reconnecting");
        assert!(retry.detail().unwrap().contains("next in 1.5 s"));
    }

    #[test]
    fn a_changed_url_warns_to_edit_the_existing_endpoint() {
        let online = TunnelState::Online {
            url: "https://b.ngrok-free.app".into(),
            webhook_url: "https://b.ngrok-free.app/api/webhooks/clerk".into(),
            previous_url: Some("https://a.ngrok-free.app".into()),
        };
        let warning = online.url_change_warning().unwrap();
        assert!(warning.contains("https://a.ngrok-free.app"), "{warning}");
        assert!(warning.contains("edit the URL of your existing endpoint"));
        assert!(warning.contains("new signing secret"));
        let same = TunnelState::Online {
            url: "https://b.ngrok-free.app".into(),
            webhook_url: "https://b.ngrok-free.app/x".into(),
            previous_url: None,
        };
        assert_eq!(same.url_change_warning(), None);
        assert_eq!(same.detail(), None);
    }
}
