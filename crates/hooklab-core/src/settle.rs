//! The engine's rules inside the store's write transaction, where batch-mates see each other:
//! which arrival is a message's delivery and which a redelivery or replay, what sync does with
//! it, and what the request is told. The store only carries out the steps (`store::Ledger`).

use crate::clerk::Payload;
use crate::store::{Ledger, NewEvent, Recorded};
use crate::sync::{Decision, Known, SyncKind, SyncOutcome, decide};

/// Settles one judged request inside the writer's transaction.
pub(crate) fn settle(ledger: &Ledger<'_>, new: &NewEvent) -> rusqlite::Result<Recorded> {
    // Only a verified POST at the webhook path claims its message (`NewEvent::claims_message`).
    let claims_message = new.claims_message();
    if claims_message && let Some(id) = new.svix_id.as_deref() {
        match new.capture.replay_of {
            // Svix retried a message already delivered: count it on the delivery, unless the
            // content differs (then it is kept as its own row, flagged, never applied).
            None => {
                if let Some(first) = ledger.delivery_id(id)? {
                    if ledger.body_differs(first, &new.capture.body)? {
                        return conflict(ledger, new, id, first);
                    }
                    let summary = ledger.bump_redelivery(first, new)?;
                    let duplicate = SyncOutcome::new(
                        SyncKind::Duplicate,
                        format!(
                            "redelivery #{} of {id}: already processed as {}, not applied again",
                            summary.delivery_count,
                            summary.sync.code()
                        ),
                    );
                    return Ok(Recorded {
                        summary,
                        duplicate: Some(duplicate),
                        user_changed: None,
                    });
                }
            }
            // A replay of a delivered message is its own row, never an edit of history.
            Some(replay_of) => {
                if let Some(delivery) = ledger.delivery(id)? {
                    let outcome = SyncOutcome::new(
                        SyncKind::Duplicate,
                        format!(
                            "{id} was already delivered (event {}, {}): not applied again",
                            delivery.id,
                            delivery.sync.code()
                        ),
                    );
                    let summary = ledger.insert(new, outcome, None)?;
                    ledger.link_replay(summary.id, replay_of)?;
                    return Ok(Recorded {
                        summary,
                        duplicate: None,
                        user_changed: None,
                    });
                }
            }
        }
    }
    let (decision, sync, hint) = match (&new.event, &new.unsynced) {
        (_, Some((outcome, hint))) => (None, outcome.clone(), hint.clone()),
        (Some(event), None) => {
            // Types sync ignores (or cannot read) need nothing from the store.
            let known = match event.payload {
                Payload::Other { .. } | Payload::Invalid { .. } => Known::default(),
                _ => ledger.known(event)?,
            };
            let decision = decide(event, &known, new.capture.received_ms);
            let outcome = describe(&decision, &known);
            let hint = (outcome.kind != SyncKind::Applied).then(|| outcome.detail.clone());
            (Some(decision), outcome, hint)
        }
        (None, None) => (None, SyncOutcome::new(SyncKind::NotSynced, ""), None),
    };
    let hint = hint.or_else(|| new.verification.hint());
    let summary = ledger.insert(new, sync, hint)?;
    if let Some(replay_of) = new.capture.replay_of {
        ledger.link_replay(summary.id, replay_of)?;
    }
    let user_changed = match decision {
        Some(decision) => ledger.apply(decision, summary.id)?,
        None => None,
    };
    Ok(Recorded {
        summary,
        duplicate: None,
        user_changed,
    })
}

/// A validly signed request reusing a delivered svix-id with other content: kept as its own
/// row, flagged, never applied.
fn conflict(
    ledger: &Ledger<'_>,
    new: &NewEvent,
    svix_id: &str,
    first: i64,
) -> rusqlite::Result<Recorded> {
    let outcome = SyncOutcome::new(
        SyncKind::Duplicate,
        format!(
            "CONFLICT: {svix_id} was delivered before (event {first}) with a different body: \
             not applied"
        ),
    );
    let hint = format!(
        "This validly signed request reuses the svix-id of event {first} with different \
         content. Svix never does that: it is a bug in whatever sent it, or someone who holds \
         your signing secret. If you did not send it, roll the secret in the Clerk dashboard \
         and paste the new one here."
    );
    let summary = ledger.insert(new, outcome, Some(hint))?;
    Ok(Recorded {
        summary,
        duplicate: None,
        user_changed: None,
    })
}

fn describe(decision: &Decision, known: &Known) -> SyncOutcome {
    let detail = match decision {
        Decision::Skip(outcome) => return outcome.clone(),
        Decision::UpsertUser(user) if known.user.is_some() => format!("updated user {}", user.id),
        Decision::UpsertUser(user) => format!("created user {}", user.id),
        Decision::DeleteUser { id, .. } => format!("deleted user {id} (tombstone kept)"),
        Decision::UpsertSession {
            session, sign_in, ..
        } => {
            let status = session.status.as_deref().unwrap_or("unknown");
            match sign_in {
                Some(at) => format!(
                    "recorded session {} ({status}); last sign-in of {} moved to {at}",
                    session.id, session.user_id
                ),
                None => format!("recorded session {} ({status})", session.id),
            }
        }
    };
    SyncOutcome::new(SyncKind::Applied, detail)
}
