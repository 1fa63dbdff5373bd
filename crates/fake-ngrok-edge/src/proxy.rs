//! Edge → agent traffic: proxy streams carrying one visitor connection (with the
//! ProxyHeader ngrok-rs reads first), and a small HTTP/1.1 client on top of them
//! for "a webhook arrives at the public URL" in tests.

use std::{
    io,
    net::SocketAddr,
    pin::Pin,
    task::{Context, Poll},
};

use muxado::typed::TypedStream;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

use crate::EdgeError;

/// A raw connection from a "visitor" to the agent through one proxy stream.
/// The ProxyHeader has already been written; what you write now is what the
/// agent's `Conn` reads.
pub struct ProxyStream {
    pub(crate) inner: TypedStream,
    pub(crate) tunnel_id: String,
}

impl std::fmt::Debug for ProxyStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyStream")
            .field("tunnel_id", &self.tunnel_id)
            .finish()
    }
}

impl ProxyStream {
    /// The tunnel this stream was opened to.
    pub fn tunnel_id(&self) -> &str {
        &self.tunnel_id
    }
}

impl AsyncRead for ProxyStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ProxyStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.inner).poll_shutdown(cx)
    }
}

/// An HTTP/1.1 request the edge sends to a tunnel as a visitor would.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    /// Method, e.g. `POST`.
    pub method: String,
    /// Request target, e.g. `/webhooks/clerk?x=1`.
    pub path: String,
    /// Headers in order. `Host`, `Content-Length`, `Connection: close` and the
    /// `X-Forwarded-*` headers are added unless present.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
    /// `ClientAddr` for the proxy header; the edge default when `None`.
    pub client_addr: Option<SocketAddr>,
}

impl HttpRequest {
    /// A request with no headers or body.
    pub fn new(method: impl Into<String>, path: impl Into<String>) -> Self {
        HttpRequest {
            method: method.into(),
            path: path.into(),
            headers: Vec::new(),
            body: Vec::new(),
            client_addr: None,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets the visitor address the agent will see as `remote_addr()`.
    pub fn client_addr(mut self, addr: SocketAddr) -> Self {
        self.client_addr = Some(addr);
        self
    }

    fn has_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
    }

    /// The bytes on the wire (always `Connection: close`).
    pub(crate) fn encode(&self, host: &str, scheme: &str, client_addr: SocketAddr) -> Vec<u8> {
        let mut head = format!("{} {} HTTP/1.1\r\n", self.method, self.path);
        let mut add = |name: &str, value: &str| {
            head.push_str(name);
            head.push_str(": ");
            head.push_str(value);
            head.push_str("\r\n");
        };
        if !self.has_header("host") {
            add("Host", host);
        }
        for (name, value) in &self.headers {
            if !name.eq_ignore_ascii_case("connection") {
                add(name, value);
            }
        }
        if !self.has_header("x-forwarded-for") {
            add("X-Forwarded-For", &client_addr.ip().to_string());
        }
        if !self.has_header("x-forwarded-host") {
            add("X-Forwarded-Host", host);
        }
        if !self.has_header("x-forwarded-proto") {
            add("X-Forwarded-Proto", scheme);
        }
        if !self.has_header("content-length") && !self.has_header("transfer-encoding") {
            let method = self.method.to_ascii_uppercase();
            if !self.body.is_empty() || matches!(method.as_str(), "POST" | "PUT" | "PATCH") {
                add("Content-Length", &self.body.len().to_string());
            }
        }
        add("Connection", "close");
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(&self.body);
        out
    }
}

/// A parsed HTTP/1.1 response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Reason phrase.
    pub reason: String,
    /// Headers in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// Body (de-chunked).
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// First header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Body as UTF-8 (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `ngrok-error-code` header: set when the edge itself answered
    /// (e.g. `ERR_NGROK_3200` for an offline endpoint), absent when the agent did.
    pub fn ngrok_error_code(&self) -> Option<&str> {
        self.header("ngrok-error-code")
    }

    /// The page the edge serves for a URL no agent has bound (HTTP 404, `ERR_NGROK_3200`).
    pub(crate) fn endpoint_offline(host: &str) -> Self {
        let body = format!(
            "The endpoint {host} is offline.\n\n{}\n",
            crate::codes::ENDPOINT_OFFLINE
        );
        HttpResponse {
            status: 404,
            reason: "Not Found".to_string(),
            headers: vec![
                (
                    "Content-Type".to_string(),
                    "text/plain; charset=utf-8".to_string(),
                ),
                ("Content-Length".to_string(), body.len().to_string()),
                (
                    "ngrok-error-code".to_string(),
                    crate::codes::ENDPOINT_OFFLINE.to_string(),
                ),
            ],
            body: body.into_bytes(),
        }
    }
}

