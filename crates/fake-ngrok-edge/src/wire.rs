//! The agent protocol as the edge sees it: stream type ids, RPC bodies and the proxy header,
//! mirrored from ngrok 0.19.0 `src/internals/proto.rs` (field names are the Go-style wire names).

use muxado::typed::StreamType;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt};

/// Agent → edge: authenticate the session (`Auth` / `AuthResp`).
pub const AUTH_REQ: StreamType = StreamType::clamp(0);
/// Agent → edge: bind an endpoint (`Bind` / `BindResp`).
pub const BIND_REQ: StreamType = StreamType::clamp(1);
/// Agent → edge: release an endpoint (`Unbind` / `UnbindResp`).
pub const UNBIND_REQ: StreamType = StreamType::clamp(2);
/// Edge → agent: one proxied connection, prefixed by a [`ProxyHeader`].
pub const PROXY_REQ: StreamType = StreamType::clamp(3);
/// Edge → agent: dashboard "restart agent" command.
pub const RESTART_REQ: StreamType = StreamType::clamp(4);
/// Edge → agent: dashboard "stop agent" command.
pub const STOP_REQ: StreamType = StreamType::clamp(5);
/// Edge → agent: dashboard "update agent" command.
pub const UPDATE_REQ: StreamType = StreamType::clamp(6);
/// Agent → edge: start a labeled tunnel (not supported by the fake).
pub const BIND_LABELED_REQ: StreamType = StreamType::clamp(7);
/// Edge → agent: the edge closed one tunnel (`StopTunnel`, no reply).
pub const STOP_TUNNEL_REQ: StreamType = StreamType::clamp(9);
/// Either side: muxado heartbeat stream (4-byte ids echoed back).
pub const HEARTBEAT: StreamType = StreamType::clamp(u32::MAX);

/// Largest RPC body the fake reads before giving up on a stream.
pub(crate) const MAX_RPC_BYTES: usize = 1 << 20;

/// The `Auth` request (agent → edge).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct Auth {
    pub version: Vec<String>,
    pub client_id: String,
    pub extra: AuthExtra,
}

/// The parts of `AuthExtra` the fake looks at; the rest is ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct AuthExtra {
    pub auth_token: String,
    pub version: String,
    pub client_type: String,
    pub user_agent: String,
    pub metadata: String,
    pub heartbeat_interval: i64,
    pub heartbeat_tolerance: i64,
}

/// `AuthResp` (edge → agent). `Error` non-empty means failure.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AuthResp {
    pub version: String,
    pub client_id: String,
    pub extra: AuthRespExtra,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub error: String,
}

/// `AuthRespExtra`; every field is an `Option` on the client side.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AuthRespExtra {
    pub version: Option<String>,
    pub region: Option<String>,
    pub cookie: Option<String>,
    pub account_name: Option<String>,
    pub session_duration: Option<i64>,
    pub plan_name: Option<String>,
    pub banner: Option<String>,
}

/// The `Bind` request (agent → edge). `Opts` is kept raw and echoed back.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct Bind {
    /// Empty for a new tunnel; the old tunnel id when ngrok-rs rebinds after a reconnect.
    #[serde(rename = "Id")]
    pub client_id: String,
    pub proto: String,
    pub forwards_to: String,
    pub forwards_proto: String,
    pub opts: Value,
    pub extra: BindExtra,
}

/// The parts of `BindExtra` the fake looks at.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct BindExtra {
    pub metadata: String,
    #[serde(rename = "PoolingEnabled")]
    pub pooling_enabled: bool,
}

/// `BindResp` (edge → agent).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct BindResp {
    #[serde(rename = "Id")]
    pub client_id: String,
    #[serde(rename = "URL")]
    pub url: String,
    pub proto: String,
    pub opts: Value,
    pub extra: BindRespExtra,
}

/// `BindRespExtra`: `Token` is required by the client's deserializer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct BindRespExtra {
    pub token: String,
}

/// The `Unbind` request (agent → edge); the reply is `{}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct Unbind {
    #[serde(rename = "Id")]
    pub client_id: String,
}

/// The header the edge writes at the start of every proxy stream
/// (little-endian i64 length, then this JSON).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ProxyHeader {
    pub id: String,
    pub client_addr: String,
    pub proto: String,
    /// "0" undefined, "1" tcp, "2" tls, "3" https; only read for labeled (edge) tunnels.
    pub edge_type: String,
    #[serde(rename = "PassthroughTLS")]
    pub passthrough_tls: bool,
}

impl ProxyHeader {
    /// The exact bytes ngrok-rs' `ProxyHeader::read_from_stream` expects.
    pub(crate) fn encode(&self) -> Result<Vec<u8>, serde_json::Error> {
        let json = serde_json::to_vec(self)?;
        let len = i64::try_from(json.len()).unwrap_or(i64::MAX);
        let mut out = Vec::with_capacity(8 + json.len());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&json);
        Ok(out)
    }
}

/// `StopTunnel` (edge → agent): the agent closes that tunnel with
/// `AcceptError::ListenerClosed { message, error_code }` and does not reply.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct StopTunnel {
    #[serde(rename = "Id")]
    pub client_id: String,
    pub message: String,
    pub error_code: Option<String>,
}

/// The `Error` string of a failed RPC: the message, then the code on a line of its
/// own (ngrok-rs' `ErrResp::from` takes any line starting with `ERR_NGROK_` as the code).
pub(crate) fn error_text(message: &str, code: Option<&str>) -> String {
    match code {
        Some(code) => format!("{message}\n\n{code}\n"),
        None => message.to_string(),
    }
}

/// An RPC failure body: the client only reads `Error`.
pub(crate) fn error_body(message: &str, code: Option<&str>) -> Value {
    serde_json::json!({ "Error": error_text(message, code) })
}

/// Reads one JSON value from a stream whose writer does not half-close after
/// the request (ngrok-rs writes the body and then waits for the reply).
pub(crate) async fn read_json<R: AsyncRead + Unpin>(stream: &mut R) -> std::io::Result<Value> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "stream ended before a complete JSON value",
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Ok(value) = serde_json::from_slice::<Value>(&buf) {
            return Ok(value);
        }
        if buf.len() > MAX_RPC_BYTES {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "RPC body too large",
            ));
        }
    }
}
