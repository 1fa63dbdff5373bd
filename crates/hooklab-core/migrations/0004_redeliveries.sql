-- 0004: each redelivery of a delivered message, so its detail can list every delivery (the
-- first is the event row itself). Only redeliveries write here; ordinary deliveries pay nothing.
CREATE TABLE redeliveries (
  event_id       INTEGER NOT NULL,  -- the message's delivery (events.id) it bumped
  at             INTEGER NOT NULL,  -- Unix ms
  source         TEXT    NOT NULL,  -- local | tunnel
  remote_addr    TEXT,
  svix_timestamp INTEGER            -- Unix s, as signed for this attempt
);
CREATE INDEX redeliveries_event ON redeliveries (event_id);
