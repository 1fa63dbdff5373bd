// Unit tests for the change-batch store: inserts, redelivery bumps in place, users upsert, reset,
// paused buffering, filters, and pins surviving Clear.
import { describe, expect, it, vi } from 'vitest';
import type { ChangeBatch, EventFilter, EventSummary, UserQuery, UserRow } from '../types';
import { EventLog, NO_FILTER, PAGE_SIZE, WINDOW_ROWS, backendFilter, matches } from './events.svelte';
import { LIVE_USER_ROWS, USER_PAGE_SIZE, UserTable, pageOfUsers } from './users.svelte';
import { Live } from './live.svelte';
import type { KeyValue } from './pins.svelte';

function event(id: number, patch: Partial<EventSummary> = {}): EventSummary {
  return {
    id,
    received_at: 1_750_000_000_000 + id * 1000,
    source: 'tunnel',
    remote_addr: null,
    method: 'POST',
    path: '/api/webhooks/clerk',
    status: 200,
    svix_id: `msg_${id}`,
    svix_timestamp: 1_750_000_000 + id,
    event_type: 'user.created',
    user_id: `user_${id}`,
    verification: 'verified',
    sync: 'applied',
    sync_detail: '',
    hint: null,
    delivery_count: 1,
    last_delivery_at: 1_750_000_000_000 + id * 1000,
    body_size: 100,
    forwarded: null,
    ...patch,
  };
}

function user(seq: number, id: string, patch: Partial<UserRow> = {}): UserRow {
  return {
    seq,
    id,
    primary_email: `${id}@example.com`,
    primary_phone: null,
    username: null,
    first_name: null,
    last_name: null,
    image_url: null,
    created_at: 1,
    updated_at: 1,
    last_sign_in_at: null,
    deleted_at: null,
    last_event_id: 1,
    emails: [`${id}@example.com`],
    public_metadata: {},
    ...patch,
  };
}

function batch(patch: Partial<ChangeBatch>): ChangeBatch {
  return { upto: 1, reset: false, more: false, events: [], users: [], sessions: [], tunnel: null, ...patch };
}

function memory(): KeyValue & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

/** A backend holding `events` (any order), answering pages newest first like list_events
 * (upward pages from `after` with `oldest_first`). */
function backend(events: EventSummary[], users: UserRow[] = []) {
  const db = { events: [...events], users: [...users], bodies: new Map<number, string>() };
  const found = (e: EventSummary, text: string) =>
    [e.svix_id, e.event_type, e.user_id, e.path, db.bodies.get(e.id)].some((h) => h?.includes(text));
  const list = vi.fn(async (f: EventFilter) => {
    const all = db.events
      .filter((e) => (f.before == null || e.id < f.before) && (f.after == null || e.id > f.after))
      .filter((e) => (!f.event_type || e.event_type === f.event_type) && (!f.text || found(e, f.text)))
      .sort((a, b) => b.id - a.id);
    const limit = f.limit ?? 50;
    if (f.oldest_first) {
      const items = all.slice(-limit);
      return { items, next_cursor: all.length > limit ? items[0].id : null };
    }
    const items = all.slice(0, limit);
    return { items, next_cursor: all.length > limit ? items[items.length - 1].id : null };
  });
  const some = vi.fn(async (ids: number[]) => db.events.filter((e) => ids.includes(e.id)));
  const listUsers = vi.fn(async (q: UserQuery) => pageOfUsers(db.users, q));
  return { db, list, some, listUsers };
}

async function setup(events: EventSummary[], users: UserRow[] = [], storage = memory()) {
  const b = backend(events, users);
  const log = new EventLog({ list: b.list, some: b.some }, storage);
  const table = new UserTable({ list: b.listUsers });
  const live = new Live(log, table);
  await Promise.all([log.reload(), table.reload()]);
  return { b, log, table, live, storage };
}

const ids = (rows: { id: number }[]) => rows.map((e) => e.id);

