//! Clerk's event envelope and the user and session fields Hooklab stores, parsed from raw bytes
//! only after the signature is verified.

use serde::Deserialize;
use serde_json::value::RawValue;

/// A verified Clerk event, reduced to what sync needs.
#[derive(Debug, Clone, PartialEq)]
pub struct ClerkEvent {
    /// `type`, e.g. `user.created`.
    pub kind: String,
    /// The envelope's `timestamp` (Unix ms), when present.
    pub timestamp: Option<i64>,
    /// The typed payload.
    pub payload: Payload,
}

/// The part of `data` sync acts on.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// `user.created` / `user.updated`.
    User(UserRecord),
    /// `user.deleted`.
    UserDeleted {
        /// The deleted user's id.
        id: String,
    },
    /// `session.*`.
    Session(SessionRecord),
    /// Another event type; only its user id, when it names one.
    Other {
        /// `data.user_id` (or `data.created_by`), when present.
        user_id: Option<String>,
    },
    /// A known event type whose `data` is not shaped as Clerk documents it.
    Invalid {
        /// What is wrong with it.
        reason: String,
    },
}

/// The user row Hooklab keeps, derived from a Clerk user object.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    /// `user_…`.
    pub id: String,
    /// The address `primary_email_address_id` points at.
    pub primary_email: Option<String>,
    /// Every email address, primary first.
    pub emails: Vec<String>,
    /// The number `primary_phone_number_id` points at.
    pub primary_phone: Option<String>,
    /// May be null in Clerk.
    pub username: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Profile image.
    pub image_url: Option<String>,
    /// Unix ms.
    pub created_at: Option<i64>,
    /// Unix ms; orders user events.
    pub updated_at: Option<i64>,
    /// Unix ms.
    pub last_sign_in_at: Option<i64>,
    /// `public_metadata` as JSON text.
    pub public_metadata: String,
}

/// The session row Hooklab keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRecord {
    /// `sess_…`.
    pub id: String,
    /// `user_…`.
    pub user_id: String,
    /// `client_…`.
    pub client_id: Option<String>,
    /// `active`, `ended`, `removed`, `revoked`, …
    pub status: Option<String>,
    /// Unix ms: the sign-in time.
    pub created_at: Option<i64>,
    /// Unix ms; orders session events.
    pub updated_at: Option<i64>,
    /// Unix ms.
    pub last_active_at: Option<i64>,
    /// Unix ms.
    pub expire_at: Option<i64>,
}

impl ClerkEvent {
    /// The user this event is about, when it names one.
    pub fn user_id(&self) -> Option<&str> {
        match &self.payload {
            Payload::User(u) => Some(&u.id),
            Payload::UserDeleted { id } => Some(id),
            Payload::Session(s) => Some(&s.user_id),
            Payload::Other { user_id } => user_id.as_deref(),
            Payload::Invalid { .. } => None,
        }
    }
}

/// The body is not a JSON object with `type` and `data`.
#[derive(Debug, thiserror::Error)]
#[error("the body is not a Clerk event: {0}")]
pub struct NotAnEvent(String);

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "type")]
    kind: String,
    timestamp: Option<i64>,
    #[serde(borrow)]
    data: &'a RawValue,
}

#[derive(Deserialize)]
struct UserObject<'a> {
    id: String,
    username: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    image_url: Option<String>,
    primary_email_address_id: Option<String>,
    #[serde(default)]
    email_addresses: Vec<EmailAddress>,
    primary_phone_number_id: Option<String>,
    #[serde(default)]
    phone_numbers: Vec<PhoneNumber>,
    created_at: Option<i64>,
    updated_at: Option<i64>,
    last_sign_in_at: Option<i64>,
    #[serde(borrow)]
    public_metadata: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct EmailAddress {
    id: String,
    email_address: String,
}

#[derive(Deserialize)]
struct PhoneNumber {
    id: String,
    phone_number: String,
}

#[derive(Deserialize)]
struct DeletedObject {
    id: String,
}

#[derive(Deserialize)]
struct SessionObject {
    id: String,
    user_id: String,
    client_id: Option<String>,
    status: Option<String>,
    created_at: Option<i64>,
    updated_at: Option<i64>,
    last_active_at: Option<i64>,
    expire_at: Option<i64>,
}

#[derive(Deserialize)]
struct OtherObject {
    user_id: Option<String>,
    created_by: Option<String>,
}

