//! Clerk sync rules as a pure function: what is stored plus one verified event in, the change to
//! make (or why none) out. Delivery is at least once and unordered, so every rule is idempotent.

use serde::{Deserialize, Serialize};

use crate::clerk::{ClerkEvent, Payload, SessionRecord, UserRecord};

/// What the store holds about the user (and session) an event names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Known {
    /// The stored user, when there is a row.
    pub user: Option<StoredUser>,
    /// The stored session's `updated_at`, for `session.*` events (outer `None`: no row).
    pub session_updated_at: Option<Option<i64>>,
    /// The latest sign-in seen before the user existed (looked up only when it does not).
    pub latest_sign_in: Option<i64>,
}

/// The ordering facts of a stored user row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoredUser {
    /// `updated_at` of the version stored.
    pub updated_at: Option<i64>,
    /// Set when a `user.deleted` was applied (the tombstone's time, Unix ms).
    pub deleted_at: Option<i64>,
    /// The stored last sign-in.
    pub last_sign_in_at: Option<i64>,
}

/// The change sync decided on.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Insert or replace the user row (`last_sign_in_at` already merged).
    UpsertUser(UserRecord),
    /// Mark the user deleted at this time; creates a bare tombstone when there is no row.
    DeleteUser {
        /// The user.
        id: String,
        /// Unix ms, from the envelope's timestamp.
        deleted_at: i64,
    },
    /// Insert or replace the session; move the user's last sign-in forward when `Some`.
    UpsertSession {
        /// The session row.
        session: SessionRecord,
        /// The new last sign-in for the user row, when it moves forward.
        sign_in: Option<i64>,
        /// No user row yet: remember the sign-in for when the user arrives.
        user_unknown: bool,
    },
    /// Nothing to change; the outcome says why.
    Skip(SyncOutcome),
}

/// The outcome recorded on an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncOutcome {
    /// What happened.
    pub kind: SyncKind,
    /// Why, in plain English.
    pub detail: String,
}

/// The sync outcome classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SyncKind {
    /// The change was written.
    Applied,
    /// Older than what is stored; not applied.
    Stale,
    /// A redelivery of a message already processed; not applied again.
    Duplicate,
    /// Captured and verified, but Hooklab does not sync this event type.
    Ignored,
    /// Verified, but the data could not be synced.
    Error,
    /// Not synced because the request was not verified.
    NotSynced,
}

impl SyncKind {
    /// The stable code stored and shown.
    pub fn code(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Stale => "stale",
            Self::Duplicate => "duplicate",
            Self::Ignored => "ignored",
            Self::Error => "error",
            Self::NotSynced => "not_synced",
        }
    }

    /// Parses a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        [
            Self::Applied,
            Self::Stale,
            Self::Duplicate,
            Self::Ignored,
            Self::Error,
            Self::NotSynced,
        ]
        .into_iter()
        .find(|k| k.code() == code)
    }
}

impl SyncOutcome {
    /// Builds an outcome.
    pub fn new(kind: SyncKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
        }
    }
}

/// Decides what one verified event changes. `received_ms` stands in for a missing envelope time.
pub fn decide(event: &ClerkEvent, known: &Known, received_ms: i64) -> Decision {
    match &event.payload {
        Payload::User(user) => decide_user(user, known),
        Payload::UserDeleted { id } => match known.user {
            Some(StoredUser {
                deleted_at: Some(at),
                ..
            }) => skip(
                SyncKind::Stale,
                format!("{id} was already deleted at {}", show(Some(at))),
            ),
            _ => Decision::DeleteUser {
                id: id.clone(),
                deleted_at: event.timestamp.unwrap_or(received_ms),
            },
        },
        Payload::Session(session) => decide_session(session, known),
        Payload::Invalid { reason } => skip(SyncKind::Error, reason.clone()),
        Payload::Other { .. } => skip(SyncKind::Ignored, ignored_reason(&event.kind)),
    }
}