describe('Live.apply: events', () => {
  it('inserts new events newest first', async () => {
    const { log, live } = await setup([event(1), event(2), event(3)]);
    expect(ids(log.rows)).toEqual([3, 2, 1]);
    live.apply(batch({ upto: 2, events: [event(4), event(5)] }));
    expect(ids(log.rows)).toEqual([5, 4, 3, 2, 1]);
  });

  it('keeps id order when changes arrive out of order', async () => {
    const { log, live } = await setup([event(1), event(4)]);
    live.apply(batch({ upto: 2, events: [event(6), event(2), event(5)] }));
    expect(ids(log.rows)).toEqual([6, 5, 4, 2, 1]);
  });

  it('updates a redelivered event in place: delivery count bumped, no new row', async () => {
    const { log, live } = await setup([event(1), event(2), event(3)]);
    live.apply(batch({ upto: 2, events: [event(2, { delivery_count: 2, last_delivery_at: 9 })] }));
    expect(ids(log.rows)).toEqual([3, 2, 1]);
    expect(log.rows[1].delivery_count).toBe(2);
    expect(log.rows[1].last_delivery_at).toBe(9);
  });

  it('leaves events older than the loaded pages to paging', async () => {
    const many = Array.from({ length: 450 }, (_, i) => event(i + 10));
    const { log, live } = await setup(many);
    expect(log.rows).toHaveLength(200);
    expect(log.hasMore).toBe(true);
    live.apply(batch({ upto: 2, events: [event(3)] }));
    expect(log.rows).toHaveLength(200);
    await log.loadMore();
    await log.loadMore();
    expect(log.rows).toHaveLength(450);
    expect(log.hasMore).toBe(false);
    expect(ids(log.rows).at(-1)).toBe(10);
  });

  it('does not insert events that the filter excludes, but updates ones shown', async () => {
    const { log, live } = await setup([event(1), event(2, { event_type: 'session.created' })]);
    await log.setFilter({ type: 'user.created' });
    expect(ids(log.rows)).toEqual([1]);
    live.apply(batch({ upto: 2, events: [event(3, { event_type: 'session.created' }), event(4)] }));
    expect(ids(log.rows)).toEqual([4, 1]);
  });

  it('ignores batches at or below the cursor', async () => {
    const { log, live } = await setup([event(1)]);
    live.cursor = 10;
    live.apply(batch({ upto: 9, events: [event(2)] }));
    expect(ids(log.rows)).toEqual([1]);
    live.apply(batch({ upto: 11, events: [event(3)] }));
    expect(ids(log.rows)).toEqual([3, 1]);
    expect(live.cursor).toBe(11);
  });

  it('queues changes that arrive while the first page loads', async () => {
    const b = backend([event(1)]);
    const log = new EventLog({ list: b.list, some: b.some }, memory());
    const live = new Live(log, new UserTable({ list: b.listUsers }));
    const loading = log.reload();
    live.apply(batch({ upto: 1, events: [event(2)] }));
    await loading;
    expect(ids(log.rows)).toEqual([2, 1]);
  });
});

describe('Live.apply: users and sessions', () => {
  it('upserts users by id: changed rows in place, new ones on top', async () => {
    const { table, live } = await setup([], [user(1, 'user_a'), user(2, 'user_b')]);
    expect(table.rows.map((u) => u.id)).toEqual(['user_b', 'user_a']);
    live.apply(batch({ upto: 1, users: [user(1, 'user_a', { first_name: 'Ada' }), user(3, 'user_c')] }));
    expect(table.rows.map((u) => u.id)).toEqual(['user_c', 'user_b', 'user_a']);
    expect(table.rows[2].first_name).toBe('Ada');
  });

  it('counts batches that change user rows, for the users count', async () => {
    const { live } = await setup([]);
    live.apply(batch({ upto: 1 }));
    expect(live.userChanges).toBe(0);
    live.apply(batch({ upto: 2, users: [user(1, 'user_a')] }));
    expect(live.userChanges).toBe(1);
  });

  it('keeps sessions by id', async () => {
    const { live } = await setup([]);
    const s = { id: 'sess_1', user_id: 'user_a', status: 'active', created_at: 1, updated_at: 1, client_id: null, last_active_at: null, expire_at: null };
    live.apply(batch({ upto: 1, sessions: [s] }));
    live.apply(batch({ upto: 2, sessions: [{ ...s, status: 'ended', updated_at: 2 }] }));
    expect(live.sessionsOf('user_a')).toEqual([{ ...s, status: 'ended', updated_at: 2 }]);
  });

  it('takes the tunnel state from the timeline row when it changed', async () => {
    const { live } = await setup([]);
    live.webhookPath = '/hook';
    live.apply(batch({ upto: 1, tunnel: { id: 1, at: 1, state: 'online', url: 'https://a.ngrok.app', detail: null } }));
    expect(live.tunnel).toMatchObject({ state: 'online', webhook_url: 'https://a.ngrok.app/hook' });
    live.apply(batch({ upto: 2, tunnel: { id: 2, at: 2, state: 'reconnecting', url: null, detail: 'attempt 2, next in 1.5 s: refused' } }));
    expect(live.tunnel).toMatchObject({ state: 'reconnecting', attempt: 2, retry_in_ms: 1500, last_error: 'refused' });
    live.apply(batch({ upto: 3, tunnel: { id: 3, at: 3, state: 'failed', url: null, detail: 'rejected\nCopy it again' } }));
    expect(live.tunnel).toMatchObject({ state: 'failed', error: 'rejected', hint: 'Copy it again' });
  });
});

