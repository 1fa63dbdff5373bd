//! Queries over synced users: the table (searchable, paged) and one user with its sessions and
//! the timeline of events about it.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use super::events::{EventSummary, SUMMARY_COLUMNS, escape_like, page, summary_from_row};
use super::user_index::ids_about_user;
use super::user_text;

/// One synced user row.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UserRow {
    /// Paging cursor (order first seen).
    pub seq: i64,
    /// `user_…`.
    pub id: String,
    /// Primary email address.
    pub primary_email: Option<String>,
    /// Primary phone number.
    pub primary_phone: Option<String>,
    /// Username.
    pub username: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Profile image.
    pub image_url: Option<String>,
    /// Unix ms.
    pub created_at: Option<i64>,
    /// Unix ms.
    pub updated_at: Option<i64>,
    /// Unix ms.
    pub last_sign_in_at: Option<i64>,
    /// Unix ms; set for deleted users (tombstones).
    pub deleted_at: Option<i64>,
    /// The event row that last wrote this user.
    pub last_event_id: i64,
    /// Every email address, primary first.
    pub emails: Vec<String>,
    /// `public_metadata`.
    pub public_metadata: serde_json::Value,
}

/// One session row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SessionRow {
    /// `sess_…`.
    pub id: String,
    /// The user it belongs to.
    pub user_id: String,
    /// Status.
    pub status: Option<String>,
    /// Sign-in time, Unix ms.
    pub created_at: Option<i64>,
    /// Unix ms.
    pub updated_at: Option<i64>,
    /// The Clerk client (browser or device) it lives on.
    pub client_id: Option<String>,
    /// Last activity Clerk reported, Unix ms.
    pub last_active_at: Option<i64>,
    /// When it expires, Unix ms.
    pub expire_at: Option<i64>,
}

/// A user with everything known about it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UserDetail {
    /// The row.
    pub user: UserRow,
    /// The user object exactly as received in the event that last wrote the row.
    pub raw: Option<String>,
    /// Sessions, newest first.
    pub sessions: Vec<SessionRow>,
    /// Events about this user, newest first.
    pub timeline: Vec<EventSummary>,
}

/// One page of users.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UserPage {
    /// The users, in the query's order.
    pub items: Vec<UserRow>,
    /// Pass as `before` for the next page.
    pub next_cursor: Option<i64>,
}

pub(crate) const USER_COLUMNS: &str = "rowid, id, primary_email, primary_phone, username, first_name, \
    last_name, image_url, created_at, updated_at, last_sign_in_at, deleted_at, last_event_id, \
    emails, public_metadata";

/// The columns `session_from_row` reads, in order.
pub(crate) const SESSION_COLUMNS: &str =
    "id, user_id, status, created_at, updated_at, client_id, last_active_at, expire_at";

pub(crate) fn session_from_row(r: &Row<'_>) -> rusqlite::Result<SessionRow> {
    Ok(SessionRow {
        id: r.get(0)?,
        user_id: r.get(1)?,
        status: r.get(2)?,
        created_at: r.get(3)?,
        updated_at: r.get(4)?,
        client_id: r.get(5)?,
        last_active_at: r.get(6)?,
        expire_at: r.get(7)?,
    })
}

pub(crate) fn user_from_row(r: &Row<'_>) -> rusqlite::Result<UserRow> {
    let emails: String = r.get(13)?;
    let metadata: String = r.get(14)?;
    Ok(UserRow {
        seq: r.get(0)?,
        id: r.get(1)?,
        primary_email: r.get(2)?,
        primary_phone: r.get(3)?,
        username: r.get(4)?,
        first_name: r.get(5)?,
        last_name: r.get(6)?,
        image_url: r.get(7)?,
        created_at: r.get(8)?,
        updated_at: r.get(9)?,
        last_sign_in_at: r.get(10)?,
        deleted_at: r.get(11)?,
        last_event_id: r.get(12)?,
        emails: serde_json::from_str(&emails).unwrap_or_default(),
        public_metadata: serde_json::from_str(&metadata)
            .unwrap_or_else(|e| unreadable_metadata(&e, metadata.len())),
    })
}

/// What the table shows for stored metadata it cannot read back (never a bare `null`).
fn unreadable_metadata(e: &serde_json::Error, bytes: usize) -> serde_json::Value {
    let why = if e.to_string().contains("recursion limit") {
        "nested deeper than 128 levels".to_owned()
    } else {
        format!("not readable JSON ({e})")
    };
    serde_json::Value::String(format!(
        "({bytes} bytes of public_metadata, {why}: the event body has it exactly as received)"
    ))
}

