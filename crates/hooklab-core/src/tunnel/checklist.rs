//! What to do in the Clerk dashboard once the public URL is live; the CLI prints it and the
//! desktop app shows it.

/// The events Hooklab syncs users and sign-ins from.
pub const CLERK_EVENTS: [&str; 4] = [
    "user.created",
    "user.updated",
    "user.deleted",
    "session.created",
];

/// The Clerk setup steps for `webhook_url`, in order.
pub fn clerk_checklist(webhook_url: &str) -> Vec<String> {
    vec![
        "In the Clerk dashboard open Configure → Webhooks → Add Endpoint (if you already have \
         one for Hooklab, edit its URL instead: a new endpoint comes with a new signing secret)."
            .to_owned(),
        format!("Endpoint URL: {webhook_url}"),
        format!("Subscribe to events: {}", CLERK_EVENTS.join(", ")),
        "Create it, then copy its Signing Secret (whsec_…) into Hooklab: \
         `hooklab config set-secret whsec_…` (or CLERK_WEBHOOK_SECRET) and restart \
         `hooklab serve`."
            .to_owned(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checklist_names_the_url_the_events_and_the_secret() {
        let steps = clerk_checklist("https://a.ngrok-free.app/api/webhooks/clerk").join("\n");
        assert!(steps.contains("https://a.ngrok-free.app/api/webhooks/clerk"));
        for event in CLERK_EVENTS {
            assert!(steps.contains(event), "{event}");
        }
        assert!(steps.contains("Signing Secret"));
    }
}
