// Seeds the fake world with a believable past: a first setup with the usual mistakes (browser GET,
// wrong path, no secret, wrong secret), then steady Clerk traffic with redeliveries, stale
// updates, ignored types, replays and test sends; or N events of bulk traffic for scrolling.
import type { Arrival, BodySpec, Person, World } from './world';

/** A small seeded PRNG (mulberry32), so every run shows the same data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A KSUID-looking id (`user_2yJs…`), 27 base62 characters like Clerk's. */
export function ksuid(prefix: string, rand: () => number): string {
  let s = '2';
  for (let i = 0; i < 26; i++) s += B62[Math.floor(rand() * 62)];
  return `${prefix}_${s}`;
}

const FIRST = ['Alex', 'Maya', 'Jonas', 'Priya', 'Noah', 'Lena', 'Omar', 'Sofia', 'Kenji', 'Ines', 'Tariq', 'Emma', 'Luca', 'Aisha', 'Mateo', 'Hana', 'Felix', 'Zoe', 'Ravi', 'Clara'];
const LAST = ['Sample', 'Okafor', 'Lindqvist', 'Raman', 'Fischer', 'Moreau', 'Haddad', 'Costa', 'Tanaka', 'García', 'Nguyen', 'Kowalski', 'Rossi', 'Bello', 'Novak', 'Ito', 'Weber', 'Silva', 'Iyer', 'Dubois'];

export function person(rand: () => number, i: number): Person {
  const kind = rand();
  const first = FIRST[Math.floor(rand() * FIRST.length)];
  const last = LAST[Math.floor(rand() * LAST.length)];
  const slug = `${first}.${last}`.toLowerCase().normalize('NFD').replace(/[^a-z.]/g, '');
  if (kind < 0.08) {
    return { first: null, last: null, username: null, email: null, phone: `+1555555${String(100 + (i % 900)).padStart(4, '0')}` };
  }
  if (kind < 0.16) return { first: null, last: null, username: null, email: `${slug}${i}@example.com`, phone: null };
  const longEmail = kind > 0.95;
  return {
    first,
    last: kind > 0.9 ? `${last}-Van Der Berghe-Montgomery` : last,
    username: kind < 0.6 ? `${first.toLowerCase()}_${i}` : null,
    email: longEmail ? `${slug}.engineering.platform.team+clerk-testing@subsidiary.example-corporation.com` : `${slug}${i % 7 ? i : ''}@example.com`,
    phone: kind > 0.85 ? `+1555555${String(100 + (i % 900)).padStart(4, '0')}` : null,
  };
}

interface Actor {
  id: string;
  p: Person;
  created: number;
  updated: number;
  deleted: boolean;
  sessions: string[];
}

/** Steady traffic from `start` to `end`, `count` events; returns the actors for live traffic. */
export function traffic(world: World, rand: () => number, start: number, end: number, count: number, actors: Actor[] = []): Actor[] {
  const step = (end - start) / Math.max(count, 1);
  let at = start;
  for (let i = 0; i < count; i++) {
    at += step * (0.3 + rand() * 1.4);
    at = Math.min(at, end);
    one(world, rand, Math.round(at), actors, i);
  }
  return actors;
}

/** One plausible Clerk delivery (or oddity) at `at`. */
export function one(world: World, rand: () => number, at: number, actors: Actor[], i: number): void {
  // The last 400 actors are the active ones: keeps each step cheap at 100,000 events.
  const live = actors.slice(-400).filter((a) => !a.deleted);
  const r = rand();
  const svix = () => ksuid('msg', rand);
  const send = (type: string, actor: Actor | null, body: BodySpec, extra: Partial<Arrival> = {}) =>
    world.receive({ at, source: 'tunnel', svixId: svix(), type, userId: actor?.id ?? null, body, signature: 'clerk', ...extra });

  if (live.length < 3 || r < 0.22) {
    const a: Actor = { id: ksuid('user', rand), p: person(rand, actors.length + 1), created: at, updated: at, deleted: false, sessions: [] };
    actors.push(a);
    const sample = a.p.email === null ? 'user.created.phone-only' : a.p.first === null ? 'user.created.no-username' : rand() < 0.3 ? 'user.created.oauth-google' : 'user.created';
    send('user.created', a, { sample, at, userId: a.id, person: a.p, createdAt: at, updatedAt: at });
    return;
  }
  const a = live[Math.floor(rand() * live.length)];
  if (r < 0.55) {
    const sid = ksuid('sess', rand);
    a.sessions.push(sid);
    send('session.created', a, { sample: 'session.created', at, userId: a.id, sessionId: sid });
  } else if (r < 0.72) {
    // Out of order now and then: an older version arrives after a newer one (stale).
    const stale = rand() < 0.18 && a.updated > a.created;
    const updatedAt = stale ? a.updated - 60_000 : at;
    if (!stale) a.updated = at;
    send('user.updated', a, { sample: 'user.updated', at, userId: a.id, person: a.p, createdAt: a.created, updatedAt });
  } else if (r < 0.78 && a.sessions.length) {
    send('session.ended', a, { sample: 'session.ended', at, userId: a.id, sessionId: a.sessions[a.sessions.length - 1] });
  } else if (r < 0.85) {
    send('email.created', a, { sample: 'email.created', at, userId: a.id, person: a.p });
  } else if (r < 0.88) {
    send('organization.created', a, { sample: 'organization.created', at, userId: a.id });
  } else if (r < 0.9 && live.length > 6) {
    a.deleted = true;
    send('user.deleted', a, { sample: 'user.deleted', at, userId: a.id });
  } else if (r < 0.96) {
    // A Svix retry of a recent delivery (the answer was slow): bumps its count.
    const recent = world.events.slice(-30).filter((e) => e.s.verification === 'verified' && e.s.svix_id && e.s.source === 'tunnel');
    const e = recent[Math.floor(rand() * recent.length)];
    if (e) world.receive({ at, source: 'tunnel', svixId: e.s.svix_id, type: e.s.event_type, userId: e.s.user_id, body: e.body, signature: 'clerk', svixTimestamp: Math.floor(at / 1000) });
  } else if (r < 0.98) {
    send('user.updated', a, { sample: 'user.updated', at, userId: a.id, person: a.p, createdAt: a.created, updatedAt: at }, { svixTimestamp: Math.floor(at / 1000) - 412 });
  } else {
    world.receive({ at, source: 'test', svixId: svix(), type: 'user.created', userId: a.id, body: { sample: 'user.created', at, userId: a.id, person: a.p }, signature: 'current', remote: '127.0.0.1' });
  }
  void i;
}

