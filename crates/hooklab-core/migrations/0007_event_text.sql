-- 0007: searching event text as an index lookup. `events --search TEXT` read every body (about
-- a second at 475,000 events). `event_text` holds the words of each event (svix-id, type, user
-- id, path, body) in a contentless FTS5 index: only the word lists, not the text again, and
-- no positions. The writer fills it in slices while no request waits (store/text_index.rs);
-- queries scan the events it has not reached yet (id > index_state.upto).
CREATE VIRTUAL TABLE event_text USING fts5(text, content = '', contentless_delete = 1, detail = none);
INSERT INTO index_state (name, upto) VALUES ('event_text', 0);
-- Pruned events leave the index with them.
CREATE TRIGGER event_text_prune AFTER DELETE ON events BEGIN
  DELETE FROM event_text WHERE rowid = old.id;
END;
