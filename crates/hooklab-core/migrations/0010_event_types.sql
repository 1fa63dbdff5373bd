-- 0010: every event type a verified event has had, for the app's type filter (the log's loaded
-- rows cannot tell which types older events have). Filled in slices by the writer's index pass
-- (store/text_index.rs), from the start for a database that had events before; never pruned:
-- a type whose events were all pruned stays listed and filters to nothing. Unverified
-- requests are left out: anyone can claim any type.
CREATE TABLE event_types (
  event_type TEXT PRIMARY KEY
) WITHOUT ROWID;
INSERT INTO index_state (name, upto) VALUES ('event_types', 0);
