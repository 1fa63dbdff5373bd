// The fake backend's in-memory database: events, users, sessions and the change feed, with the
// engine's rules (verify, sync, redelivery, replay) reduced to what the UI needs to look real.
import type {
  ChangeBatch,
  EventDetail,
  EventFilter,
  EventPage,
  EventSummary,
  SessionRow,
  Source,
  SyncKind,
  UserDetail,
  UserPage,
  UserQuery,
  UserRow,
  Verification,
} from '../types';
import { pageOfUsers } from '../stores/users.svelte';
import { hasOutcome } from '../stores/events.svelte';

/** Unix ms as the engine words it in sync details: `2026-12-03 06:55:02.123 UTC`. */
const utc = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC');
import { sampleObject } from './samples';
import { GET_HINT, verificationHint, wrongPathHint } from './hints';

/** A person the fake invents users from. */
export interface Person {
  first: string | null;
  last: string | null;
  username: string | null;
  email: string | null;
  phone: string | null;
}

/** How an event's body is built: a sample with ids and times swapped in. */
export interface BodySpec {
  sample: string;
  at: number;
  userId: string | null;
  sessionId?: string;
  person?: Person;
  createdAt?: number;
  updatedAt?: number;
  /** A literal body instead (test sends, oddities). */
  text?: string;
}

export type Signer = 'clerk' | 'current' | 'other' | 'missing';

export interface FakeEvent {
  s: EventSummary;
  v: Verification;
  body: BodySpec;
  headers: [string, string][] | null;
  replayOf: number | null;
  replays: number[];
  signatures: number;
  signer: Signer;
}

/** What arrived, before it is judged. */
export interface Arrival {
  at: number;
  source: Source;
  method?: string;
  path?: string;
  svixId: string | null;
  svixTimestamp?: number | null;
  type: string | null;
  userId: string | null;
  body: BodySpec;
  /**
   * Who signed it: Clerk (with the endpoint's secret), Hooklab (with the current secret: test
   * sends, re-signed replays), someone else (a wrong secret), or nobody (no signature header).
   */
  signature: Signer;
  replayOf?: number | null;
  /** The clock the signature's age is judged by (a re-run: the original arrival). */
  judgeAt?: number;
  remote?: string | null;
  extraHeaders?: [string, string][];
}

const CHANGES_KEPT = 20_000;
export const SVIX_UA = 'Svix-Webhooks/1.73.0 (sender-E6SeC; +https://www.svix.com/http-sender/)';

export class World {
  events: FakeEvent[] = [];
  users = new Map<string, UserRow>();
  /** The body that last wrote each user (its `data` is the raw user object). */
  userBody = new Map<string, BodySpec>();
  sessions = new Map<string, SessionRow>();
  /** Verified deliveries by svix-id (the first verified row of a message). */
  deliveries = new Map<string, number>();
  secrets: string[] = [];
  /** The secret the Clerk endpoint signs with (what the user should paste in Settings). */
  clerkSecret = '';
  webhookPath = '/api/webhooks/clerk';
  port = 8787;
  private userSeq = 0;
  private changeSeq = 0;
  private changes: { seq: number; kind: 'event' | 'user' | 'session'; key: string | number }[] = [];

  get cursor(): number {
    return this.changeSeq;
  }

  private record(kind: 'event' | 'user' | 'session', key: string | number): void {
    this.changes.push({ seq: ++this.changeSeq, kind, key });
    if (this.changes.length > CHANGES_KEPT * 1.25) this.changes.splice(0, this.changes.length - CHANGES_KEPT);
  }

