//! The load's realistic mix: creates, updates, deletes and sign-ins over a pool of users,
//! 5% redeliveries, versions assigned when generated but delivered over concurrent connections
//! (so out of order), and the final users table that mix implies.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;

use super::template::Template;
use crate::capture::now_ms;
use crate::fixtures::find;
use crate::ids::new_id;
use crate::secret::Secret;
use crate::send::{Delivery, SignOptions, sign, sign_as};
use crate::store::{StoreError, open_for_reading};

const USER: &str = "__HOOKLAB_USER__";
const SESSION: &str = "__HOOKLAB_SESSION__";
const FIRST: &str = "__HOOKLAB_FIRST__";
const KIND: &str = "__HOOKLAB_KIND__";
const TIME: &str = "314159265358979";

/// What the users table must say about one user once everything is delivered.
#[derive(Debug, Default, Clone, Copy)]
struct Expect {
    newest_version: Option<i64>,
    deleted: bool,
    newest_sign_in: Option<i64>,
}

/// first_name, updated_at, last_sign_in_at, deleted_at of a stored user.
type StoredRow = (Option<String>, Option<i64>, Option<i64>, Option<i64>);

/// The result of comparing the users table with the mix.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Check {
    /// Users the mix touched.
    pub users: usize,
    /// Users expected deleted.
    pub deleted: usize,
    /// Users whose row is not what the mix implies.
    pub wrong: usize,
    /// Up to five examples.
    pub examples: Vec<String>,
}

/// The generator; shared by every connection.
pub struct Plan {
    total: usize,
    secret: Secret,
    users: Vec<String>,
    user_template: Template,
    deleted_template: Template,
    session_template: Template,
    clock: AtomicI64,
    expect: Mutex<HashMap<usize, Expect>>,
    recent: Mutex<VecDeque<(String, Bytes)>>,
}

impl Plan {
    /// Prepares templates and a pool of one user per ten events.
    pub fn new(events: usize, secret: Secret) -> Result<Self, String> {
        let now = now_ms();
        let users = (0..(events / 10).max(100))
            .map(|_| new_id("user", now / 1000))
            .collect();
        Ok(Self {
            total: events,
            secret,
            users,
            user_template: template("user.created", |data| {
                data.insert("id".into(), USER.into());
                data.insert("first_name".into(), FIRST.into());
                data.insert("last_sign_in_at".into(), Value::Null);
                for key in ["created_at", "updated_at"] {
                    data.insert(key.into(), time_marker());
                }
            })?,
            deleted_template: template("user.deleted", |data| {
                data.insert("id".into(), USER.into());
            })?,
            session_template: template("session.created", |data| {
                data.insert("id".into(), SESSION.into());
                data.insert("user_id".into(), USER.into());
                for key in ["created_at", "updated_at", "last_active_at"] {
                    data.insert(key.into(), time_marker());
                }
            })?,
            clock: AtomicI64::new(now),
            expect: Mutex::new(HashMap::new()),
            recent: Mutex::new(VecDeque::with_capacity(256)),
        })
    }

    /// How many requests the plan holds.
    pub fn total(&self) -> usize {
        self.total
    }

    /// How many users the mix draws from.
    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    /// The id of the mix's `i`-th user (wrapping around).
    pub fn user_id(&self, i: usize) -> &str {
        &self.users[i % self.users.len()]
    }

    /// The signed delivery for request number `i`.
    pub fn delivery(&self, i: usize) -> Delivery {
        let mut rng = SplitMix(i as u64 ^ 0x9e37_79b9_7f4a_7c15);
        let now_secs = now_ms() / 1000;
        if rng.below(100) < 5 {
            let redelivery = self.recent.lock().ok().and_then(|recent| {
                (!recent.is_empty())
                    .then(|| recent[rng.below(recent.len() as u64) as usize].clone())
            });
            if let Some((svix_id, body)) = redelivery {
                return sign_as(
                    svix_id,
                    body,
                    &self.secret,
                    now_secs,
                    SignOptions::default(),
                );
            }
        }
        let user_index = rng.below(self.users.len() as u64) as usize;
        let user = &self.users[user_index];
        let version = self.clock.fetch_add(1, Ordering::Relaxed);
        let roll = rng.below(100);
        let body = if roll < 60 {
            let kind = if roll < 25 {
                "user.created"
            } else {
                "user.updated"
            };
            self.note(user_index, |e| {
                e.newest_version = e.newest_version.max(Some(version));
            });
            let (first, time) = (format!("v{version}"), version.to_string());
            self.user_template
                .fill(&[(USER, user), (FIRST, &first), (KIND, kind), (TIME, &time)])
        } else if roll < 65 {
            self.note(user_index, |e| e.deleted = true);
            self.deleted_template
                .fill(&[(USER, user), (TIME, &version.to_string())])
        } else {
            self.note(user_index, |e| {
                e.newest_sign_in = e.newest_sign_in.max(Some(version));
            });
            let session = new_id("sess", now_secs);
            self.session_template.fill(&[
                (USER, user),
                (SESSION, &session),
                (TIME, &version.to_string()),
            ])
        };
        let delivery = sign(
            Bytes::from(body),
            &self.secret,
            now_secs,
            SignOptions::default(),
        );
        if let Ok(mut recent) = self.recent.lock() {
            if recent.len() == 256 {
                recent.pop_front();
            }
            recent.push_back((delivery.svix_id.clone(), delivery.body.clone()));
        }
        delivery
    }

