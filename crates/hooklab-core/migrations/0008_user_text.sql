-- 0008: searching users as an index lookup. `users --search TEXT` read every user (50–90 ms at
-- 100,000 users). `user_text` holds the trigrams of each user's id, emails, phone, username
-- and name in a contentless FTS5 index (no positions): a text of three characters or more
-- narrows to the users that hold all its trigrams, and the exact text decides. The writer
-- re-indexes the users an event wrote, in slices, up to `index_state.upto` (an events.id);
-- searches also check the users written by later events (store/user_text.rs).
CREATE VIRTUAL TABLE user_text USING fts5(text, content = '', contentless_delete = 1, tokenize = 'trigram', detail = none);
INSERT INTO index_state (name, upto) VALUES ('user_text', 0);
-- Both indexes lose rows (pruned events; re-indexed users). By default FTS5 rewrites a segment
-- once 10% of its rows are deleted, which for a large segment held the writer 0.2–0.5 s per
-- pruning slice (measured); deleted rows are dropped by the ordinary merges instead.
INSERT INTO event_text (event_text, rank) VALUES ('deletemerge', 0);
INSERT INTO user_text (user_text, rank) VALUES ('deletemerge', 0);