/** The first-setup story, then steady traffic up to now. */
export function seedStory(world: World, now: number, secret: string): Actor[] {
  world.clerkSecret = secret;
  const rand = rng(7);
  const h = 3600_000;
  let at = now - 50 * h;
  const tick = (ms: number) => (at += ms);
  const alex: Actor = { id: 'user_2yJshmaJAoE3XwYMmUcJwH5cXSl', p: { first: 'Alex', last: 'Sample', username: 'alex_sample', email: 'alex.sample@example.com', phone: null }, created: 0, updated: 0, deleted: false, sessions: [] };
  const actors: Actor[] = [];

  // Someone opened the URL in a browser.
  world.receive({ at, source: 'tunnel', method: 'GET', svixId: null, type: null, userId: null, body: { sample: '', at, userId: null, text: '' }, signature: 'missing' });
  tick(95_000);
  // The endpoint was created with the wrong path.
  const m1 = ksuid('msg', rand);
  world.receive({ at, source: 'tunnel', path: '/api/webhook', svixId: m1, type: 'user.created', userId: alex.id, body: { sample: 'user.created', at, userId: alex.id, person: alex.p }, signature: 'clerk' });
  tick(240_000);
  // Right path, but no secret saved yet: Svix retries.
  const m2 = ksuid('msg', rand);
  alex.created = at;
  alex.updated = at;
  const alexBody: BodySpec = { sample: 'user.created', at, userId: alex.id, person: alex.p, createdAt: at, updatedAt: at };
  world.receive({ at, source: 'tunnel', svixId: m2, type: 'user.created', userId: alex.id, body: alexBody, signature: 'clerk' });
  tick(5_000);
  // The secret of another endpoint got pasted: signature mismatches.
  world.secrets = ['whsec_OLDsecretFromAnotherEndpointX9a1'];
  world.receive({ at, source: 'tunnel', svixId: m2, type: 'user.created', userId: alex.id, body: alexBody, signature: 'clerk' });
  tick(300_000);
  const wrong = world.receive({ at, source: 'tunnel', svixId: m2, type: 'user.created', userId: alex.id, body: alexBody, signature: 'clerk' });
  tick(600_000);
  // The right secret; the failed delivery is re-run in Hooklab and applies.
  world.secrets = [secret];
  world.receive({ at, source: 'replay', svixId: m2, type: 'user.created', userId: alex.id, body: alexBody, signature: 'clerk', replayOf: wrong.s.id, svixTimestamp: Math.floor(wrong.s.received_at / 1000), judgeAt: wrong.s.received_at });
  tick(1_800_000);
  // Svix's own retry of the same message arrives later: a redelivery, counted, not applied.
  world.receive({ at, source: 'tunnel', svixId: m2, type: 'user.created', userId: alex.id, body: alexBody, signature: 'clerk' });
  actors.push(alex);
  tick(60_000);
  const sid = ksuid('sess', rand);
  alex.sessions.push(sid);
  world.receive({ at, source: 'tunnel', svixId: ksuid('msg', rand), type: 'session.created', userId: alex.id, body: { sample: 'session.created', at, userId: alex.id, sessionId: sid }, signature: 'clerk' });
  // A test event from Hooklab itself.
  tick(120_000);
  world.receive({ at, source: 'test', svixId: ksuid('msg', rand), type: 'user.created', userId: 'user_2zTestQ8mR1vWx4KpLs7NbYd3Hf', body: { sample: 'user.created', at, userId: 'user_2zTestQ8mR1vWx4KpLs7NbYd3Hf', person: { first: 'Test', last: 'User', username: 'test_user', email: 'test.user@example.com', phone: null } }, signature: 'current' });
  return traffic(world, rand, at, now - 90_000, 260, actors);
}

/** Bulk traffic for scrolling tests: `count` events over the last days. */
export function seedBulk(world: World, now: number, secret: string, count: number): Actor[] {
  world.secrets = [secret];
  world.clerkSecret = secret;
  return traffic(world, rng(11), now - Math.max(count * 3_000, 3_600_000), now - 60_000, count);
}

export type { Actor };