describe('a long live tail', () => {
  it('keeps the newest rows in memory and lets the oldest page back in', async () => {
    const { b, log, live } = await setup([event(1), event(2)]);
    const burst = Array.from({ length: WINDOW_ROWS + 500 }, (_, i) => event(i + 3));
    b.db.events.push(...burst);
    live.apply(batch({ upto: 2, events: burst }));
    expect(log.rows).toHaveLength(WINDOW_ROWS);
    expect(log.rows[0].id).toBe(WINDOW_ROWS + 502);
    expect(log.hasMore).toBe(true);
    expect(log.hasNewer).toBe(false);
    // Scrolled to the bottom: the next page comes in and the top is let go.
    log.viewTop = log.rows.at(-20)!.id;
    await log.loadMore();
    expect(log.rows).toHaveLength(WINDOW_ROWS);
    expect(log.rows.at(-1)?.id).toBe(503 - PAGE_SIZE);
    expect(log.rows[0].id).toBe(WINDOW_ROWS + 502 - PAGE_SIZE);
    expect(log.hasNewer).toBe(true);
  });
});

describe('the window over a long log', () => {
  const total = 3 * WINDOW_ROWS + 77;
  const all = Array.from({ length: total }, (_, i) => event(i + 1));

  it('scrolls down and back up through every event, never holding more than the window', async () => {
    const { log } = await setup(all);
    const seen = new Set(ids(log.rows));
    while (log.hasMore) {
      log.viewTop = log.rows.at(-10)!.id;
      await log.loadMore();
      expect(log.rows.length).toBeLessThanOrEqual(WINDOW_ROWS);
      ids(log.rows).forEach((id) => seen.add(id));
    }
    expect(seen.size).toBe(total);
    expect(log.rows.at(-1)?.id).toBe(1);
    expect(log.hasNewer).toBe(true);
    while (log.hasNewer) {
      const top = log.rows[0].id;
      log.viewTop = log.rows[10].id;
      await log.loadNewer();
      expect(log.rows.length).toBeLessThanOrEqual(WINDOW_ROWS);
      // The page just above: no gap, no repeat.
      expect(log.rows[log.rows.findIndex((e) => e.id === top) - 1]?.id).toBe(top + 1);
      expect(new Set(ids(log.rows)).size).toBe(log.rows.length);
    }
    expect(log.rows[0].id).toBe(total);
    expect(log.hasMore).toBe(true);
  });

  it('counts arrivals above the window instead of showing them, and shows them on the way back up', async () => {
    const { b, log, live } = await setup(all);
    while (log.rows.at(-1)!.id > WINDOW_ROWS) {
      log.viewTop = log.rows.at(-10)!.id;
      await log.loadMore();
    }
    expect(log.hasNewer).toBe(true);
    const top = log.rows[0].id;
    const arrivals = [event(total + 1), event(total + 2, { event_type: 'session.created' })];
    b.db.events.push(...arrivals);
    live.apply(batch({ upto: 2, events: arrivals }));
    expect(log.rows[0].id).toBe(top);
    expect(log.newer).toBe(2);
    // A redelivery of a row in the window still updates it in place.
    live.apply(batch({ upto: 3, events: [event(top, { delivery_count: 2 })] }));
    expect(log.rows[0].delivery_count).toBe(2);
    expect(log.newer).toBe(2);
    // Back up to the top: the arrivals are there, and new ones show again.
    while (log.hasNewer) {
      log.viewTop = log.rows[10].id;
      await log.loadNewer();
    }
    expect(ids(log.rows.slice(0, 2))).toEqual([total + 2, total + 1]);
    expect(log.newer).toBe(0);
    live.apply(batch({ upto: 4, events: [event(total + 3)] }));
    expect(log.rows[0].id).toBe(total + 3);
  });

  it('jumps back to the newest rows on reload', async () => {
    const { log } = await setup(all);
    while (!log.hasNewer) {
      log.viewTop = log.rows.at(-10)!.id;
      await log.loadMore();
    }
    await log.reload();
    expect(log.hasNewer).toBe(false);
    expect(log.rows[0].id).toBe(total);
  });
});

