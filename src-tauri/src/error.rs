//! Every command's failure as the UI gets it: `{ code, message, hint, field }`, never a bare
//! string, so the UI branches on `code` and shows a refused setting beside its field.

use hooklab_core::error_body::{Coded, ErrorBody};
use serde::Serialize;

/// A command's error.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct CommandError(ErrorBody);

impl<E: Coded> From<E> for CommandError {
    fn from(e: E) -> Self {
        Self(ErrorBody::of(&e))
    }
}

/// A command's result.
pub type CommandResult<T> = Result<T, CommandError>;

impl CommandError {
    /// Sending through the public URL while the tunnel is not online.
    pub fn offline() -> Self {
        Self(ErrorBody {
            code: "tunnel_offline".into(),
            message: "the tunnel is not online, so there is no public URL to send through".into(),
            hint: Some(
                "Add an ngrok authtoken in Settings, or send to the local URL instead.".into(),
            ),
            field: None,
        })
    }
}