fn decide_user(user: &UserRecord, known: &Known) -> Decision {
    if let Some(stored) = known.user {
        if let Some(at) = stored.deleted_at {
            return skip(
                SyncKind::Stale,
                format!(
                    "{} was deleted at {}; a late or redelivered event does not bring it back",
                    user.id,
                    show(Some(at))
                ),
            );
        }
        if user.updated_at < stored.updated_at {
            return skip(
                SyncKind::Stale,
                format!(
                    "a newer version of {} is stored (updated_at {} > {})",
                    user.id,
                    show(stored.updated_at),
                    show(user.updated_at)
                ),
            );
        }
    }
    let stored_sign_in = known.user.and_then(|u| u.last_sign_in_at);
    let mut record = user.clone();
    record.last_sign_in_at = [record.last_sign_in_at, stored_sign_in, known.latest_sign_in]
        .into_iter()
        .max()
        .flatten();
    Decision::UpsertUser(record)
}

fn decide_session(session: &SessionRecord, known: &Known) -> Decision {
    if let Some(stored) = known.session_updated_at
        && session.updated_at < stored
    {
        return skip(
            SyncKind::Stale,
            format!(
                "a newer version of session {} is stored (updated_at {} > {})",
                session.id,
                show(stored),
                show(session.updated_at)
            ),
        );
    }
    let current = known.user.and_then(|u| u.last_sign_in_at);
    let deleted = known.user.is_some_and(|u| u.deleted_at.is_some());
    let sign_in = session
        .created_at
        .filter(|at| !deleted && known.user.is_some() && Some(*at) > current);
    Decision::UpsertSession {
        session: session.clone(),
        sign_in,
        user_unknown: known.user.is_none(),
    }
}

fn ignored_reason(kind: &str) -> String {
    match kind {
        "email.created" => "captured, not synced: email.created means Clerk sent an email (only \
                            when your app delivers emails itself), not that a user added an \
                            address; a new address arrives as user.updated"
            .to_owned(),
        "sms.created" => "captured, not synced: sms.created means Clerk sent a text message, not \
                          that a user added a phone number; that arrives as user.updated"
            .to_owned(),
        _ => format!("captured, not synced: Hooklab syncs user.* and session.* events, not {kind}"),
    }
}

fn skip(kind: SyncKind, detail: String) -> Decision {
    Decision::Skip(SyncOutcome::new(kind, detail))
}