  /** Judges, stores and syncs one request; returns the row it wrote or bumped. */
  receive(a: Arrival): FakeEvent {
    const method = a.method ?? 'POST';
    const path = a.path ?? this.webhookPath;
    const svixTs = a.svixTimestamp ?? (a.signature === 'missing' ? null : Math.floor(a.at / 1000));
    const clock = a.judgeAt ?? a.at;
    let v: Verification;
    let status = 200;
    let sync: SyncKind = 'not_synced';
    let detail = 'not synced: the request was not verified';
    let hint: string | null = null;
    const match =
      a.signature === 'clerk' ? this.secrets.indexOf(this.clerkSecret) : a.signature === 'current' && this.secrets.length ? 0 : -1;
    if (a.signature === 'missing') v = { kind: 'missing_header', header: 'svix-signature' };
    else if (this.secrets.length === 0) v = { kind: 'no_secret' };
    else if (match < 0)
      v = { kind: 'signature_mismatch', secrets_tried: this.secrets.length, signatures: 1, body_reformatted: false };
    else if (svixTs !== null && clock / 1000 - svixTs > 300)
      v = { kind: 'timestamp_too_old', seconds: Math.round(clock / 1000 - svixTs) };
    else if (svixTs !== null && svixTs - clock / 1000 > 300)
      v = { kind: 'timestamp_too_new', seconds: Math.round(svixTs - clock / 1000) };
    else v = { kind: 'verified', secret_index: match, secret: maskSecret(this.secrets[match]), origin: 'settings' };

    if (path !== this.webhookPath) {
      status = 404;
      detail = `not synced: wrong path ${path}`;
      hint = wrongPathHint(path, this.webhookPath);
      if (method !== 'POST') v = { kind: 'not_checked' };
    } else if (method !== 'POST') {
      status = 405;
      v = { kind: 'not_checked' };
      detail = `not synced: method ${method}`;
      hint = GET_HINT;
    } else if (v.kind !== 'verified') {
      status = v.kind === 'missing_header' ? 400 : 401;
      hint = verificationHint(v);
    }

    if (status === 200 && a.svixId) {
      const delivered = this.deliveries.get(a.svixId);
      if (delivered !== undefined && !a.replayOf) {
        // Svix retried a delivered message: count it on the delivery.
        const row = this.events[delivered - 1];
        row.s = { ...row.s, delivery_count: row.s.delivery_count + 1, last_delivery_at: a.at };
        this.record('event', row.s.id);
        return row;
      }
      if (delivered !== undefined) {
        sync = 'duplicate';
        const d = this.events[delivered - 1].s;
        detail = `${a.svixId} was already delivered (event ${d.id}, ${d.sync}): not applied again`;
        hint = detail;
      }
    }

    const id = this.events.length + 1;
    const body = a.body;
    const bodySize = body.text !== undefined ? body.text.length : approxSize(body);
    const s: EventSummary = {
      id,
      received_at: a.at,
      source: a.source,
      remote_addr: a.remote ?? (a.source === 'tunnel' ? '3.134.238.10' : a.source === 'replay' ? null : '127.0.0.1'),
      method,
      path,
      status,
      svix_id: a.svixId,
      svix_timestamp: svixTs,
      event_type: a.type,
      user_id: a.userId,
      verification: v.kind,
      sync,
      sync_detail: detail,
      hint,
      delivery_count: 1,
      last_delivery_at: a.at,
      body_size: bodySize,
      forwarded: null,
    };
    const ev: FakeEvent = {
      s,
      v,
      body,
      headers: a.extraHeaders ?? null,
      replayOf: a.replayOf ?? null,
      replays: [],
      signatures: a.signature === 'missing' ? 0 : 1,
      signer: a.signature,
    };
    this.events.push(ev);
    if (status === 200 && sync !== 'duplicate') {
      const outcome = this.sync(ev);
      s.sync = outcome.kind;
      s.sync_detail = outcome.detail;
      s.hint = outcome.kind === 'applied' ? null : outcome.detail;
      if (a.svixId && !this.deliveries.has(a.svixId)) this.deliveries.set(a.svixId, id);
    }
    if (ev.replayOf) {
      const orig = this.events[ev.replayOf - 1];
      orig.replays.push(id);
      this.record('event', orig.s.id);
    }
    this.record('event', id);
    return ev;
  }

