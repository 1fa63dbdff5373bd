-- 0006: outcome filters as index lookups. `events --outcome failed` scanned every event when
-- failures were rare (1.7 s at 500,000 events). Partial indexes hold only the unusual rows,
-- so ordinary deliveries pay nothing: the queries repeat each index's WHERE term literally
-- so that SQLite can use it (store/events.rs, `outcome_sql`).
CREATE INDEX events_failed ON events (id)
  WHERE verification <> 'verified' OR status NOT BETWEEN 200 AND 299;
CREATE INDEX events_unsynced ON events (sync, id) WHERE sync <> 'applied';
CREATE INDEX events_redelivered ON events (id) WHERE delivery_count > 1;