/// The orders the users table offers; every one pages by cursor and puts missing values last.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum UserSort {
    /// The order users were first seen.
    #[default]
    Seq,
    /// `user_…` id.
    Id,
    /// Primary email address (case-insensitive).
    PrimaryEmail,
    /// First and last name (case-insensitive).
    Name,
    /// Username (case-insensitive).
    Username,
    /// Primary phone number.
    PrimaryPhone,
    /// Created in Clerk.
    CreatedAt,
    /// Updated in Clerk.
    UpdatedAt,
    /// Last sign-in.
    LastSignInAt,
    /// Deleted (tombstones).
    DeletedAt,
}

impl UserSort {
    /// The column expression sorted on (NULL when the user has no value).
    fn column(self) -> &'static str {
        match self {
            Self::Seq => "rowid",
            Self::Id => "id",
            Self::PrimaryEmail => "lower(primary_email)",
            Self::Name => {
                "nullif(lower(trim(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))), '')"
            }
            Self::Username => "lower(username)",
            Self::PrimaryPhone => "primary_phone",
            Self::CreatedAt => "created_at",
            Self::UpdatedAt => "updated_at",
            Self::LastSignInAt => "last_sign_in_at",
            Self::DeletedAt => "deleted_at",
        }
    }

    /// The sort key: the column with NULL replaced by a value that sorts after every value in
    /// the chosen direction (SQLite orders integers < text < blobs), so keyset paging works.
    /// The first-seen order and the id are never NULL and need no replacement, so SQLite
    /// reads them in order (rowid, the id's index) instead of sorting every user.
    fn key(self, descending: bool) -> String {
        if self.unique() {
            return self.column().to_owned();
        }
        let last = if descending {
            "-9223372036854775808"
        } else {
            "X'FF'"
        };
        format!("coalesce({}, {last})", self.column())
    }

    /// Whether every user has a different, non-NULL value.
    fn unique(self) -> bool {
        matches!(self, Self::Seq | Self::Id)
    }

    /// "After the cursor row ?1" in this order (`op` is `<` or `>`).
    fn after_cursor(self, key: &str, op: &str) -> String {
        if self.unique() {
            format!("{key} {op} (SELECT {key} FROM users WHERE rowid = ?1)")
        } else {
            format!("({key}, rowid) {op} ((SELECT {key} FROM users WHERE rowid = ?1), ?1)")
        }
    }
}

/// What the users table asks for.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
pub struct UserQuery {
    /// Substring of the id, any email, phone, username or name.
    pub search: Option<String>,
    /// The order (default: first seen).
    #[serde(default)]
    pub sort: UserSort,
    /// Largest first (default for `seq`; missing values stay last either way).
    #[serde(default)]
    pub descending: bool,
    /// The previous page's `next_cursor`.
    pub before: Option<i64>,
    /// Page size (default 50, at most 500).
    pub limit: Option<u32>,
}

impl UserQuery {
    /// Newest first, like the table opens.
    pub fn newest(search: Option<String>, before: Option<i64>, limit: u32) -> Self {
        Self {
            search,
            sort: UserSort::Seq,
            descending: true,
            before,
            limit: Some(limit),
        }
    }
}

/// Lists users in the query's order; `search` matches id, emails, phone, username and names.
/// Pages continue after the cursor row's current sort key (a keyset, so live inserts never
/// shift a page). A search held by few users reads only them, through the users index
/// (store/user_text.rs); the exact text still decides.
pub fn list_users(conn: &Connection, query: &UserQuery) -> rusqlite::Result<UserPage> {
    let limit = query.limit.unwrap_or(50).clamp(1, 500);
    let search = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let pattern = search.map(|s| format!("%{}%", escape_like(s)));
    let narrow = match search.and_then(user_text::trigrams_query) {
        Some(trigrams) => few_hold(conn, &trigrams)?,
        None => None,
    };
    let key = query.sort.key(query.descending);
    let (op, dir) = if query.descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    let after = query.sort.after_cursor(&key, op);
    let among = if narrow.is_some() {
        format!("rowid IN ({}) AND ", user_text::candidates(4, 5))
    } else {
        String::new()
    };
    // The page's rowids are chosen first, so sorting carries only the key, not whole rows.
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users WHERE rowid IN (SELECT rowid FROM users \
         WHERE {among}(?1 IS NULL OR {after}) AND (?2 IS NULL \
         OR id LIKE ?2 ESCAPE '\\' OR emails LIKE ?2 ESCAPE '\\' \
         OR primary_phone LIKE ?2 ESCAPE '\\' OR username LIKE ?2 ESCAPE '\\' \
         OR (coalesce(first_name, '') || ' ' || coalesce(last_name, '')) LIKE ?2 ESCAPE '\\') \
         ORDER BY {key} {dir}, rowid {dir} LIMIT ?3) ORDER BY {key} {dir}, rowid {dir}"
    );
    let want = i64::from(limit) + 1;
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = match &narrow {
        Some((found, upto)) => stmt.query_map(
            params![query.before, pattern, want, found, upto],
            user_from_row,
        )?,
        None => stmt.query_map(params![query.before, pattern, want], user_from_row)?,
    };
    let items = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    let (items, next_cursor) = page(items, limit, |u| u.seq);
    Ok(UserPage { items, next_cursor })
}