/// Parses a verified body.
pub fn parse_event(body: &[u8]) -> Result<ClerkEvent, NotAnEvent> {
    let envelope: Envelope<'_> =
        serde_json::from_slice(body).map_err(|e| NotAnEvent(e.to_string()))?;
    let data = envelope.data.get();
    let payload = match envelope.kind.as_str() {
        "user.created" | "user.updated" => match serde_json::from_str::<UserObject<'_>>(data) {
            Ok(user) => Payload::User(user_record(user)),
            Err(e) => invalid(&envelope.kind, e),
        },
        "user.deleted" => match serde_json::from_str::<DeletedObject>(data) {
            Ok(d) => Payload::UserDeleted { id: d.id },
            Err(e) => invalid(&envelope.kind, e),
        },
        kind if kind.starts_with("session.") => match serde_json::from_str::<SessionObject>(data) {
            Ok(s) => Payload::Session(SessionRecord {
                id: s.id,
                user_id: s.user_id,
                client_id: s.client_id,
                status: s.status,
                created_at: s.created_at,
                updated_at: s.updated_at,
                last_active_at: s.last_active_at,
                expire_at: s.expire_at,
            }),
            Err(e) => invalid(&envelope.kind, e),
        },
        _ => {
            let other = serde_json::from_str::<OtherObject>(data).ok();
            Payload::Other {
                user_id: other.and_then(|o| o.user_id.or(o.created_by)),
            }
        }
    };
    Ok(ClerkEvent {
        kind: envelope.kind,
        timestamp: envelope.timestamp,
        payload,
    })
}

/// The `data` object of an event body, byte-exact as received.
pub fn raw_data(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<Envelope<'_>>(body)
        .ok()
        .map(|e| e.data.get().to_owned())
}

fn invalid(kind: &str, e: serde_json::Error) -> Payload {
    Payload::Invalid {
        reason: format!("`data` of this {kind} event is not a Clerk object: {e}"),
    }
}

fn user_record(user: UserObject<'_>) -> UserRecord {
    let primary_email = user
        .primary_email_address_id
        .as_deref()
        .and_then(|id| user.email_addresses.iter().find(|e| e.id == id))
        .map(|e| e.email_address.clone());
    let mut emails: Vec<String> = primary_email.iter().cloned().collect();
    emails.extend(
        user.email_addresses
            .into_iter()
            .map(|e| e.email_address)
            .filter(|e| Some(e) != primary_email.as_ref()),
    );
    let primary_phone = user
        .primary_phone_number_id
        .as_deref()
        .and_then(|id| user.phone_numbers.iter().find(|p| p.id == id))
        .map(|p| p.phone_number.clone());
    UserRecord {
        id: user.id,
        primary_email,
        emails,
        primary_phone,
        username: user.username,
        first_name: user.first_name,
        last_name: user.last_name,
        image_url: user.image_url,
        created_at: user.created_at,
        updated_at: user.updated_at,
        last_sign_in_at: user.last_sign_in_at,
        public_metadata: user
            .public_metadata
            .map_or_else(|| "{}".to_owned(), |m| m.get().to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_primary_email_follows_primary_email_address_id() {
        let body = br#"{"type":"user.updated","timestamp":5,"data":{"id":"user_1","username":null,
            "primary_email_address_id":"idn_b","email_addresses":[
              {"id":"idn_a","email_address":"old@example.com"},
              {"id":"idn_b","email_address":"new@example.com"}],
            "primary_phone_number_id":null,"phone_numbers":[],
            "first_name":"Ada","last_name":null,"image_url":null,
            "created_at":1,"updated_at":2,"last_sign_in_at":null,"public_metadata":{"plan":"pro"}}}"#;
        let event = parse_event(body).unwrap();
        let Payload::User(user) = event.payload else {
            panic!("not a user: {event:?}")
        };
        assert_eq!(user.primary_email.as_deref(), Some("new@example.com"));
        assert_eq!(user.emails, ["new@example.com", "old@example.com"]);
        assert_eq!(user.public_metadata, r#"{"plan":"pro"}"#);
        assert_eq!(user.updated_at, Some(2));
    }

    #[test]
    fn phone_only_user_has_no_email_and_a_primary_phone() {
        let body =
            br#"{"type":"user.created","data":{"id":"user_2","primary_email_address_id":null,
            "email_addresses":[],"primary_phone_number_id":"idn_p",
            "phone_numbers":[{"id":"idn_p","phone_number":"+15555550100"}],"updated_at":3}}"#;
        let Payload::User(user) = parse_event(body).unwrap().payload else {
            panic!("not a user")
        };
        assert_eq!(user.primary_email, None);
        assert_eq!(user.primary_phone.as_deref(), Some("+15555550100"));
    }

    #[test]
    fn user_event_without_an_id_is_invalid_not_a_crash() {
        let body = br#"{"type":"user.created","data":{"username":"x"}}"#;
        assert!(matches!(
            parse_event(body).unwrap().payload,
            Payload::Invalid { .. }
        ));
    }

    #[test]
    fn body_that_is_not_an_event_is_an_error() {
        assert!(parse_event(b"not json").is_err());
        assert!(parse_event(br#"{"data":{}}"#).is_err());
    }

    #[test]
    fn other_events_keep_the_user_they_name() {
        let body = br#"{"type":"email.created","data":{"id":"ema_1","user_id":"user_9"}}"#;
        assert_eq!(parse_event(body).unwrap().user_id(), Some("user_9"));
    }
}
