// Wires the stores to the backend once: the app's single instances, the event subscriptions and
// the catch-up loop that keeps the change cursor gap-free.
import { probe } from './probe.svelte';
import * as api from '../api';
import { EventLog } from './events.svelte';
import { UserTable } from './users.svelte';
import { Live } from './live.svelte';
import { Checklist } from './checklist.svelte';
import { runtime } from './runtime.svelte';
import { toasts } from './toasts.svelte';
import type { ChangeBatch } from '../types';

export const log = new EventLog({
  list: api.listEvents,
  some: api.eventSummaries,
});
export const users = new UserTable({ list: api.listUsers });
export const checklist = new Checklist();
export const live = new Live(log, users, {
  onEvents: (events) => checklist.observe(events),
});

let started = false;
let catchingUp = false;

/** Applies a batch, then keeps asking while the shell says more is waiting. */
async function take(batch: ChangeBatch): Promise<void> {
  live.apply(batch);
  if (!batch.more || catchingUp) return;
  catchingUp = true;
  try {
    let next = batch;
    while (next.more) {
      next = await api.changesSince(live.cursor);
      live.apply(next);
    }
  } finally {
    catchingUp = false;
  }
}

/** Asks for anything missed (after a sleep, a lost event, a focus change). */
export async function catchUp(): Promise<void> {
  if (catchingUp || live.cursor === 0) return;
  try {
    await take(await api.changesSince(live.cursor));
  } catch {
    // The next live batch or focus tries again.
  }
}

/** Subscribes, reads the status and loads the first pages. Safe to call twice. */
/** Asks again how long the tunnel was down (after it comes back online). */
async function refreshDowntime(): Promise<void> {
  try {
    runtime.downtime = (await api.getStatus()).downtime;
  } catch {
    // the banner is a bonus
  }
}

export async function start(): Promise<void> {
  if (started) return;
  started = true;
  // Subscribe first: batches that arrive before the first page are queued by the stores.
  const early: ChangeBatch[] = [];
  let ready = false;
  await Promise.all([
    api.onChanges((b) => (ready ? void take(b) : early.push(b))),
    api.onTunnel((t) => {
      const wasOnline = live.tunnel.state === 'online';
      live.setTunnel(t);
      if (t.state === 'online' && !wasOnline) void refreshDowntime();
    }),
    api.onStatus((s) => {
      runtime.status = s;
      live.webhookPath = s.webhook_path;
    }),
    api.onAlarm((a) => runtime.raise(a)),
    probe.listen(),
  ]);
  try {
    const status = await api.getStatus();
    runtime.status = status.runtime;
    // The backend's copy is what retention keeps: saves go one at a time, in order (each
    // replaces the whole set), and a failed one must not pass silently.
    let saving: Promise<unknown> = Promise.resolve();
    log.pins.onchange = (ids) => {
      saving = saving
        .then(() => api.setPins(ids))
        .catch((e) => toasts.show(`Pins not saved: ${api.asErrorBody(e).message}`, 'bad'));
    };
    log.pins.scope(status.runtime.db_path);
    live.webhookPath = status.runtime.webhook_path;
    live.setTunnel(status.tunnel);
    live.cursor = status.cursor;
    runtime.downtime = status.downtime;
    // A probe made before this window (re)loaded; one that arrived meanwhile is newer.
    probe.result ??= status.probe;
  } catch (e) {
    runtime.error = api.asErrorBody(e).message;
  }
  ready = true;
  for (const b of early) void take(b);
  await Promise.all([log.reload(), users.reload(), checklist.load(api.listEvents).catch(() => {})]);
  window.addEventListener('focus', () => void catchUp());
}