  /** The sync rules: users by updated_at, tombstones, sessions moving last sign-in forward. */
  private sync(ev: FakeEvent): { kind: SyncKind; detail: string } {
    const { s, body } = ev;
    const type = s.event_type ?? '';
    const uid = s.user_id;
    if (type === 'user.created' || type === 'user.updated') {
      if (!uid) return { kind: 'error', detail: 'data.id is missing' };
      const stored = this.users.get(uid);
      const updated = body.updatedAt ?? body.at;
      if (stored?.deleted_at)
        return { kind: 'stale', detail: `${uid} was deleted at ${utc(stored.deleted_at)}; a late or redelivered event does not bring it back` };
      if (stored && (stored.updated_at ?? 0) > updated)
        return { kind: 'stale', detail: `a newer version of ${uid} is stored (updated_at ${utc(stored.updated_at ?? 0)} > ${utc(updated)})` };
      const p = body.person ?? { first: null, last: null, username: null, email: null, phone: null };
      const emails = p.email ? [p.email] : [];
      if (type === 'user.updated' && p.email && p.first) emails.push(`${p.first.toLowerCase()}@old-mail.example.com`);
      const row: UserRow = {
        seq: stored?.seq ?? ++this.userSeq,
        id: uid,
        primary_email: p.email,
        primary_phone: p.phone,
        username: p.username,
        first_name: p.first,
        last_name: p.last,
        image_url: 'https://img.clerk.com/eyJ0eXBlIjoiZGVmYXVsdCJ9',
        created_at: stored?.created_at ?? body.createdAt ?? body.at,
        updated_at: updated,
        last_sign_in_at: stored?.last_sign_in_at ?? null,
        deleted_at: null,
        last_event_id: s.id,
        emails,
        public_metadata: type === 'user.updated' ? { plan: 'pro' } : {},
      };
      this.users.set(uid, row);
      this.userBody.set(uid, body);
      this.record('user', uid);
      return { kind: 'applied', detail: `${stored ? 'updated' : 'created'} user ${uid}` };
    }
    if (type === 'user.deleted') {
      if (!uid) return { kind: 'error', detail: 'data.id is missing' };
      const stored = this.users.get(uid);
      if (stored?.deleted_at) return { kind: 'stale', detail: `${uid} was already deleted at ${utc(stored.deleted_at)}` };
      const row: UserRow = stored
        ? { ...stored, deleted_at: body.at, last_event_id: s.id }
        : {
            seq: ++this.userSeq, id: uid, primary_email: null, primary_phone: null, username: null,
            first_name: null, last_name: null, image_url: null, created_at: null, updated_at: null,
            last_sign_in_at: null, deleted_at: body.at, last_event_id: s.id, emails: [], public_metadata: {},
          };
      this.users.set(uid, row);
      this.record('user', uid);
      return { kind: 'applied', detail: `deleted user ${uid} (tombstone kept)` };
    }
    if (type === 'session.created' || type === 'session.ended') {
      const sid = body.sessionId ?? 'sess_unknown';
      const status = type === 'session.created' ? 'active' : 'ended';
      const prev = this.sessions.get(sid);
      this.sessions.set(sid, {
        id: sid,
        user_id: uid ?? '',
        status,
        created_at: prev?.created_at ?? body.at,
        updated_at: body.at,
        client_id: prev?.client_id ?? `client_${sid.slice(5, 17)}`,
        last_active_at: body.at,
        expire_at: (prev?.created_at ?? body.at) + 7 * 86_400_000,
      });
      this.record('session', sid);
      const user = uid ? this.users.get(uid) : undefined;
      if (type === 'session.created' && user && !user.deleted_at && (user.last_sign_in_at ?? 0) < body.at) {
        this.users.set(uid!, { ...user, last_sign_in_at: body.at });
        this.record('user', uid!);
        return { kind: 'applied', detail: `recorded session ${sid} (${status}); last sign-in of ${uid} moved to ${body.at}` };
      }
      return { kind: 'applied', detail: `recorded session ${sid} (${status})` };
    }
    if (type === 'email.created')
      return {
        kind: 'ignored',
        detail:
          'captured, not synced: email.created means Clerk sent an email (only when your app delivers emails itself), not that a user added an address; a new address arrives as user.updated',
      };
    return { kind: 'ignored', detail: `captured, not synced: Hooklab syncs user.* and session.* events, not ${type}` };
  }

  /** Every type verified events have had, sorted (the backend's `event_types`). */
  eventTypes(): string[] {
    const types = new Set<string>();
    for (const e of this.events) if (e.s.verification === 'verified' && e.s.event_type) types.add(e.s.event_type);
    return [...types].sort();
  }

