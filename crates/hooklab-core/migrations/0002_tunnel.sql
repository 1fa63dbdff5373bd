-- 0002: the tunnel's state changes, oldest first; the UI shows the latest as a timeline.
CREATE TABLE tunnel_states (
  id     INTEGER PRIMARY KEY,          -- write order
  at     INTEGER NOT NULL,             -- Unix ms
  state  TEXT    NOT NULL,             -- off | connecting | online | reconnecting | failed
  url    TEXT,                         -- the public URL, while online
  detail TEXT                          -- retry delay and error, error and hint, or the URL-change warning
);
