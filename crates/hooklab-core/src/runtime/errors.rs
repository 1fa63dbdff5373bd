//! What starting the runtime or changing its settings can fail with.

use crate::error_body::Coded;
use crate::secret::SecretError;
use crate::settings::{FieldError, SettingsError};
use crate::store::StoreError;

/// A runtime failure; the running parts stay as they were.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The settings file could not be read or written.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// A configured secret does not parse.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The database could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A setting was refused.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// The port is taken.
    #[error("port {port} is already in use")]
    PortInUse {
        /// The port.
        port: u16,
    },
    /// Listening failed otherwise.
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Listen {
        /// The port.
        port: u16,
        /// The OS error.
        source: std::io::Error,
    },
}

impl RuntimeError {
    pub(crate) fn listen(port: u16, e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            Self::PortInUse { port }
        } else {
            Self::Listen { port, source: e }
        }
    }
}

impl Coded for RuntimeError {
    fn code(&self) -> &'static str {
        match self {
            Self::Settings(e) => e.code(),
            Self::Secret(e) => Coded::code(e),
            Self::Store(e) => e.code(),
            Self::Field(e) => e.code,
            Self::PortInUse { .. } => "port_in_use",
            Self::Listen { .. } => "listen_failed",
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            Self::Settings(e) => Some(e.hint()),
            Self::Secret(e) => Coded::hint(e),
            Self::Store(e) => e.hint().map(str::to_owned),
            Self::Field(e) => Some(e.hint.clone()),
            Self::PortInUse { port } => Some(format!(
                "Another Hooklab (or another program) is listening on {port}; stop it or \
                 choose another port. The receiver keeps its current port meanwhile."
            )),
            Self::Listen { .. } => Some("Choose another port.".into()),
        }
    }

    fn field(&self) -> Option<&'static str> {
        match self {
            Self::Field(e) => Some(e.field),
            Self::Secret(_) => Some("secret"),
            Self::PortInUse { .. } | Self::Listen { .. } => Some("port"),
            _ => None,
        }
    }
}
