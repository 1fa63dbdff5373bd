//! Why the tunnel is not online: ngrok's error codes mapped to a typed error, a hint the user
//! can act on, and whether retrying can help.

use crate::secret::mask;

/// Where an ngrok account's authtoken is shown.
pub const AUTHTOKEN_URL: &str = "https://dashboard.ngrok.com/get-started/your-authtoken";
/// Where an ngrok account's domains (including its free static domain) are listed.
pub const DOMAINS_URL: &str = "https://dashboard.ngrok.com/domains";

/// Malformed authtoken.
pub const ERR_AUTHTOKEN_MALFORMED: &str = "ERR_NGROK_105";
/// Well-formed but invalid (reset or revoked) authtoken.
pub const ERR_AUTHTOKEN_INVALID: &str = "ERR_NGROK_107";
/// The account allows fewer simultaneous agent sessions than are open.
pub const ERR_SESSION_LIMIT: &str = "ERR_NGROK_108";
/// ngrok needs a verified account and an authtoken.
pub const ERR_AUTHTOKEN_REQUIRED: &str = "ERR_NGROK_4018";
/// The domain is not reserved on this account.
pub const ERR_DOMAIN_NOT_RESERVED: &str = "ERR_NGROK_319";
/// The domain is reserved by another account.
pub const ERR_DOMAIN_RESERVED_ELSEWHERE: &str = "ERR_NGROK_320";
/// Another session already serves this endpoint URL.
pub const ERR_ENDPOINT_ALREADY_ONLINE: &str = "ERR_NGROK_334";

/// Whether another attempt can help, and how soon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Only a change of settings (or a restart) can help: no retry storm.
    Never,
    /// A passing problem: retry on the capped, jittered backoff.
    Backoff,
    /// Someone else must act first (close another agent): retry at the cap.
    Slow,
}

/// Why the tunnel is not online.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TunnelError {
    /// No authtoken in `NGROK_AUTHTOKEN` or the settings file; nothing was dialed.
    #[error("no ngrok authtoken is configured")]
    NoAuthtoken,
    /// ngrok refused the authtoken (ERR_NGROK_105 malformed, 107 invalid or revoked, 4018 missing).
    #[error("ngrok rejected the authtoken ({code}): {message}")]
    AuthtokenRejected {
        /// The `ERR_NGROK_*` code.
        code: String,
        /// ngrok's message, with the authtoken masked.
        message: String,
    },
    /// The requested domain is not reserved on this account (ERR_NGROK_319).
    #[error("the domain {domain} is not reserved on this ngrok account ({code}): {message}")]
    DomainNotReserved {
        /// The domain Hooklab asked for.
        domain: String,
        /// The `ERR_NGROK_*` code.
        code: String,
        /// ngrok's message.
        message: String,
    },
    /// The requested domain belongs to another account (ERR_NGROK_320).
    #[error("the domain {domain} is reserved by another ngrok account ({code}): {message}")]
    DomainReservedElsewhere {
        /// The domain Hooklab asked for.
        domain: String,
        /// The `ERR_NGROK_*` code.
        code: String,
        /// ngrok's message.
        message: String,
    },
    /// Another agent session is open and the account allows only one (ERR_NGROK_108).
    #[error("another ngrok agent session is already open on this account ({code}): {message}")]
    SessionLimit {
        /// The `ERR_NGROK_*` code.
        code: String,
        /// ngrok's message.
        message: String,
    },
    /// Another session already serves this URL (ERR_NGROK_334).
    #[error("the endpoint URL is already online in another session ({code}): {message}")]
    EndpointAlreadyOnline {
        /// The `ERR_NGROK_*` code.
        code: String,
        /// ngrok's message.
        message: String,
    },
    /// ngrok could not be reached: DNS, refused or reset connections, TLS, no answer in time.
    #[error("cannot reach ngrok: {message}")]
    Network {
        /// What failed.
        message: String,
    },
    /// An established session to ngrok dropped.
    #[error("the connection to ngrok was lost: {message}")]
    ConnectionLost {
        /// Why, as far as the client knows.
        message: String,
    },
    /// Any other error ngrok reported.
    #[error("ngrok refused the tunnel{}: {message}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Ngrok {
        /// The `ERR_NGROK_*` code, when there is one.
        code: Option<String>,
        /// ngrok's message.
        message: String,
    },
    /// The tunnel settings cannot work (for example a malformed server address).
    #[error("the tunnel settings are not valid: {message}")]
    InvalidConfig {
        /// What is wrong.
        message: String,
    },
}

