//! The one error type of the fake edge's test-facing API.

use std::{io, time::Duration};

/// Why an edge-initiated action (proxying, stopping a tunnel, a command) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EdgeError {
    /// No live tunnel matches the URL, host or tunnel id given.
    #[error("no tunnel is bound at {0}")]
    UnknownTunnel(String),
    /// No authenticated agent session is connected.
    #[error("no authenticated agent session is connected")]
    NoSession,
    /// Opening a muxado stream to the agent failed (the session is gone).
    #[error("opening a stream to the agent failed: {0}")]
    Mux(#[from] muxado::Error),
    /// Reading or writing the stream failed.
    #[error("stream I/O failed: {0}")]
    Io(#[from] io::Error),
    /// The agent's bytes were not a valid HTTP/1.1 response.
    #[error("invalid HTTP response from the agent: {0}")]
    BadResponse(String),
    /// The agent closed the stream before a complete response.
    #[error("incomplete HTTP response: {0}")]
    IncompleteResponse(String),
    /// The round trip took longer than allowed.
    #[error("no answer from the agent within {0:?}")]
    Timeout(Duration),
    /// A JSON body could not be encoded or decoded.
    #[error("JSON error: {0}")]
    Json(#[from] serde_json::Error),
}