  listEvents(f: EventFilter): EventPage {
    const limit = Math.min(Math.max(f.limit ?? 50, 1), 500);
    const items: EventSummary[] = [];
    const text = f.text?.toLowerCase() ?? null;
    const hit = (e: EventSummary) => {
      if (f.event_type && e.event_type !== f.event_type) return false;
      if (f.source && e.source !== f.source) return false;
      if (f.user_id && e.user_id !== f.user_id) return false;
      if (f.outcome && !hasOutcome(e, f.outcome)) return false;
      if (f.sync && !hasOutcome(e, f.sync)) return false;
      if ((f.since != null && e.received_at < f.since) || (f.until != null && e.received_at >= f.until)) return false;
      return !text || [e.svix_id, e.event_type, e.user_id, e.path].some((h) => h?.toLowerCase().includes(text));
    };
    // Event ids are positions + 1. Upward pages start just above `after`.
    const up = f.oldest_first && f.after != null;
    const end = Math.min(f.before ?? Infinity, this.events.length + 1) - 1;
    if (up) {
      for (let i = f.after ?? 0; i < end && items.length <= limit; i++) if (hit(this.events[i].s)) items.push(this.events[i].s);
    } else {
      for (let i = end - 1; i >= 0 && items.length <= limit; i--) {
        const e = this.events[i].s;
        if (f.after != null && e.id <= f.after) break;
        if (hit(e)) items.push(e);
      }
    }
    const more = items.length > limit;
    items.length = Math.min(items.length, limit);
    if (up) items.reverse();
    return { items, next_cursor: more ? (up ? items[0].id : items[items.length - 1].id) : null };
  }

  getEvent(key: string): EventDetail | null {
    let ev: FakeEvent | undefined;
    if (/^\d+$/.test(key)) ev = this.events[Number(key) - 1];
    if (!ev) {
      const d = this.deliveries.get(key);
      ev = d ? this.events[d - 1] : [...this.events].reverse().find((e) => e.s.svix_id === key);
    }
    if (!ev) return null;
    const body = bodyText(ev.body);
    return {
      ...ev.s,
      verification_detail: ev.v,
      headers: ev.headers ?? headersFor(ev, body),
      body,
      body_base64: null,
      replay_of: ev.replayOf,
      replays: ev.replays.map((r) => this.events[r - 1].s),
      deliveries: [{ at: ev.s.received_at, source: ev.s.source, remote_addr: ev.s.remote_addr, svix_timestamp: ev.s.svix_timestamp }],
      changed: null,
      forward: null,
      attempts: ev.s.svix_id === null ? [ev.s] : this.events.filter((e) => e.s.svix_id === ev.s.svix_id && !e.replayOf).map((e) => e.s),
      // The fake does not model Svix's schedule.
      next_retry_at: null,
      from_svix: ev.signer === 'clerk',
    };
  }

  listUsers(q: UserQuery): UserPage {
    return pageOfUsers(this.users.values(), q);
  }

  getUser(id: string): UserDetail | null {
    const user = this.users.get(id);
    if (!user) return null;
    const timeline: EventSummary[] = [];
    for (let i = this.events.length - 1; i >= 0 && timeline.length < 500; i--) {
      if (this.events[i].s.user_id === id) timeline.push(this.events[i].s);
    }
    return {
      user,
      raw: rawUser(this.userBody.get(id)),
      sessions: [...this.sessions.values()].filter((s) => s.user_id === id).sort((a, b) => (b.created_at ?? 0) - (a.created_at ?? 0)),
      timeline,
    };
  }

  changesSince(cursor: number): ChangeBatch {
    const oldest = this.changes[0]?.seq ?? this.changeSeq + 1;
    if (cursor < oldest - 1) {
      return { upto: this.changeSeq, reset: true, more: false, events: [], users: [], sessions: [], tunnel: null };
    }
    const newer = this.changes.filter((c) => c.seq > cursor);
    const take = newer.slice(0, 5000);
    const ev = new Set<number>();
    const us = new Set<string>();
    const ss = new Set<string>();
    for (const c of take) {
      if (c.kind === 'event') ev.add(c.key as number);
      else if (c.kind === 'user') us.add(c.key as string);
      else ss.add(c.key as string);
    }
    return {
      upto: take.at(-1)?.seq ?? cursor,
      reset: false,
      more: newer.length > take.length,
      events: [...ev].sort((a, b) => a - b).map((id) => this.events[id - 1].s),
      users: [...us].map((id) => this.users.get(id)!).filter(Boolean),
      sessions: [...ss].map((id) => this.sessions.get(id)!).filter(Boolean),
      tunnel: null,
    };
  }
}