/// Sends `request` on `stream` and reads one response.
pub(crate) async fn round_trip(
    stream: &mut ProxyStream,
    request: &HttpRequest,
    host: &str,
    scheme: &str,
    client_addr: SocketAddr,
) -> Result<HttpResponse, EdgeError> {
    stream
        .write_all(&request.encode(host, scheme, client_addr))
        .await?;
    stream.flush().await?;
    let head_request = request.method.eq_ignore_ascii_case("HEAD");
    let mut reader = Reader {
        stream,
        buf: Vec::new(),
    };
    loop {
        let head = reader.read_head().await?;
        let (status, reason, headers) = parse_head(&head)?;
        if (100..200).contains(&status) && status != 101 {
            continue; // interim response (e.g. 100 Continue)
        }
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim().to_string())
        };
        let body = if head_request || status == 204 || status == 304 {
            Vec::new()
        } else if header("transfer-encoding")
            .is_some_and(|te| te.to_ascii_lowercase().ends_with("chunked"))
        {
            reader.read_chunked().await?
        } else if let Some(len) = header("content-length") {
            let len = len
                .parse::<usize>()
                .map_err(|_| EdgeError::BadResponse(format!("bad Content-Length {len:?}")))?;
            reader.read_exact(len).await?
        } else {
            reader.read_to_end().await?
        };
        return Ok(HttpResponse {
            status,
            reason,
            headers,
            body,
        });
    }
}

type Head = (u16, String, Vec<(String, String)>);

fn parse_head(head: &[u8]) -> Result<Head, EdgeError> {
    let text = std::str::from_utf8(head)
        .map_err(|_| EdgeError::BadResponse("non-UTF-8 response head".into()))?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(EdgeError::BadResponse(format!(
            "bad status line {status_line:?}"
        )));
    }
    let status = parts
        .next()
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| EdgeError::BadResponse(format!("bad status line {status_line:?}")))?;
    let reason = parts.next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| EdgeError::BadResponse(format!("bad header line {line:?}")))?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    Ok((status, reason, headers))
}

/// Buffered reads over the proxy stream.
struct Reader<'a> {
    stream: &'a mut ProxyStream,
    buf: Vec<u8>,
}

impl Reader<'_> {
    async fn fill(&mut self) -> Result<bool, EdgeError> {
        let mut chunk = [0u8; 8192];
        let n = self.stream.read(&mut chunk).await?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n > 0)
    }

    fn eof(&self, what: &str) -> EdgeError {
        EdgeError::IncompleteResponse(format!("the agent closed the stream during the {what}"))
    }

    /// Bytes up to and excluding the first `\r\n\r\n`.
    async fn read_head(&mut self) -> Result<Vec<u8>, EdgeError> {
        loop {
            if let Some(pos) = find(&self.buf, b"\r\n\r\n") {
                let head = self.buf[..pos].to_vec();
                self.buf.drain(..pos + 4);
                return Ok(head);
            }
            if !self.fill().await? {
                return Err(self.eof("response head"));
            }
        }
    }

    async fn read_line(&mut self) -> Result<Vec<u8>, EdgeError> {
        loop {
            if let Some(pos) = find(&self.buf, b"\r\n") {
                let line = self.buf[..pos].to_vec();
                self.buf.drain(..pos + 2);
                return Ok(line);
            }
            if !self.fill().await? {
                return Err(self.eof("chunked body"));
            }
        }
    }

    async fn read_exact(&mut self, len: usize) -> Result<Vec<u8>, EdgeError> {
        while self.buf.len() < len {
            if !self.fill().await? {
                return Err(self.eof("body"));
            }
        }
        Ok(self.buf.drain(..len).collect())
    }

    async fn read_to_end(&mut self) -> Result<Vec<u8>, EdgeError> {
        while self.fill().await? {}
        Ok(std::mem::take(&mut self.buf))
    }

    async fn read_chunked(&mut self) -> Result<Vec<u8>, EdgeError> {
        let mut body = Vec::new();
        loop {
            let line = self.read_line().await?;
            let line = String::from_utf8_lossy(&line);
            let size = line.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size, 16)
                .map_err(|_| EdgeError::BadResponse(format!("bad chunk size {size:?}")))?;
            if size == 0 {
                // trailers, up to the empty line
                while !self.read_line().await?.is_empty() {}
                return Ok(body);
            }
            body.extend(self.read_exact(size).await?);
            self.read_line().await?;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::{HttpRequest, parse_head};

    #[test]
    fn request_gets_host_length_and_close() {
        let req = HttpRequest::new("POST", "/hook")
            .header("Content-Type", "application/json")
            .body("{}");
        let bytes = req.encode("abc.ngrok-free.app", "https", ([127, 0, 0, 9], 1).into());
        let text = String::from_utf8(bytes).unwrap_or_default();
        assert!(text.starts_with("POST /hook HTTP/1.1\r\nHost: abc.ngrok-free.app\r\n"));
        assert!(text.contains("Content-Length: 2\r\n"));
        assert!(text.contains("X-Forwarded-For: 127.0.0.9\r\n"));
        assert!(text.ends_with("Connection: close\r\n\r\n{}"));
    }

    #[test]
    fn head_parses() {
        let parsed = parse_head(b"HTTP/1.1 201 Created\r\ncontent-length: 3\r\nX-A: b").ok();
        let (status, reason, headers) = parsed.unwrap_or_default();
        assert_eq!(status, 201);
        assert_eq!(reason, "Created");
        assert_eq!(headers[1], ("X-A".to_string(), "b".to_string()));
    }
}
