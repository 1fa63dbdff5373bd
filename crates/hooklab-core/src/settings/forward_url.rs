//! The user's app URL that events are forwarded to: checked once, the same way for the
//! Settings screen, `hooklab serve --forward-to` and a hand-edited settings file.

use super::change::FieldError;

const HINT: &str = "Use the full URL your app's webhook handler listens on, e.g. \
                    http://localhost:3000/api/webhooks/clerk.";

/// Trims `url` and checks that it is an absolute http(s) URL with a host, and not Hooklab's
/// own receiver on `own_port` (forwarding there would send every event back to Hooklab).
pub fn normalize_forward_url(url: &str, own_port: u16) -> Result<String, FieldError> {
    let url = url.trim();
    let bad = |code, message: String| FieldError::new("forward_url", code, message, HINT);
    if url.is_empty() {
        return Err(bad("empty_forward_url", "your app's URL is empty".into()));
    }
    let Ok(uri) = url.parse::<http::Uri>() else {
        return Err(bad("invalid_forward_url", format!("{url} is not a URL")));
    };
    let scheme = uri.scheme_str().map(str::to_ascii_lowercase);
    if !matches!(scheme.as_deref(), Some("http" | "https")) {
        return Err(bad(
            "invalid_forward_url",
            format!("{url} does not start with http:// or https://"),
        ));
    }
    let Some(host) = uri.host().filter(|h| !h.is_empty()) else {
        return Err(bad("invalid_forward_url", format!("{url} names no host")));
    };
    let loopback = matches!(
        host.to_ascii_lowercase().as_str(),
        "localhost" | "127.0.0.1" | "[::1]" | "0.0.0.0"
    );
    let port = uri
        .port_u16()
        .unwrap_or(if scheme.as_deref() == Some("https") {
            443
        } else {
            80
        });
    if loopback && port == own_port {
        return Err(FieldError::new(
            "forward_url",
            "forward_to_self",
            format!("{url} is Hooklab's own receiver (port {own_port})"),
            "Forward to the port your app listens on (e.g. 3000), not to Hooklab's.",
        ));
    }
    Ok(url.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_urls_are_checked_and_hooklabs_own_port_is_refused() {
        let ok = normalize_forward_url(" http://localhost:3000/api/webhooks/clerk ", 8787);
        assert_eq!(ok.unwrap(), "http://localhost:3000/api/webhooks/clerk");
        assert!(normalize_forward_url("https://app.example.com/hooks", 8787).is_ok());
        for (bad, code) in [
            ("", "empty_forward_url"),
            ("localhost:3000/hooks", "invalid_forward_url"),
            ("ftp://x.dev/hooks", "invalid_forward_url"),
            ("http://a b/", "invalid_forward_url"),
            (
                "http://127.0.0.1:8787/api/webhooks/clerk",
                "forward_to_self",
            ),
            ("http://LOCALHOST:8787/x", "forward_to_self"),
        ] {
            let err = normalize_forward_url(bad, 8787).unwrap_err();
            assert_eq!((err.field, err.code), ("forward_url", code), "{bad}");
        }
    }

    #[test]
    fn hooklab_cannot_move_onto_the_port_its_app_listens_on() {
        use crate::settings::{Settings, SettingsChange};
        let mut s = Settings::default();
        SettingsChange::SetForward {
            url: Some("http://localhost:3000/api/webhooks/clerk".into()),
            live: true,
        }
        .apply_to(&mut s)
        .unwrap();
        let err = SettingsChange::SetPort { port: 3000 }
            .apply_to(&mut s)
            .unwrap_err();
        assert_eq!((err.field, err.code), ("port", "port_is_the_apps"));
        assert_eq!(s.port, None, "nothing changed");
        SettingsChange::SetPort { port: 3001 }
            .apply_to(&mut s)
            .unwrap();
    }
}