describe('the failed filter', () => {
  it('matches what Clerk shows as failed: unverified, or verified but not answered 2xx', () => {
    const failed = { ...NO_FILTER, outcome: 'failed' };
    expect(matches(event(1), failed)).toBe(false);
    expect(matches(event(2, { verification: 'signature_mismatch', status: 401 }), failed)).toBe(true);
    expect(matches(event(3, { status: 404, path: '/hooks/old' }), failed)).toBe(true);
  });

  it('combines with a sync filter: both must hold', () => {
    const verifiedStale = { ...NO_FILTER, outcome: 'verified', sync: 'stale' };
    expect(matches(event(1, { sync: 'stale' }), verifiedStale)).toBe(true);
    expect(matches(event(2), verifiedStale)).toBe(false);
    expect(matches(event(3, { verification: 'signature_mismatch', sync: 'stale' }), verifiedStale)).toBe(false);
    const redelivered = { ...NO_FILTER, sync: 'duplicate' };
    expect(matches(event(4, { delivery_count: 2 }), redelivered)).toBe(true);
  });
});

describe('the time filter', () => {
  it('keeps what arrived within the span', () => {
    const since = 1_800_000_000_000 - 3_600_000;
    const lastHour = { ...NO_FILTER, since: '1h' };
    expect(matches(event(1, { received_at: since + 1_000 }), lastHour, since)).toBe(true);
    expect(matches(event(2, { received_at: since - 1_000 }), lastHour, since)).toBe(false);
    expect(matches(event(3, { received_at: since - 1_000 }), NO_FILTER, null)).toBe(true);
    expect(backendFilter(NO_FILTER, null).since).toBeNull();
  });

  it('fixes the bound when the log loads: every later page asks from the same moment', async () => {
    const { b, log } = await setup(Array.from({ length: 450 }, (_, i) => event(i + 1)));
    b.list.mockClear();
    await log.setFilter({ since: '7d' });
    await new Promise((r) => setTimeout(r, 20));
    await log.loadMore();
    const asked = b.list.mock.calls.map(([f]) => f.since);
    expect(asked.length).toBe(2);
    expect(new Set(asked).size).toBe(1);
    expect(asked[0]).toBe(log.since);
    expect(Math.abs((log.since ?? 0) - (Date.now() - 7 * 24 * 3_600_000))).toBeLessThan(60_000);
  });
});

describe('live search', () => {
  it('shows a new event that matches only inside its body, and not one that does not match', async () => {
    const { b, log, live } = await setup([event(1), event(2)]);
    b.db.bodies.set(2, 'ada@example.com');
    await log.setFilter({ text: 'ada@example' });
    expect(ids(log.rows)).toEqual([2]);
    const hit = event(3);
    const miss = event(4);
    b.db.events.push(hit, miss);
    b.db.bodies.set(3, '{"email":"ada@example.com"}');
    b.db.bodies.set(4, '{"email":"bob@example.com"}');
    live.apply(batch({ upto: 2, events: [hit, miss] }));
    await vi.waitFor(() => expect(ids(log.rows)).toEqual([3, 2]));
    expect(b.list).toHaveBeenLastCalledWith(expect.objectContaining({ text: 'ada@example', after: 2, before: 5 }));
  });
});

