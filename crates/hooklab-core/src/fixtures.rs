//! The realistic Clerk payloads in `fixtures/clerk/`, embedded, and how `send` turns one into a
//! fresh event: new ids, timestamps moved to now, a chosen user.

use serde_json::{Map, Value};

use crate::ids::new_id;

/// One embedded fixture.
#[derive(Debug, Clone, Copy, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Fixture {
    /// The file name without `.json`, e.g. `user.created.phone-only`.
    pub name: &'static str,
    /// What it models.
    pub about: &'static str,
    /// The template JSON.
    pub json: &'static str,
}

macro_rules! fixture {
    ($name:literal, $about:literal) => {
        Fixture {
            name: $name,
            about: $about,
            json: include_str!(concat!("../../../fixtures/clerk/", $name, ".json")),
        }
    };
}

/// Every fixture.
pub const FIXTURES: &[Fixture] = &[
    fixture!("user.created", "email + password sign-up with a username"),
    fixture!(
        "user.created.phone-only",
        "phone-only sign-up: no email, no username"
    ),
    fixture!(
        "user.created.oauth-google",
        "Google OAuth sign-up with an external account"
    ),
    fixture!(
        "user.created.no-username",
        "email sign-up without username or names"
    ),
    fixture!(
        "user.updated",
        "second email made primary, name and metadata changed"
    ),
    fixture!("user.deleted", "user deleted (data is only the id)"),
    fixture!("session.created", "a sign-in"),
    fixture!("session.ended", "a sign-out"),
    fixture!("email.created", "Clerk sent a verification-code email"),
    fixture!(
        "organization.created",
        "an organization created by the user"
    ),
];

/// Finds a fixture by name (`user.created`, `user.created.phone-only`, with or without `.json`).
pub fn find(name: &str) -> Option<&'static Fixture> {
    let name = name.strip_suffix(".json").unwrap_or(name);
    FIXTURES.iter().find(|f| f.name == name)
}

/// A fixture turned into a fresh event body.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Compact JSON, as Clerk sends it.
    pub body: String,
    /// The event type.
    pub event_type: String,
    /// The user the event is about.
    pub user_id: Option<String>,
}

/// The template is not a Clerk event envelope.
#[derive(Debug, thiserror::Error)]
#[error("not a Clerk event template: {0}")]
pub struct TemplateError(pub(crate) String);

/// Gives a template fresh ids and moves its times to `now_ms`; `user_id` picks the user the
/// event is about (a fresh one when `None`).
pub fn prepare(
    template: &str,
    user_id: Option<&str>,
    now_ms: i64,
) -> Result<Prepared, TemplateError> {
    let mut event: Value =
        serde_json::from_str(template).map_err(|e| TemplateError(e.to_string()))?;
    let envelope = event
        .as_object_mut()
        .ok_or_else(|| TemplateError("the top level is not an object".into()))?;
    let event_type = envelope
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| TemplateError("no `type`".into()))?
        .to_owned();
    let then = envelope
        .get("timestamp")
        .and_then(Value::as_i64)
        .unwrap_or(now_ms);
    envelope.insert("timestamp".into(), now_ms.into());
    let now_secs = now_ms / 1000;
    let user = user_id.map_or_else(|| new_id("user", now_secs), str::to_owned);
    let data = envelope
        .get_mut("data")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| TemplateError("no `data` object".into()))?;
    shift_times(data, now_ms - then);
    let about_user = if event_type.starts_with("user.") {
        data.insert("id".into(), user.clone().into());
        Some(user)
    } else {
        if let Some(prefix) = data
            .get("id")
            .and_then(Value::as_str)
            .and_then(|id| id.split_once('_'))
            .map(|(p, _)| p.to_owned())
        {
            data.insert("id".into(), new_id(&prefix, now_secs).into());
        }
        let mut named = None;
        for key in ["user_id", "created_by"] {
            if data.get(key).is_some_and(Value::is_string) {
                data.insert(key.into(), user.clone().into());
                named = Some(user.clone());
            }
        }
        named
    };
    Ok(Prepared {
        body: event.to_string(),
        event_type,
        user_id: about_user,
    })
}

/// Moves every `*_at` time (Unix ms) by `delta`, keeping their order and spacing.
fn shift_times(object: &mut Map<String, Value>, delta: i64) {
    for (key, value) in object.iter_mut() {
        match value {
            Value::Number(n) if key.ends_with("_at") => {
                if let Some(v) = n.as_i64() {
                    *value = (v + delta).into();
                }
            }
            Value::Object(inner) => shift_times(inner, delta),
            Value::Array(items) => {
                for item in items.iter_mut().filter_map(Value::as_object_mut) {
                    shift_times(item, delta);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clerk::{Payload, parse_event};

    #[test]
    fn every_fixture_parses_as_the_event_it_claims_to_be() {
        for f in FIXTURES {
            let event = parse_event(f.json.as_bytes()).unwrap();
            assert!(
                f.name.starts_with(&event.kind),
                "{} is {}",
                f.name,
                event.kind
            );
            assert!(
                !matches!(event.payload, Payload::Invalid { .. }),
                "{}: {:?}",
                f.name,
                event.payload
            );
        }
    }

    #[test]
    fn prepared_event_has_fresh_ids_and_times_moved_to_now() {
        let f = find("user.created.json").unwrap();
        let now = 1_800_000_000_000;
        let a = prepare(f.json, None, now).unwrap();
        let b = prepare(f.json, None, now).unwrap();
        assert_ne!(a.user_id, b.user_id);
        let event = parse_event(a.body.as_bytes()).unwrap();
        assert_eq!(event.timestamp, Some(now));
        let Payload::User(user) = event.payload else {
            panic!("not a user")
        };
        assert_eq!(Some(user.id), a.user_id);
        let updated = user.updated_at.unwrap();
        assert!((now - 60_000..=now).contains(&updated), "{updated}");
        assert!(user.primary_email.is_some(), "primary email still resolves");
    }

    #[test]
    fn chosen_user_is_the_subject_of_session_events() {
        let f = find("session.created").unwrap();
        let p = prepare(f.json, Some("user_me"), 1_800_000_000_000).unwrap();
        let event = parse_event(p.body.as_bytes()).unwrap();
        assert_eq!(event.user_id(), Some("user_me"));
        let Payload::Session(s) = event.payload else {
            panic!("not a session")
        };
        assert!(s.id.starts_with("sess_") && s.id != "sess_2yRnH7EHmrIydQW3JOwxGi2ILrG");
    }
}
