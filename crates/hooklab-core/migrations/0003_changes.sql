-- 0003: the change feed, and replays linked to what they replay.

-- Every change a viewer must show gets the next number of this one sequence, written in the
-- same transaction as the change: a new event, a redelivery bumping a stored event, a replay
-- linked to an event, a user or session row written, a tunnel state. Viewers ask "since N";
-- writes from other processes on this database are found the same way. Old rows are pruned
-- (a viewer that fell behind the oldest row reloads).
CREATE TABLE changes (
  seq     INTEGER PRIMARY KEY,  -- the sequence; never reused (the newest row is never pruned)
  kind    TEXT    NOT NULL,     -- event | user | session | tunnel
  ref_id  INTEGER,              -- events.id (event) or tunnel_states.id (tunnel)
  ref_key TEXT                  -- users.id (user) or sessions.id (session)
);

-- A replay is a new event row; this links it to the event it replays. Only replays write here,
-- so ordinary deliveries pay nothing for it.
CREATE TABLE replays (
  event_id  INTEGER PRIMARY KEY, -- the replay's events.id
  replay_of INTEGER NOT NULL     -- the replayed events.id
);
CREATE INDEX replays_of ON replays (replay_of);

-- A replay of a delivered message is stored as its own row (outcome `duplicate`), so the
-- verified svix-id is no longer unique on events. Each message's *delivery* (its first verified
-- row at the webhook path, which redeliveries from Svix bump) is kept here instead, looked up by
-- primary key: a non-unique index on the generated column made SQLite re-prepare the lookup on
-- every call (measured: +18% writer CPU per event).
CREATE TABLE deliveries (
  svix_id  TEXT PRIMARY KEY,
  event_id INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO deliveries (svix_id, event_id)
  SELECT verified_svix_id, min(id) FROM events WHERE verified_svix_id IS NOT NULL
  GROUP BY verified_svix_id;
DROP INDEX events_verified_svix_id;