describe('users sorted by the backend', () => {
  const people = () => [
    user(1, 'user_a', { username: 'mia' }),
    user(2, 'user_b', { username: 'bob' }),
    user(3, 'user_c', { username: null }),
    user(4, 'user_d', { username: 'Zed' }),
  ];
  const names = (t: UserTable) => t.rows.map((u) => u.username);

  it('asks the backend for the order and flips it on a second click, missing values last', async () => {
    const { b, table } = await setup([], people());
    await table.sortBy('username');
    expect(b.listUsers).toHaveBeenLastCalledWith(expect.objectContaining({ sort: 'username', descending: false, before: null }));
    expect(names(table)).toEqual(['bob', 'mia', 'Zed', null]);
    await table.sortBy('username');
    expect(names(table)).toEqual(['Zed', 'mia', 'bob', null]);
    await table.newestFirst();
    expect(table.rows.map((u) => u.seq)).toEqual([4, 3, 2, 1]);
  });

  it('moves a live-updated user to where its new value sorts, and places new users in order', async () => {
    const { table, live } = await setup([], people());
    await table.sortBy('username');
    live.apply(batch({ upto: 1, users: [user(1, 'user_a', { username: 'aaron' }), user(5, 'user_e', { username: 'nina' })] }));
    expect(names(table)).toEqual(['aaron', 'bob', 'nina', 'Zed', null]);
  });

  it('leaves a new user that sorts past the loaded pages to paging', async () => {
    const many = Array.from({ length: 250 }, (_, i) => user(i + 1, `user_${i}`, { username: `u${String(i).padStart(3, '0')}` }));
    const { table, live } = await setup([], many);
    await table.sortBy('username');
    expect(table.rows).toHaveLength(200);
    expect(table.hasMore).toBe(true);
    live.apply(batch({ upto: 1, users: [user(900, 'user_late', { username: 'zzz' }), user(901, 'user_early', { username: 'a' })] }));
    expect(table.rows).toHaveLength(201);
    expect(table.rows[0].id).toBe('user_early');
    expect(table.rows.some((u) => u.id === 'user_late')).toBe(false);
  });

  it('keeps a bounded number of users through a burst of sign-ups; the rest page back in', async () => {
    const { b, table, live } = await setup([], [user(1, 'user_first')]);
    const burst = Array.from({ length: LIVE_USER_ROWS + 300 }, (_, i) => user(i + 2, `user_${i + 2}`));
    b.db.users.push(...burst);
    live.apply(batch({ upto: 1, users: burst }));
    expect(table.rows).toHaveLength(LIVE_USER_ROWS);
    expect(table.rows[0].id).toBe(`user_${LIVE_USER_ROWS + 301}`);
    expect(table.hasMore).toBe(true);
    await table.loadMore();
    expect(table.rows).toHaveLength(LIVE_USER_ROWS + USER_PAGE_SIZE);
    expect(new Set(table.rows.map((u) => u.id)).size).toBe(table.rows.length);
    await table.loadMore();
    expect(table.rows.at(-1)?.id).toBe('user_first');
    expect(table.hasMore).toBe(false);
  });
});

describe('Live.apply: reset', () => {
  it('reloads events and users from scratch', async () => {
    const { b, log, table, live } = await setup([event(1), event(2)], [user(1, 'user_a')]);
    b.db.events = [event(7), event(8)];
    b.db.users = [user(5, 'user_z')];
    live.apply(batch({ upto: 50, reset: true }));
    await vi.waitFor(() => expect(ids(log.rows)).toEqual([8, 7]));
    await vi.waitFor(() => expect(table.rows.map((u) => u.id)).toEqual(['user_z']));
    expect(live.cursor).toBe(50);
    expect(b.list).toHaveBeenCalledTimes(2);
  });
});