impl TunnelError {
    /// Maps an ngrok error code (from `ngrok::Error::error_code()`) and message to an error.
    /// `domain` is the domain Hooklab asked for; `authtoken` is masked out of the message.
    pub fn from_code(
        code: Option<&str>,
        message: &str,
        domain: Option<&str>,
        authtoken: Option<&str>,
    ) -> Self {
        let message = redact(message.trim(), authtoken);
        let domain = || domain.unwrap_or("(none)").to_owned();
        let Some(code) = code else {
            return Self::Ngrok {
                code: None,
                message,
            };
        };
        let code_owned = code.to_owned();
        match code {
            ERR_AUTHTOKEN_MALFORMED | ERR_AUTHTOKEN_INVALID | ERR_AUTHTOKEN_REQUIRED => {
                Self::AuthtokenRejected {
                    code: code_owned,
                    message,
                }
            }
            ERR_DOMAIN_NOT_RESERVED => Self::DomainNotReserved {
                domain: domain(),
                code: code_owned,
                message,
            },
            ERR_DOMAIN_RESERVED_ELSEWHERE => Self::DomainReservedElsewhere {
                domain: domain(),
                code: code_owned,
                message,
            },
            ERR_SESSION_LIMIT => Self::SessionLimit {
                code: code_owned,
                message,
            },
            ERR_ENDPOINT_ALREADY_ONLINE => Self::EndpointAlreadyOnline {
                code: code_owned,
                message,
            },
            _ => Self::Ngrok {
                code: Some(code_owned),
                message,
            },
        }
    }

