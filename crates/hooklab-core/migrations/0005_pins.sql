-- 0005: the events the user pinned in the app. Pins lived only in the webview; the retention
-- policy (store/retention.rs) must see them to keep pinned events.
CREATE TABLE pins (
  event_id INTEGER PRIMARY KEY  -- events.id
);