    fn note(&self, user: usize, change: impl FnOnce(&mut Expect)) {
        if let Ok(mut expect) = self.expect.lock() {
            change(expect.entry(user).or_default());
        }
    }

    /// Compares the users table with what the mix implies.
    pub fn check(&self, db: &Path) -> Result<Check, StoreError> {
        let conn = open_for_reading(db)?;
        let expect = self.expect.lock().map(|e| e.clone()).unwrap_or_default();
        let mut check = Check {
            users: expect.len(),
            ..Check::default()
        };
        let mut stmt = conn
            .prepare(
                "SELECT first_name, updated_at, last_sign_in_at, deleted_at FROM users WHERE id = ?1",
            )
            .map_err(StoreError::from)?;
        for (index, want) in &expect {
            let id = &self.users[*index];
            let row: Option<StoredRow> = stmt
                .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .ok();
            let problem = match (want, row) {
                (Expect { deleted: true, .. }, Some((_, _, _, Some(_)))) => None,
                (Expect { deleted: true, .. }, _) => Some("should be deleted".to_owned()),
                (
                    Expect {
                        newest_version: None,
                        ..
                    },
                    None,
                ) => None,
                (
                    Expect {
                        newest_version: None,
                        ..
                    },
                    Some(_),
                ) => Some("exists but no user event was sent".to_owned()),
                (
                    Expect {
                        newest_version: Some(_),
                        ..
                    },
                    None,
                ) => Some("missing".to_owned()),
                (
                    Expect {
                        newest_version: Some(v),
                        newest_sign_in,
                        ..
                    },
                    Some((first, updated, sign_in, deleted)),
                ) => {
                    let right = deleted.is_none()
                        && updated == Some(*v)
                        && first.as_deref() == Some(format!("v{v}").as_str())
                        && sign_in == *newest_sign_in;
                    (!right).then(|| {
                        format!(
                            "want version {v}, sign-in {newest_sign_in:?}; got {first:?} \
                             {updated:?} {sign_in:?} deleted {deleted:?}"
                        )
                    })
                }
            };
            check.deleted += usize::from(want.deleted);
            if let Some(problem) = problem {
                check.wrong += 1;
                if check.examples.len() < 5 {
                    check.examples.push(format!("{id}: {problem}"));
                }
            }
        }
        Ok(check)
    }
}

fn time_marker() -> Value {
    Value::from(TIME.parse::<i64>().unwrap_or_default())
}

/// A fixture as compact JSON with markers to fill per request.
fn template(
    name: &str,
    edit: impl FnOnce(&mut serde_json::Map<String, Value>),
) -> Result<Template, String> {
    let fixture = find(name).ok_or_else(|| format!("fixture {name} missing"))?;
    let mut event: Value =
        serde_json::from_str(fixture.json).map_err(|e| format!("fixture {name}: {e}"))?;
    if let Some(envelope) = event.as_object_mut() {
        envelope.insert("timestamp".into(), time_marker());
        if name.starts_with("user.created") {
            envelope.insert("type".into(), KIND.into());
        }
        if let Some(data) = envelope.get_mut("data").and_then(Value::as_object_mut) {
            edit(data);
        }
    }
    Ok(Template::new(
        &event.to_string(),
        &[USER, SESSION, FIRST, KIND, TIME],
    ))
}

/// A small deterministic generator (SplitMix64).
struct SplitMix(u64);

impl SplitMix {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % n.max(1)
    }
}
