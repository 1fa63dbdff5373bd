//! Where a load goes: an in-process receiver's loopback address, or a URL (plain
//! `http://host:port/path`, nothing more) parsed and resolved.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;

/// How long one connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A receiver to drive.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Where to connect: every address the host resolved to, tried in order (`localhost` is
    /// often `::1` first, and many dev servers listen on 127.0.0.1 only).
    pub addrs: Vec<SocketAddr>,
    /// `host:port` as given, for the Host header.
    pub authority: String,
    /// The webhook path (with any query).
    pub path: String,
}

impl Endpoint {
    /// The in-process receiver.
    pub fn loopback(addr: SocketAddr, path: &str) -> Self {
        Self {
            addrs: vec![addr],
            authority: addr.to_string(),
            path: path.to_owned(),
        }
    }

    /// Parses `target` and resolves its host; an error says what is wrong with it.
    pub async fn resolve(target: &str) -> Result<Self, String> {
        let (authority, path) = split(target)?;
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host(authority.as_str())
            .await
            .map_err(|e| format!("cannot resolve {authority}: {e}"))?
            .collect();
        if addrs.is_empty() {
            return Err(format!("{authority} resolves to no address"));
        }
        Ok(Self {
            addrs,
            authority,
            path,
        })
    }

    /// A connection to the first address that takes one, each tried for at most 5 s; the
    /// error names the URL and why the last one failed.
    pub async fn connect(&self) -> Result<TcpStream, String> {
        let mut last = "no address".to_owned();
        for addr in &self.addrs {
            match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => return Ok(stream),
                Ok(Err(e)) => last = e.to_string(),
                Err(_) => last = format!("no answer in {} s", CONNECT_TIMEOUT.as_secs()),
            }
        }
        Err(format!("{}: {last}", self.url()))
    }

    /// The URL requests go to.
    pub fn url(&self) -> String {
        format!("http://{}{}", self.authority, self.path)
    }
}

/// `http://host:port/path` (the scheme may be left out) into `host:port` and `/path`.
fn split(target: &str) -> Result<(String, String), String> {
    let target = target.trim();
    let rest = match target.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
        Some((scheme, _)) => {
            return Err(format!(
                "only plain http:// is supported, not {scheme}:// (drive the receiver \
                 directly, not through a tunnel or proxy)"
            ));
        }
        None => target,
    };
    let Some(slash) = rest.find('/') else {
        return Err("the webhook path is missing".to_owned());
    };
    let (authority, path) = rest.split_at(slash);
    if authority.is_empty() {
        return Err("the host is missing".to_owned());
    }
    if authority.contains('@') {
        return Err("user names and passwords are not supported".to_owned());
    }
    let Some((host, port)) = authority
        .rsplit_once(':')
        .filter(|_| !authority.ends_with(']'))
    else {
        return Err("the port is missing".to_owned());
    };
    if host.is_empty() {
        return Err("the host is missing".to_owned());
    }
    if !matches!(port.parse::<u16>(), Ok(p) if p > 0) {
        return Err(format!("{authority} has no valid port"));
    }
    if path.contains('#') || path.parse::<http::uri::PathAndQuery>().is_err() {
        return Err(format!("{path} is not a valid path"));
    }
    Ok((authority.to_owned(), path.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::{Endpoint, split};

    #[tokio::test]
    async fn connects_to_the_first_address_that_answers() {
        // Bound and dropped: nothing listens there now.
        let closed = {
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
        };
        let open = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut endpoint = Endpoint::loopback(closed, "/hook");
        assert!(endpoint.connect().await.unwrap_err().contains("/hook"));
        endpoint.addrs.push(open.local_addr().unwrap());
        assert!(
            endpoint.connect().await.is_ok(),
            "like `localhost` on ::1, then 127.0.0.1"
        );
    }

    #[test]
    fn accepts_http_urls_with_or_without_the_scheme() {
        let want = (
            "127.0.0.1:8787".to_owned(),
            "/api/webhooks/clerk".to_owned(),
        );
        assert_eq!(
            split("http://127.0.0.1:8787/api/webhooks/clerk").unwrap(),
            want
        );
        assert_eq!(
            split("HTTP://127.0.0.1:8787/api/webhooks/clerk").unwrap(),
            want
        );
        assert_eq!(split("127.0.0.1:8787/api/webhooks/clerk").unwrap(), want);
        assert_eq!(
            split("localhost:80/hook?x=1").unwrap(),
            ("localhost:80".to_owned(), "/hook?x=1".to_owned())
        );
        assert_eq!(
            split("http://[::1]:8787/").unwrap(),
            ("[::1]:8787".to_owned(), "/".to_owned())
        );
    }

    #[test]
    fn says_what_is_wrong_with_anything_else() {
        let cases = [
            ("https://example.com:443/hook", "only plain http://"),
            ("http://127.0.0.1:8787", "path is missing"),
            ("http://127.0.0.1/hook", "port is missing"),
            ("http://[::1]/hook", "port is missing"),
            ("http://:8787/hook", "host is missing"),
            ("http:///hook", "host is missing"),
            ("http://h:0/hook", "no valid port"),
            ("http://h:99999/hook", "no valid port"),
            ("http://h:x/hook", "no valid port"),
            ("http://u:p@h:1/hook", "user names"),
            ("http://h:1/hook#top", "not a valid path"),
            ("http://h:1/a b", "not a valid path"),
        ];
        for (target, want) in cases {
            let got = split(target).unwrap_err();
            assert!(got.contains(want), "{target}: {got}");
        }
    }
}