/// A Clerk time (Unix ms) in words: `2026-12-03 06:55:02.123 UTC`, or `none`.
fn show(ms: Option<i64>) -> String {
    ms.map_or_else(
        || "none".to_owned(),
        |v| {
            chrono::DateTime::from_timestamp_millis(v).map_or_else(
                || v.to_string(),
                |t| t.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string(),
            )
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clerk::parse_event;

    fn user_event(kind: &str, id: &str, updated_at: i64, sign_in: Option<i64>) -> ClerkEvent {
        let body = serde_json::json!({"type": kind, "timestamp": updated_at, "data": {
            "id": id, "updated_at": updated_at, "created_at": 1, "last_sign_in_at": sign_in,
            "email_addresses": [], "phone_numbers": []}});
        parse_event(body.to_string().as_bytes()).unwrap()
    }

    fn deleted(id: &str, ts: i64) -> ClerkEvent {
        let body = serde_json::json!({"type": "user.deleted", "timestamp": ts,
            "data": {"id": id, "object": "user", "deleted": true}});
        parse_event(body.to_string().as_bytes()).unwrap()
    }

    fn session_event(kind: &str, user: &str, created: i64, updated: i64) -> ClerkEvent {
        let body = serde_json::json!({"type": kind, "timestamp": updated, "data": {
            "id": "sess_1", "user_id": user, "status": "active",
            "created_at": created, "updated_at": updated}});
        parse_event(body.to_string().as_bytes()).unwrap()
    }

    fn stored(updated_at: i64) -> Known {
        Known {
            user: Some(StoredUser {
                updated_at: Some(updated_at),
                ..StoredUser::default()
            }),
            ..Known::default()
        }
    }

    fn skipped_kind(d: &Decision) -> Option<SyncKind> {
        match d {
            Decision::Skip(o) => Some(o.kind),
            _ => None,
        }
    }

    #[test]
    fn new_user_is_inserted() {
        let d = decide(
            &user_event("user.created", "user_a", 10, None),
            &Known::default(),
            0,
        );
        assert!(matches!(d, Decision::UpsertUser(u) if u.id == "user_a"));
    }

    #[test]
    fn older_update_than_stored_is_stale() {
        let d = decide(
            &user_event("user.created", "user_a", 10, None),
            &stored(20),
            0,
        );
        assert_eq!(skipped_kind(&d), Some(SyncKind::Stale));
    }

    #[test]
    fn newer_or_equal_update_is_applied() {
        for at in [20, 30] {
            let d = decide(
                &user_event("user.updated", "user_a", at, None),
                &stored(20),
                0,
            );
            assert!(matches!(d, Decision::UpsertUser(_)), "{at}");
        }
    }

    #[test]
    fn delete_leaves_a_tombstone_at_the_envelope_time() {
        let d = decide(&deleted("user_a", 77), &stored(20), 0);
        assert_eq!(
            d,
            Decision::DeleteUser {
                id: "user_a".into(),
                deleted_at: 77
            }
        );
    }

    #[test]
    fn nothing_recreates_a_deleted_user() {
        let mut known = stored(20);
        known.user = known.user.map(|u| StoredUser {
            deleted_at: Some(25),
            ..u
        });
        for event in [
            user_event("user.updated", "user_a", 10, None),
            user_event("user.updated", "user_a", 99, None),
            user_event("user.created", "user_a", 99, None),
            deleted("user_a", 30),
        ] {
            assert_eq!(
                skipped_kind(&decide(&event, &known, 0)),
                Some(SyncKind::Stale)
            );
        }
    }

    #[test]
    fn delete_before_create_still_tombstones() {
        let d = decide(&deleted("user_a", 50), &Known::default(), 0);
        assert!(matches!(d, Decision::DeleteUser { deleted_at: 50, .. }));
    }

    #[test]
    fn sign_in_seen_before_the_user_is_merged_into_it() {
        let known = Known {
            latest_sign_in: Some(500),
            ..Known::default()
        };
        let Decision::UpsertUser(u) = decide(
            &user_event("user.created", "user_a", 10, Some(100)),
            &known,
            0,
        ) else {
            panic!("not applied")
        };
        assert_eq!(u.last_sign_in_at, Some(500));
    }

    #[test]
    fn last_sign_in_only_moves_forward() {
        let mut known = stored(20);
        known.user = known.user.map(|u| StoredUser {
            last_sign_in_at: Some(900),
            ..u
        });
        let Decision::UpsertUser(u) = decide(
            &user_event("user.updated", "user_a", 30, Some(100)),
            &known,
            0,
        ) else {
            panic!("not applied")
        };
        assert_eq!(u.last_sign_in_at, Some(900));
        let d = decide(
            &session_event("session.created", "user_a", 800, 800),
            &known,
            0,
        );
        assert!(matches!(d, Decision::UpsertSession { sign_in: None, .. }));
        let d = decide(
            &session_event("session.created", "user_a", 950, 950),
            &known,
            0,
        );
        assert!(matches!(
            d,
            Decision::UpsertSession {
                sign_in: Some(950),
                ..
            }
        ));
    }

    #[test]
    fn older_session_event_is_stale() {
        let known = Known {
            session_updated_at: Some(Some(100)),
            ..Known::default()
        };
        let d = decide(&session_event("session.ended", "user_a", 10, 50), &known, 0);
        assert_eq!(skipped_kind(&d), Some(SyncKind::Stale));
    }

    #[test]
    fn email_created_is_ignored_with_the_common_misreading_explained() {
        let body = br#"{"type":"email.created","data":{"id":"ema_1","user_id":"user_a"}}"#;
        let d = decide(&parse_event(body).unwrap(), &Known::default(), 0);
        let Decision::Skip(o) = d else {
            panic!("applied")
        };
        assert_eq!(o.kind, SyncKind::Ignored);
        assert!(o.detail.contains("user.updated"));
    }

    #[test]
    fn sync_codes_round_trip() {
        for k in [SyncKind::Applied, SyncKind::NotSynced, SyncKind::Duplicate] {
            assert_eq!(SyncKind::from_code(k.code()), Some(k));
        }
    }
}