/** The engine's mask: prefix kept, last four characters shown. */
export function maskSecret(value: string): string {
  const prefix = value.startsWith('whsec_') ? 'whsec_' : '';
  return value.length <= prefix.length + 8 ? `${prefix}…` : `${prefix}…${value.slice(-4)}`;
}

const sizes = new Map<string, number>();

/** A body's size without building it: the sample's compact size (ids and times keep their length). */
function approxSize(spec: BodySpec): number {
  let n = sizes.get(spec.sample);
  if (n === undefined) {
    n = bodyText({ ...spec, person: undefined }).length;
    sizes.set(spec.sample, n);
  }
  const p = spec.person;
  return n + (p ? (p.email?.length ?? 0) + (p.first?.length ?? 0) + (p.last?.length ?? 0) - 30 : 0);
}

/** The `data` object of a body as compact text: the user as Clerk sent it. */
function rawUser(spec: BodySpec | undefined): string | null {
  if (!spec) return null;
  const data = (JSON.parse(bodyText(spec)) as { data?: unknown }).data;
  return data === undefined ? null : JSON.stringify(data);
}

const bodyCache = new Map<BodySpec, string>();

/** The compact body Svix would send for a spec (built once, cached). */
export function bodyText(spec: BodySpec): string {
  if (spec.text !== undefined) return spec.text;
  const hit = bodyCache.get(spec);
  if (hit !== undefined) return hit;
  const env = sampleObject(spec.sample) as { data: Record<string, unknown>; timestamp: number };
  const d = env.data;
  env.timestamp = spec.at;
  const p = spec.person;
  if (spec.sample.startsWith('user.') && spec.sample !== 'user.deleted') {
    d.id = spec.userId;
    d.created_at = spec.createdAt ?? spec.at;
    d.updated_at = spec.updatedAt ?? spec.at;
    if (p) {
      d.first_name = p.first;
      d.last_name = p.last;
      d.username = p.username;
      const emails = d.email_addresses as { email_address: string }[];
      if (emails?.[0] && p.email) emails[0].email_address = p.email;
    }
  } else if (spec.sample === 'user.deleted') d.id = spec.userId;
  else if (spec.sample.startsWith('session.')) {
    d.id = spec.sessionId;
    d.user_id = spec.userId;
    d.updated_at = spec.at;
  } else if (spec.sample === 'email.created') {
    if (p?.email) d.to_email_address = p.email;
    d.user_id = spec.userId;
  } else if (spec.sample === 'organization.created') d.created_by = spec.userId;
  const text = JSON.stringify(env);
  if (bodyCache.size > 2000) bodyCache.clear();
  bodyCache.set(spec, text);
  return text;
}

function headersFor(ev: FakeEvent, body: string): [string, string][] {
  const s = ev.s;
  const tunnel = s.source === 'tunnel';
  const h: [string, string][] = [
    ['host', tunnel ? 'steady-fox-quietly.ngrok-free.app' : '127.0.0.1:8787'],
    ['user-agent', s.source === 'test' || s.source === 'replay' ? 'hooklab/0.1.0' : s.method === 'GET' ? 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36' : SVIX_UA],
    ['content-length', String(body.length)],
    ['accept', '*/*'],
    ['content-type', 'application/json'],
  ];
  if (s.svix_id) h.push(['svix-id', s.svix_id]);
  if (s.svix_timestamp !== null) h.push(['svix-timestamp', String(s.svix_timestamp)]);
  if (ev.signatures > 0) h.push(['svix-signature', `v1,${fakeSignature(s.id)}`]);
  if (tunnel) h.push(['x-forwarded-for', s.remote_addr ?? '3.134.238.10'], ['x-forwarded-proto', 'https'], ['accept-encoding', 'gzip']);
  if (ev.replayOf) h.push(['x-hooklab-replay-of', String(ev.replayOf)]);
  return h;
}

function fakeSignature(seed: number): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let x = Math.imul(seed, 2654435761) >>> 0;
  let out = '';
  for (let i = 0; i < 43; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out += chars[(x >>> 16) % 64];
  }
  return `${out}=`;
}
