//! Edge → agent control streams: stopping one tunnel (`StopTunnel`) and the
//! dashboard commands Restart / Stop / Update.

use muxado::{
    MuxadoOpen,
    typed::{Typed, TypedOpenClose},
};
use serde_json::json;
use tokio::io::AsyncWriteExt;

use crate::{
    EdgeError,
    wire::{self, RESTART_REQ, STOP_REQ, STOP_TUNNEL_REQ, StopTunnel, UPDATE_REQ},
};

/// A dashboard command the edge can send to an agent session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentCommand {
    /// "Restart agent" (ngrok-rs: `SessionBuilder::handle_restart_command`).
    Restart,
    /// "Stop agent" (ngrok-rs: `SessionBuilder::handle_stop_command`).
    Stop,
    /// "Update agent" (ngrok-rs: `SessionBuilder::handle_update_command`).
    Update {
        /// Target version.
        version: String,
        /// Whether a new major version is acceptable.
        permit_major_version: bool,
    },
}

pub(crate) async fn stop_tunnel(
    mut open: Typed<MuxadoOpen>,
    tunnel_id: &str,
    message: &str,
    error_code: Option<&str>,
) -> Result<(), EdgeError> {
    let mut stream = open.open_typed(STOP_TUNNEL_REQ).await?;
    let body = serde_json::to_vec(&StopTunnel {
        client_id: tunnel_id.to_string(),
        message: message.to_string(),
        error_code: error_code.map(str::to_string),
    })?;
    stream.write_all(&body).await?;
    stream.shutdown().await?;
    Ok(())
}

/// Sends a command and returns the agent's `Error` (`None` = accepted).
pub(crate) async fn command(
    mut open: Typed<MuxadoOpen>,
    command: &AgentCommand,
) -> Result<Option<String>, EdgeError> {
    let (typ, body) = match command {
        AgentCommand::Restart => (RESTART_REQ, json!({})),
        AgentCommand::Stop => (STOP_REQ, json!({})),
        AgentCommand::Update {
            version,
            permit_major_version,
        } => (
            UPDATE_REQ,
            json!({ "Version": version, "PermitMajorVersion": permit_major_version }),
        ),
    };
    let mut stream = open.open_typed(typ).await?;
    stream.write_all(&serde_json::to_vec(&body)?).await?;
    let resp = wire::read_json(&mut *stream).await?;
    Ok(resp
        .get("Error")
        .and_then(|e| e.as_str())
        .filter(|e| !e.is_empty())
        .map(str::to_string))
}
