//! The one shape every error takes on its way to a person: a stable `code` the UI branches on,
//! the `message`, and a `hint` saying what to do (and, for a refused setting, the `field`).

use serde::Serialize;

use crate::client::SendError;
use crate::fixtures::TemplateError;
use crate::secret::SecretError;
use crate::settings::{FieldError, SettingsError};
use crate::store::StoreError;
use crate::tunnel::TunnelError;

/// An error as the UI and `--json` output show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ErrorBody {
    /// A stable code (`invalid_secret`, `port_in_use`, `db_busy`, …).
    pub code: String,
    /// What went wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// For a refused setting: the field it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub field: Option<String>,
}

/// An error that knows its code and hint.
pub trait Coded: std::error::Error {
    /// A stable code.
    fn code(&self) -> &'static str;
    /// What to do about it.
    fn hint(&self) -> Option<String>;
    /// The setting it belongs to, if it is a refused setting.
    fn field(&self) -> Option<&'static str> {
        None
    }
}

impl ErrorBody {
    /// The shape of any coded error.
    pub fn of(e: &(impl Coded + ?Sized)) -> Self {
        Self {
            code: e.code().to_owned(),
            message: e.to_string(),
            hint: e.hint(),
            field: e.field().map(str::to_owned),
        }
    }
}

impl Coded for StoreError {
    fn code(&self) -> &'static str {
        StoreError::code(self)
    }
    fn hint(&self) -> Option<String> {
        StoreError::hint(self).map(str::to_owned)
    }
}

impl Coded for SettingsError {
    fn code(&self) -> &'static str {
        SettingsError::code(self)
    }
    fn hint(&self) -> Option<String> {
        Some(SettingsError::hint(self))
    }
}

impl Coded for SecretError {
    fn code(&self) -> &'static str {
        "invalid_secret"
    }
    fn hint(&self) -> Option<String> {
        Some(SecretError::hint(self).to_owned())
    }
    fn field(&self) -> Option<&'static str> {
        Some("secret")
    }
}

impl Coded for FieldError {
    fn code(&self) -> &'static str {
        self.code
    }
    fn hint(&self) -> Option<String> {
        Some(self.hint.clone())
    }
    fn field(&self) -> Option<&'static str> {
        Some(self.field)
    }
}

impl Coded for SendError {
    fn code(&self) -> &'static str {
        match self {
            Self::BadUrl(_) => "bad_url",
            Self::Unreachable { .. } => "unreachable",
            Self::Timeout { .. } => "timeout",
        }
    }
    fn hint(&self) -> Option<String> {
        match self {
            Self::BadUrl(_) => {
                Some("Use a full URL such as http://127.0.0.1:8787/api/webhooks/clerk.".into())
            }
            Self::Unreachable { .. } => Some("Is the receiver running at that address?".into()),
            Self::Timeout { .. } => Some(
                "The other side accepted the connection but did not answer; Svix gives up after \
                 about 15 s too."
                    .into(),
            ),
        }
    }
}

impl Coded for TunnelError {
    fn code(&self) -> &'static str {
        TunnelError::code(self)
    }
    fn hint(&self) -> Option<String> {
        Some(TunnelError::hint(self))
    }
}

impl Coded for TemplateError {
    fn code(&self) -> &'static str {
        "invalid_event"
    }
    fn hint(&self) -> Option<String> {
        Some("A test event needs a JSON object with `type` and a `data` object.".into())
    }
    fn field(&self) -> Option<&'static str> {
        Some("fixture_json")
    }
}