/// The index's matches for the search and its mark, when fewer than
/// [`user_text::MAX_CANDIDATES`] indexed users hold every trigram of it; `None` when more do
/// or the database has no users index yet (opened for reading before an upgrade).
fn few_hold(conn: &Connection, trigrams: &str) -> rusqlite::Result<Option<(String, i64)>> {
    let Some(upto) = conn
        .query_row(
            "SELECT upto FROM index_state WHERE name = 'user_text'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .optional()?
    else {
        return Ok(None);
    };
    Ok(user_text::matches(conn, trigrams)?.map(|found| (found, upto)))
}

/// How many users are synced (active, and deleted: tombstones), and which users signed in
/// although their user object never arrived: the usual answer to "why is this user missing?"
/// (user.created not selected in Clerk, or its delivery failed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UserCounts {
    /// Users not deleted.
    pub active: i64,
    /// Users Clerk deleted (kept as tombstones).
    pub deleted: i64,
    /// Users a verified sign-in named whose user object never arrived (counted up to
    /// [`MISSING_COUNTED`]).
    pub missing: i64,
    /// The latest of them (up to 5), newest sign-in first.
    pub missing_ids: Vec<String>,
}

/// Missing users counted at most: past that, the number matters less than the cause.
pub const MISSING_COUNTED: i64 = 1000;

/// Counts the users (see [`UserCounts`]).
pub fn count_users(conn: &Connection) -> rusqlite::Result<UserCounts> {
    let (active, deleted) = conn.query_row(
        "SELECT count(*) FILTER (WHERE deleted_at IS NULL), \
         count(*) FILTER (WHERE deleted_at IS NOT NULL) FROM users",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    // Sign-ins seen before their user stay in `early_sign_ins` until the user arrives (the
    // writer deletes them then, migration 0011 did for older databases), so its rows are the
    // missing users; the check against `users` only guards that, a lookup per row of a small
    // table.
    const UNKNOWN: &str = "FROM early_sign_ins e WHERE NOT EXISTS \
                           (SELECT 1 FROM users u WHERE u.id = e.user_id)";
    let missing = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM (SELECT 1 {UNKNOWN} LIMIT ?1)"
        ))?
        .query_row([MISSING_COUNTED], |r| r.get(0))?;
    let missing_ids = conn
        .prepare_cached(&format!(
            "SELECT e.user_id {UNKNOWN} ORDER BY e.at DESC LIMIT 5"
        ))?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(UserCounts {
        active,
        deleted,
        missing,
        missing_ids,
    })
}

/// One user with sessions and timeline (the latest 200 events).
pub fn get_user(conn: &Connection, id: &str) -> rusqlite::Result<Option<UserDetail>> {
    let Some((user, body)) = conn
        .prepare_cached(&format!(
            "SELECT {USER_COLUMNS}, (SELECT body FROM events WHERE events.id = users.last_event_id) \
             FROM users WHERE id = ?1"
        ))?
        .query_row([id], |r| Ok((user_from_row(r)?, r.get::<_, Option<Vec<u8>>>(15)?)))
        .optional()?
    else {
        return Ok(None);
    };
    let raw = body.as_deref().and_then(crate::clerk::raw_data);
    let sessions = conn
        .prepare_cached(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = ?1 \
             ORDER BY created_at DESC LIMIT 100"
        ))?
        .query_map([id], session_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let timeline = conn
        .prepare_cached(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM events WHERE id IN ({}) ORDER BY id DESC LIMIT 200",
            ids_about_user(1)
        ))?
        .query_map([id], summary_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Some(UserDetail {
        user,
        raw,
        sessions,
        timeline,
    }))
}
