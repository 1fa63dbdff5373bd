//! A small HTTP(S) client for sending signed deliveries (`send`, resend, the benchmark) and
//! reporting how the other side answered.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Serialize;

/// How long one request may take.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// A request that got no answer.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The URL does not parse.
    #[error("{0} is not a valid URL")]
    BadUrl(String),
    /// Nothing answered (refused, DNS, TLS, reset).
    #[error("could not reach {url}: {message}")]
    Unreachable {
        /// The target.
        url: String,
        /// The underlying error.
        message: String,
    },
    /// No answer within the timeout.
    #[error("{url} did not answer within {TIMEOUT:?}")]
    Timeout {
        /// The target.
        url: String,
    },
}

/// A URL a user typed to send to, checked: `127.0.0.1:8787/…` becomes `http://127.0.0.1:8787/…`
/// (typed without its scheme); anything but an http(s) URL with a host is refused.
pub fn typed_url(typed: &str) -> Result<String, SendError> {
    let typed = typed.trim();
    let url = if typed.contains("://") {
        typed.to_owned()
    } else {
        format!("http://{typed}")
    };
    let web = url.parse::<http::Uri>().is_ok_and(|uri| {
        matches!(uri.scheme_str(), Some("http" | "https"))
            && uri.host().is_some_and(|h| !h.is_empty())
    });
    if web {
        Ok(url)
    } else {
        Err(SendError::BadUrl(typed.to_owned()))
    }
}

/// How the other side answered.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HttpReply {
    /// Status code.
    pub status: u16,
    /// Response headers.
    #[serde(skip)]
    pub headers: HeaderMap,
    /// Response body as text (lossy).
    pub body: String,
    /// Time to the full response.
    pub elapsed_ms: f64,
}

/// A reusable client (cheap to clone).
#[derive(Clone, Debug)]
pub struct HttpClient {
    inner: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl Default for HttpClient {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpClient {
    /// Builds a client with keep-alive.
    pub fn new() -> Self {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let https = match HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(provider.clone())
        {
            Ok(builder) => builder,
            Err(e) => {
                // No system certificates (no ca-certificates package): plain HTTP still works,
                // and an HTTPS request fails saying its certificate is not trusted.
                tracing::warn!(error = %e, "no root certificates found: HTTPS targets will fail");
                let config = rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .map(|b| {
                        b.with_root_certificates(rustls::RootCertStore::empty())
                            .with_no_client_auth()
                    });
                match config {
                    Ok(config) => HttpsConnectorBuilder::new().with_tls_config(config),
                    Err(e) => panic!("aws-lc-rs supports rustls's default protocol versions: {e}"),
                }
            }
        };
        let https = https.https_or_http().enable_http1().wrap_connector(http);
        Self {
            inner: Client::builder(TokioExecutor::new()).build(https),
        }
    }

    /// POSTs `body` with `headers` to `url`.
    pub async fn post(
        &self,
        url: &str,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<HttpReply, SendError> {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(url)
            .body(Full::new(body))
            .map_err(|_| SendError::BadUrl(url.to_owned()))?;
        request.headers_mut().extend(headers.clone());
        let started = Instant::now();
        let exchange = async {
            let response = self.inner.request(request).await?;
            let (parts, body) = response.into_parts();
            let body = body.collect().await?.to_bytes();
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>((parts, body))
        };
        let (parts, body) = tokio::time::timeout(TIMEOUT, exchange)
            .await
            .map_err(|_| SendError::Timeout {
                url: url.to_owned(),
            })?
            .map_err(|e| SendError::Unreachable {
                url: url.to_owned(),
                message: error_chain(&*e),
            })?;
        Ok(HttpReply {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: String::from_utf8_lossy(&body).into_owned(),
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }
}

/// An error and its causes on one line ("connection refused" is usually at the bottom).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
