-- 0001: every captured request, and the users and sessions synced from verified events.
-- Large columns come last so scans of the small ones never read overflow pages.
CREATE TABLE events (
  id                  INTEGER PRIMARY KEY,     -- capture order; the change cursor
  received_at         INTEGER NOT NULL,        -- Unix ms of the first delivery
  source              TEXT    NOT NULL,        -- local | tunnel | replay | test
  remote_addr         TEXT,
  method              TEXT    NOT NULL,
  path                TEXT    NOT NULL,        -- path and query as received
  status              INTEGER NOT NULL,        -- the HTTP status Hooklab answered
  svix_id             TEXT,
  svix_timestamp      INTEGER,                 -- Unix s, as sent
  event_type          TEXT,
  user_id             TEXT,
  verification        TEXT    NOT NULL,        -- code, see docs/schema.md
  sync                TEXT    NOT NULL,        -- applied | stale | duplicate | ignored | error | not_synced
  delivery_count      INTEGER NOT NULL DEFAULT 1,
  last_delivery_at    INTEGER NOT NULL,        -- Unix ms
  body_size           INTEGER NOT NULL,
  verification_detail TEXT    NOT NULL,        -- JSON of the typed outcome
  sync_detail         TEXT    NOT NULL,
  hint                TEXT,
  headers             BLOB    NOT NULL,        -- "name: value\r\n" lines, bytes as received
  body                BLOB    NOT NULL,        -- raw bytes as received
  -- The svix-id of a verified delivery at the webhook path (404 = another path), NULL
  -- otherwise. A plain unique index on this virtual column (not a partial index on svix_id,
  -- whose bound-parameter check makes SQLite re-prepare the lookup on every call) keeps one
  -- row per delivered message.
  verified_svix_id    TEXT GENERATED ALWAYS AS
                        (CASE WHEN verification = 'verified' AND status <> 404 THEN svix_id END)
                        VIRTUAL
);
-- One verified row per Svix message: redeliveries bump delivery_count instead.
CREATE UNIQUE INDEX events_verified_svix_id ON events (verified_svix_id);

-- Events per user, for timelines and the user filter. The writer fills it in sorted bulk about
-- once a second instead of one random index write per event (that index was a third of the
-- pages an event dirtied). Events with id > index_state.upto are not in it yet; queries add
-- them by scanning that short tail by rowid, and opening the store catches it up.
CREATE TABLE user_events (
  user_id  TEXT    NOT NULL,
  event_id INTEGER NOT NULL,
  PRIMARY KEY (user_id, event_id)
) WITHOUT ROWID;
CREATE TABLE index_state (
  name TEXT PRIMARY KEY,
  upto INTEGER NOT NULL                        -- every event with id <= upto is indexed
);
INSERT INTO index_state (name, upto) VALUES ('user_events', 0);

CREATE TABLE users (
  id              TEXT PRIMARY KEY,
  primary_email   TEXT,
  primary_phone   TEXT,
  username        TEXT,
  first_name      TEXT,
  last_name       TEXT,
  image_url       TEXT,
  created_at      INTEGER,                     -- Unix ms, from Clerk
  updated_at      INTEGER,                     -- Unix ms, from Clerk; orders user events
  last_sign_in_at INTEGER,                     -- only moves forward
  deleted_at      INTEGER,                     -- tombstone: set by user.deleted, final
  -- events.id whose user object this row holds; that event's body carries the object exactly
  -- as received (kept once, not copied here, so a user write touches few pages)
  last_event_id   INTEGER NOT NULL,
  emails          TEXT NOT NULL DEFAULT '[]',  -- JSON array, primary first
  public_metadata TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE sessions (
  id             TEXT PRIMARY KEY,
  user_id        TEXT NOT NULL,
  client_id      TEXT,
  status         TEXT,
  created_at     INTEGER,                      -- the sign-in time
  updated_at     INTEGER,
  last_active_at INTEGER,
  expire_at      INTEGER,
  last_event_id  INTEGER NOT NULL             -- events.id whose session object this row holds
);
-- No index on sessions.user_id: it cost a random page write for every session event. Listing a
-- user's sessions scans this small table; sync only needs early_sign_ins below.

-- Sign-ins seen before their user exists (delivery order is not guaranteed): the latest one per
-- user, merged into users.last_sign_in_at when the user arrives. Written only in that case.
CREATE TABLE early_sign_ins (
  user_id TEXT PRIMARY KEY,
  at      INTEGER NOT NULL
) WITHOUT ROWID;
