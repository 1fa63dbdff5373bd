//! The real ngrok error codes the fake edge answers with, so tests can assert on
//! `ngrok::Error::error_code()` exactly as they would against ngrok's cloud.
//!
//! Codes and message wording follow ngrok's public error reference
//! (`https://ngrok.com/docs/errors/err_ngrok_<n>`); see docs/fake-ngrok-edge.md.

/// "The authtoken you specified does not look like a proper ngrok authtoken."
/// Sent for an unknown token that has no `_` (real tokens are `<id>_<secret>`).
pub const AUTHTOKEN_MALFORMED: &str = "ERR_NGROK_105";
/// "The authtoken you specified is properly formed, but it is invalid."
/// Sent for an unknown token containing `_`, and for every token while
/// [`crate::FakeEdge::reject_all_auth`] is on (a revoked/reset token).
pub const AUTHTOKEN_INVALID: &str = "ERR_NGROK_107";
/// "Your account is limited to N simultaneous ngrok agent sessions."
pub const SESSION_LIMIT: &str = "ERR_NGROK_108";
/// "Usage of ngrok requires a verified account and authtoken." (empty authtoken)
pub const AUTHTOKEN_REQUIRED: &str = "ERR_NGROK_4018";
/// "You must reserve a custom hostname for your account before it can be used to create endpoints."
pub const DOMAIN_NOT_RESERVED: &str = "ERR_NGROK_319";
/// "This domain is reserved for another account."
pub const DOMAIN_RESERVED_ELSEWHERE: &str = "ERR_NGROK_320";
/// "The endpoint URL is already online."
pub const ENDPOINT_ALREADY_ONLINE: &str = "ERR_NGROK_334";
/// "The endpoint is offline." (an HTTP 404 page from the edge, not an RPC error)
pub const ENDPOINT_OFFLINE: &str = "ERR_NGROK_3200";

/// Shows only the start of a secret in error messages.
pub(crate) fn mask(secret: &str) -> String {
    let head: String = secret.chars().take(4).collect();
    format!("{head}…")
}

pub(crate) fn authtoken_malformed(token: &str) -> String {
    format!(
        "The authtoken you specified does not look like a proper ngrok authtoken.\n\
         Your authtoken: {}\n\
         Instructions to install your authtoken are on your ngrok dashboard:\n\
         https://dashboard.ngrok.com/get-started/your-authtoken",
        mask(token)
    )
}

pub(crate) fn authtoken_invalid(token: &str) -> String {
    format!(
        "The authtoken you specified is properly formed, but it is invalid.\n\
         Your authtoken: {}\n\
         Go to your ngrok dashboard and double check that your authtoken is correct:\n\
         https://dashboard.ngrok.com/get-started/your-authtoken",
        mask(token)
    )
}

pub(crate) fn authtoken_required() -> String {
    "Usage of ngrok requires a verified account and authtoken.\n\
     Sign up for an account: https://dashboard.ngrok.com/signup\n\
     Install your authtoken: https://dashboard.ngrok.com/get-started/your-authtoken"
        .to_string()
}

pub(crate) fn session_limit(max: usize) -> String {
    format!(
        "Your account is limited to {max} simultaneous ngrok agent sessions.\n\
         You can view your current agent sessions in the dashboard: https://dashboard.ngrok.com/agents"
    )
}

pub(crate) fn domain_not_reserved(domain: &str, account: &str) -> String {
    format!(
        "You must reserve a custom hostname for your account before it can be used to create endpoints.\n\
         Failed to create an endpoint with the domain {domain} for the account {account}.\n\
         Reserve this name on your dashboard: https://dashboard.ngrok.com/domains/new"
    )
}

pub(crate) fn domain_reserved_elsewhere(domain: &str, account: &str) -> String {
    format!(
        "This domain is reserved for another account.\n\
         Failed to create an endpoint with the domain {domain} for the account {account}."
    )
}

pub(crate) fn endpoint_already_online(url: &str) -> String {
    format!(
        "The endpoint {url} is already online. Either\n\
         1. stop your existing endpoint first, or\n\
         2. start both endpoints with `--pooling-enabled` to load balance between them."
    )
}
