//! What a test configures before starting the fake edge: accepted authtokens,
//! reservable domains, session limits and proxy defaults.

use std::{net::SocketAddr, time::Duration};

/// Configuration for [`crate::FakeEdge::start`].
#[derive(Debug, Clone)]
pub struct EdgeOptions {
    /// Authtokens that authenticate. Any other token is refused (see [`crate::codes`]).
    pub authtokens: Vec<String>,
    /// Domains this "account" has reserved: binding one of them succeeds.
    /// `*.example.com` entries match any subdomain of `example.com`.
    pub allowed_domains: Vec<String>,
    /// Domains reserved by another account: binding one fails with `ERR_NGROK_320`
    /// (any other unreserved domain fails with `ERR_NGROK_319`).
    pub foreign_domains: Vec<String>,
    /// The account's static dev domain (as on ngrok's free plan). When set, an
    /// endpoint bound without a domain gets `https://<dev_domain>`; when `None`,
    /// each new tunnel gets `https://<random>.<random_domain_suffix>`.
    pub dev_domain: Option<String>,
    /// Suffix for random URLs, `ngrok-free.app` by default.
    pub random_domain_suffix: String,
    /// Simultaneous authenticated sessions allowed; the next one gets `ERR_NGROK_108`.
    /// `None` (default) means unlimited.
    pub max_sessions: Option<usize>,
    /// Account name reported in the `AuthResp` and used in error messages.
    pub account_name: String,
    /// `ClientAddr` written in the proxy header when a request does not set one;
    /// ngrok-rs reports it as `Conn::remote_addr()`. Default `127.0.0.9:45678`.
    pub default_client_addr: SocketAddr,
    /// Upper bound on one [`crate::FakeEdge::send`] round trip. Default 10 s.
    pub proxy_timeout: Duration,
}

impl EdgeOptions {
    /// Options accepting exactly one authtoken, no reserved domains, no session limit.
    pub fn new(authtoken: impl Into<String>) -> Self {
        EdgeOptions {
            authtokens: vec![authtoken.into()],
            allowed_domains: Vec::new(),
            foreign_domains: Vec::new(),
            dev_domain: None,
            random_domain_suffix: "ngrok-free.app".to_string(),
            max_sessions: None,
            account_name: "fake-account".to_string(),
            default_client_addr: SocketAddr::from(([127, 0, 0, 9], 45678)),
            proxy_timeout: Duration::from_secs(10),
        }
    }

    /// Accepts one more authtoken.
    pub fn authtoken(mut self, token: impl Into<String>) -> Self {
        self.authtokens.push(token.into());
        self
    }

    /// Reserves a domain for this account (`*.example.com` allowed).
    pub fn allow_domain(mut self, domain: impl Into<String>) -> Self {
        self.allowed_domains.push(domain.into());
        self
    }

    /// Marks a domain as reserved by another account (`ERR_NGROK_320`).
    pub fn foreign_domain(mut self, domain: impl Into<String>) -> Self {
        self.foreign_domains.push(domain.into());
        self
    }

    /// Gives the account a static dev domain used by endpoints bound without a domain.
    pub fn dev_domain(mut self, domain: impl Into<String>) -> Self {
        self.dev_domain = Some(domain.into());
        self
    }

    /// Limits simultaneous authenticated sessions (`ERR_NGROK_108` beyond it).
    pub fn max_sessions(mut self, max: usize) -> Self {
        self.max_sessions = Some(max);
        self
    }

    /// Sets the default `ClientAddr` of proxied connections.
    pub fn client_addr(mut self, addr: SocketAddr) -> Self {
        self.default_client_addr = addr;
        self
    }

    /// Sets the bound on one proxied HTTP round trip.
    pub fn proxy_timeout(mut self, timeout: Duration) -> Self {
        self.proxy_timeout = timeout;
        self
    }

    pub(crate) fn domain_matches(pattern: &str, domain: &str) -> bool {
        let pattern = pattern.to_ascii_lowercase();
        let domain = domain.to_ascii_lowercase();
        match pattern.strip_prefix("*.") {
            Some(parent) => domain
                .strip_suffix(parent)
                .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
            None => pattern == domain,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::EdgeOptions;

    #[test]
    fn wildcard_matches_subdomains_only() {
        assert!(EdgeOptions::domain_matches(
            "*.example.com",
            "a.example.com"
        ));
        assert!(EdgeOptions::domain_matches(
            "*.example.com",
            "a.b.example.com"
        ));
        assert!(!EdgeOptions::domain_matches("*.example.com", "example.com"));
        assert!(!EdgeOptions::domain_matches(
            "*.example.com",
            "aexample.com"
        ));
        assert!(EdgeOptions::domain_matches(
            "Hooks.Example.com",
            "hooks.example.com"
        ));
    }
}
