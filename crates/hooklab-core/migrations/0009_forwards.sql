-- 0009: what the user's own app answered when Hooklab forwarded an event to it (the latest
-- forward of each event). Only forwarding writes here, so ordinary deliveries pay nothing; the
-- event log reads one row per event it shows, by primary key.
CREATE TABLE forwards (
  event_id   INTEGER PRIMARY KEY,  -- events.id
  url        TEXT    NOT NULL,     -- where it was posted
  at         INTEGER NOT NULL,     -- Unix ms it was sent
  status     INTEGER,              -- the app's HTTP status; NULL: it did not answer
  elapsed_ms REAL    NOT NULL,     -- to the full answer, or to the failure
  error      TEXT,                 -- why it did not answer (refused, timeout)
  body       TEXT    NOT NULL      -- the app's answer, its first 16 KiB
);