    /// A stable code for the UI to branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoAuthtoken => "no_authtoken",
            Self::AuthtokenRejected { .. } => "authtoken_rejected",
            Self::DomainNotReserved { .. } => "domain_not_reserved",
            Self::DomainReservedElsewhere { .. } => "domain_reserved_elsewhere",
            Self::SessionLimit { .. } => "session_limit",
            Self::EndpointAlreadyOnline { .. } => "endpoint_already_online",
            Self::Network { .. } => "network",
            Self::ConnectionLost { .. } => "connection_lost",
            Self::Ngrok { .. } => "ngrok",
            Self::InvalidConfig { .. } => "invalid_config",
        }
    }

    /// The `ERR_NGROK_*` code ngrok sent, if any.
    pub fn ngrok_code(&self) -> Option<&str> {
        match self {
            Self::AuthtokenRejected { code, .. }
            | Self::DomainNotReserved { code, .. }
            | Self::DomainReservedElsewhere { code, .. }
            | Self::SessionLimit { code, .. }
            | Self::EndpointAlreadyOnline { code, .. } => Some(code),
            Self::Ngrok { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// Whether retrying can help, and how soon.
    pub fn retry(&self) -> Retry {
        match self {
            Self::NoAuthtoken
            | Self::AuthtokenRejected { .. }
            | Self::DomainNotReserved { .. }
            | Self::DomainReservedElsewhere { .. }
            | Self::InvalidConfig { .. } => Retry::Never,
            Self::SessionLimit { .. } | Self::EndpointAlreadyOnline { .. } => Retry::Slow,
            Self::Network { .. } | Self::ConnectionLost { .. } | Self::Ngrok { .. } => {
                Retry::Backoff
            }
        }
    }

    /// What the user can do about it.
    pub fn hint(&self) -> String {
        let local = "Meanwhile the receiver keeps working locally (local-only mode).";
        match self {
            Self::NoAuthtoken => format!(
                "Copy your authtoken from {AUTHTOKEN_URL} (a free ngrok account is enough), then \
                 run `hooklab config set-ngrok-authtoken <TOKEN>` or set NGROK_AUTHTOKEN. {local}"
            ),
            Self::AuthtokenRejected { .. } => format!(
                "The authtoken is mistyped, or it was reset or revoked. Copy it again from \
                 {AUTHTOKEN_URL} and store it with `hooklab config set-ngrok-authtoken <TOKEN>` \
                 (or NGROK_AUTHTOKEN), then start the tunnel again. {local}"
            ),
            Self::DomainNotReserved { domain, .. } => format!(
                "{domain} is not a domain of this ngrok account. Every account has one free \
                 static domain: claim it at {DOMAINS_URL} and use exactly that name \
                 (`hooklab config set-ngrok-domain <DOMAIN>`, --domain or NGROK_DOMAIN), or \
                 remove the domain setting to let ngrok assign one. {local}"
            ),
            Self::DomainReservedElsewhere { domain, .. } => format!(
                "{domain} belongs to another ngrok account. Use the domain listed at \
                 {DOMAINS_URL} for the account whose authtoken Hooklab uses, or switch to that \
                 account's authtoken. {local}"
            ),
            Self::SessionLimit { .. } => format!(
                "A free ngrok account allows one agent session at a time. Close the other agent \
                 (an `ngrok http` in another terminal, or another Hooklab). Right after a network \
                 drop this can also be Hooklab's own previous session, which ngrok forgets within \
                 a minute. Hooklab keeps retrying and comes online by itself. {local}"
            ),
            Self::EndpointAlreadyOnline { .. } => format!(
                "Another agent session already serves this URL. Stop it (see \
                 https://dashboard.ngrok.com/endpoints); Hooklab keeps retrying. {local}"
            ),
            Self::Network { .. } => format!(
                "Check the internet connection (DNS, firewall, proxy). Hooklab retries by itself \
                 and comes back online when ngrok is reachable again. {local}"
            ),
            Self::ConnectionLost { .. } => format!(
                "Hooklab is reconnecting by itself. Clerk retries deliveries that failed \
                 meanwhile. {local}"
            ),
            Self::Ngrok {
                code: Some(code), ..
            } => format!(
                "See https://ngrok.com/docs/errors/{} for what this code means. Hooklab keeps \
                 retrying. {local}",
                code.to_ascii_lowercase()
            ),
            Self::Ngrok { code: None, .. } => format!("Hooklab keeps retrying. {local}"),
            Self::InvalidConfig { .. } => {
                format!("Fix the tunnel settings and start the tunnel again. {local}")
            }
        }
    }
}

/// Replaces every occurrence of the authtoken in `message` with its masked form.
pub fn redact(message: &str, authtoken: Option<&str>) -> String {
    match authtoken.filter(|t| t.len() >= 4) {
        Some(token) => message.replace(token, &mask(token)),
        None => message.to_owned(),
    }
}

/// An error and its sources, joined with `: ` (ngrok-rs puts the useful part in the sources).
pub fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let part = inner.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "2abcDEFghiJKLmnoPQR_secretPart123";

    fn map(code: &str) -> TunnelError {
        TunnelError::from_code(
            Some(code),
            "message",
            Some("hooks.example.com"),
            Some(TOKEN),
        )
    }

    #[test]
    fn authtoken_codes_fail_without_retry_and_point_to_the_dashboard() {
        for code in ["ERR_NGROK_105", "ERR_NGROK_107", "ERR_NGROK_4018"] {
            let e = map(code);
            assert!(
                matches!(e, TunnelError::AuthtokenRejected { .. }),
                "{code}: {e:?}"
            );
            assert_eq!(e.retry(), Retry::Never);
            assert_eq!(e.code(), "authtoken_rejected");
            assert_eq!(e.ngrok_code(), Some(code));
            assert!(e.hint().contains(AUTHTOKEN_URL));
            assert!(e.hint().contains("local-only mode"));
        }
    }

    #[test]
    fn domain_codes_fail_without_retry_and_name_the_domain() {
        let e = map("ERR_NGROK_319");
        assert!(matches!(e, TunnelError::DomainNotReserved { .. }), "{e:?}");
        assert_eq!(e.retry(), Retry::Never);
        assert!(e.hint().contains("hooks.example.com"));
        assert!(e.hint().contains(DOMAINS_URL));
        assert!(e.to_string().contains("hooks.example.com"));
        let e = map("ERR_NGROK_320");
        assert!(
            matches!(e, TunnelError::DomainReservedElsewhere { .. }),
            "{e:?}"
        );
        assert_eq!(e.retry(), Retry::Never);
        assert!(e.hint().contains("another ngrok account"));
    }

    #[test]
    fn session_limit_and_busy_endpoint_retry_slowly() {
        let e = map("ERR_NGROK_108");
        assert!(matches!(e, TunnelError::SessionLimit { .. }), "{e:?}");
        assert_eq!(e.retry(), Retry::Slow);
        assert!(e.hint().contains("one agent session"));
        let e = map("ERR_NGROK_334");
        assert!(
            matches!(e, TunnelError::EndpointAlreadyOnline { .. }),
            "{e:?}"
        );
        assert_eq!(e.retry(), Retry::Slow);
    }

    #[test]
    fn unknown_codes_and_network_errors_retry_on_the_backoff() {
        let e = map("ERR_NGROK_9999");
        assert_eq!(e.retry(), Retry::Backoff);
        assert_eq!(e.ngrok_code(), Some("ERR_NGROK_9999"));
        assert!(e.hint().contains("err_ngrok_9999"));
        let e = TunnelError::from_code(None, "reset", None, None);
        assert_eq!(e.retry(), Retry::Backoff);
        let e = TunnelError::Network {
            message: "failed to lookup address".into(),
        };
        assert_eq!(e.retry(), Retry::Backoff);
        assert_eq!(e.code(), "network");
        assert!(e.hint().contains("internet connection"));
    }

    #[test]
    fn no_authtoken_fails_with_where_to_get_one() {
        let e = TunnelError::NoAuthtoken;
        assert_eq!(e.retry(), Retry::Never);
        assert!(e.hint().contains(AUTHTOKEN_URL));
        assert!(e.hint().contains("local-only mode"));
        assert!(e.hint().contains("set-ngrok-authtoken"));
    }

    #[test]
    fn the_authtoken_never_appears_in_a_message() {
        let e = TunnelError::from_code(
            Some("ERR_NGROK_107"),
            &format!("The authtoken you specified is invalid.\nYour authtoken: {TOKEN}"),
            None,
            Some(TOKEN),
        );
        let text = format!("{e} {e:?} {}", e.hint());
        assert!(!text.contains(TOKEN), "{text}");
        assert!(text.contains("…t123"), "{text}");
    }
}