describe('paused live tail', () => {
  it('buffers event changes and applies them on resume', async () => {
    const { log, live } = await setup([event(1), event(2)]);
    live.pause();
    live.apply(batch({ upto: 1, events: [event(3)] }));
    live.apply(batch({ upto: 2, events: [event(2, { delivery_count: 3 }), event(4)] }));
    expect(ids(log.rows)).toEqual([2, 1]);
    expect(log.rows[0].delivery_count).toBe(1);
    expect(live.bufferedCount).toBe(3);
    live.resume();
    expect(ids(log.rows)).toEqual([4, 3, 2, 1]);
    expect(log.rows[2].delivery_count).toBe(3);
    expect(live.bufferedCount).toBe(0);
  });

  it('gives up buffering past what the log holds, and reloads the newest rows on resume', async () => {
    const { b, log, live } = await setup([event(1)]);
    live.pause();
    const flood = Array.from({ length: WINDOW_ROWS + 50 }, (_, i) => event(i + 2));
    b.db.events.push(...flood);
    live.apply(batch({ upto: 2, events: flood.slice(0, 100) }));
    live.apply(batch({ upto: 3, events: flood.slice(100) }));
    expect(live.buffered).toHaveLength(0);
    expect(live.bufferedCount).toBe(WINDOW_ROWS + 50);
    expect(ids(log.rows)).toEqual([1]);
    live.resume();
    await vi.waitFor(() => expect(log.rows[0]?.id).toBe(WINDOW_ROWS + 51));
    expect(live.bufferedCount).toBe(0);
  });

  it('keeps users updating while paused', async () => {
    const { table, live } = await setup([], [user(1, 'user_a')]);
    live.pause();
    live.apply(batch({ upto: 1, users: [user(2, 'user_b')] }));
    expect(table.rows.map((u) => u.id)).toEqual(['user_b', 'user_a']);
  });

  it('defers a reset that arrives while paused until resume', async () => {
    const { b, log, live } = await setup([event(1)]);
    live.pause();
    b.db.events = [event(9)];
    live.apply(batch({ upto: 5, reset: true }));
    expect(ids(log.rows)).toEqual([1]);
    live.resume();
    await vi.waitFor(() => expect(ids(log.rows)).toEqual([9]));
  });
});

describe('pins and Clear', () => {
  it('hides older events on Clear, keeps pinned ones, shows new ones', async () => {
    const { log, live } = await setup([event(1), event(2), event(3)]);
    log.togglePin(2);
    log.clear();
    expect(ids(log.rows)).toEqual([2]);
    live.apply(batch({ upto: 1, events: [event(4)] }));
    expect(ids(log.rows)).toEqual([4, 2]);
    log.unclear();
    expect(ids(log.rows)).toEqual([4, 3, 2, 1]);
  });

  it('persists pins (per database) across restarts; Clear lasts for the session', async () => {
    const storage = memory();
    const first = await setup([event(1), event(2), event(3)], [], storage);
    first.log.pins.scope('/data/a.db');
    first.log.togglePin(1);
    first.log.clear();
    expect(ids(first.log.rows)).toEqual([1]);
    const second = await setup([event(1), event(2), event(3), event(4)], [], storage);
    second.log.pins.scope('/data/a.db');
    expect(second.log.pins.has(1)).toBe(true);
    expect(ids(second.log.rows)).toEqual([4, 3, 2, 1]);
    second.log.pins.scope('/data/b.db');
    expect(second.log.pins.count).toBe(0);
  });

  it('hands the backend the whole pin set on each change and per database', async () => {
    const storage = memory();
    const { log } = await setup([event(1), event(2), event(3)], [], storage);
    const saved: number[][] = [];
    log.pins.onchange = (ids) => saved.push(ids);
    log.pins.scope('/data/a.db');
    log.togglePin(1);
    log.togglePin(3);
    log.togglePin(1);
    log.pins.scope('/data/b.db');
    expect(saved).toEqual([[], [1], [3, 1], [3], []]);
  });

  it('fetches pinned events that are not in the loaded pages', async () => {
    const many = Array.from({ length: 300 }, (_, i) => event(i + 1));
    const { b, log } = await setup(many);
    log.togglePin(5);
    log.clear();
    await vi.waitFor(() => expect(ids(log.rows)).toEqual([5]));
    expect(b.some).toHaveBeenCalledWith([5]);
    expect(log.hasMore).toBe(false);
  });

  it('lists only pinned events in pinned-only mode', async () => {
    const { log } = await setup([event(1), event(2), event(3)]);
    log.togglePin(3);
    log.togglePin(1);
    log.setPinnedOnly(true);
    expect(ids(log.rows)).toEqual([3, 1]);
    log.togglePin(3);
    expect(ids(log.rows)).toEqual([1]);
  });
});
