//! What a command can fail with, printed as a message and a hint, never a panic.

use hooklab_core::client::SendError;
use hooklab_core::error_body::Coded;
use hooklab_core::replay::ReplayError;
use hooklab_core::runtime::RuntimeError;
use hooklab_core::secret::SecretError;
use hooklab_core::settings::SettingsError;
use hooklab_core::store::StoreError;
use hooklab_core::test_event::TestSendError;

/// A command's failure.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Settings file problem.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// A secret that does not parse.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// Database problem.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Starting the receiver failed.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// A resend could not be made.
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// Nothing answered a send.
    #[error(transparent)]
    Send(#[from] SendError),
    /// A fixture that is not an event, or a test send asked for something it cannot do.
    #[error(transparent)]
    TestSend(#[from] TestSendError),
    /// Anything the user can fix by changing the command.
    #[error("{message}")]
    Usage {
        /// What is wrong.
        message: String,
        /// What to do.
        hint: Option<String>,
    },
    /// An I/O failure (binding a port, reading a file).
    #[error("{0}")]
    Io(String),
    /// The command ran, but what it checked is not right (a send answered non-2xx, a
    /// benchmark found wrong users). With `--json`, the command's own document says so and
    /// nothing more is printed.
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    /// A usage error with a hint.
    pub fn usage(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::Usage {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    /// What to do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::Secret(e) => Some(e.hint().to_owned()),
            Self::Runtime(e) => Coded::hint(e),
            Self::Replay(e) => Coded::hint(e),
            Self::TestSend(e) => Coded::hint(e),
            Self::Store(e) => e.hint().map(str::to_owned),
            Self::Send(SendError::Unreachable { .. }) => {
                Some("Is the receiver running? Start it with `hooklab serve`, or pass --to.".into())
            }
            Self::Usage { hint, .. } => hint.clone(),
            _ => None,
        }
    }
}
