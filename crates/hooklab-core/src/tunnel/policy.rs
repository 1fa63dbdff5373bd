//! The optional ngrok traffic policy that verifies Clerk's Svix signature at the edge, so forged
//! requests never reach Hooklab. Off by default: see docs/tunnel.md.

use serde_json::json;

/// ngrok's provider name for Clerk webhooks.
pub const CLERK_PROVIDER: &str = "clerk";

/// A traffic policy (JSON, which ngrok accepts as well as YAML) with one `verify-webhook` action
/// on every inbound HTTP request, checking Clerk signatures with `secret` (`whsec_…`).
/// It holds the secret in full: never print or log it.
pub fn verify_webhook_policy(secret: &str) -> String {
    json!({
        "on_http_request": [{
            "actions": [{
                "type": "verify-webhook",
                "config": { "provider": CLERK_PROVIDER, "secret": secret },
            }],
        }],
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_verifies_clerk_signatures_with_the_current_secret() {
        let policy = verify_webhook_policy("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        let value: serde_json::Value = serde_json::from_str(&policy).unwrap();
        let rules = value["on_http_request"].as_array().unwrap();
        assert_eq!(rules.len(), 1);
        assert!(
            rules[0].get("expressions").is_none(),
            "applies to every request"
        );
        let actions = rules[0]["actions"].as_array().unwrap();
        assert_eq!(actions.len(), 1);
        assert_eq!(actions[0]["type"], "verify-webhook");
        assert_eq!(actions[0]["config"]["provider"], "clerk");
        assert_eq!(
            actions[0]["config"]["secret"],
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        );
        assert_eq!(value.as_object().unwrap().len(), 1, "no outbound rules");
    }
}
