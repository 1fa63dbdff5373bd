// Applies ChangeBatch values from the shell to the stores: events and users upserted by id,
// sessions, the tunnel state; `reset` reloads from scratch; a paused live tail buffers event
// changes and applies them on resume (users, sessions and the tunnel keep updating).
import type { ChangeBatch, EventSummary, SessionRow, TunnelState, TunnelStateRow } from '../types';
import { WINDOW_ROWS, type EventLog } from './events.svelte';
import type { UserTable } from './users.svelte';

export interface LiveHooks {
  /** Every event change as it arrives, paused or not (the Clerk checklist watches these). */
  onEvents?(events: EventSummary[]): void;
  /** A reset arrived: whatever else caches rows should reload. */
  onReset?(): void;
}

/** A tunnel timeline row as a TunnelState, for when it says more than what we have. */
export function tunnelFromRow(row: TunnelStateRow, current: TunnelState, webhookPath: string): TunnelState {
  switch (row.state) {
    case 'off':
      return { state: 'off' };
    case 'connecting':
      return { state: 'connecting' };
    case 'online': {
      const url = row.url ?? (current.state === 'online' ? current.url : '');
      return { state: 'online', url, webhook_url: url.replace(/\/$/, '') + webhookPath };
    }
    case 'reconnecting': {
      // detail: "attempt 3, next in 1.5 s: <error>" (TunnelState::detail).
      const m = /^attempt (\d+), next in ([\d.]+) (ms|s): ([\s\S]*)$/.exec(row.detail ?? '');
      return {
        state: 'reconnecting',
        attempt: m ? Number(m[1]) : 1,
        retry_in_ms: m ? Number(m[2]) * (m[3] === 's' ? 1000 : 1) : 0,
        code: 'unknown',
        last_error: m ? m[4] : (row.detail ?? 'the tunnel is offline'),
      };
    }
    default: {
      // detail: "<error>\n<hint>".
      const [error, ...hint] = (row.detail ?? 'the tunnel failed').split('\n');
      return { state: 'failed', code: 'unknown', error, hint: hint.join('\n') };
    }
  }
}

export class Live {
  /** The change cursor: everything up to here is applied (or buffered). */
  cursor = $state(0);
  paused = $state(false);
  /** Event changes held while paused, oldest first. */
  buffered = $state.raw<EventSummary[]>([]);
  /** A reset arrived while paused, or more changes than the log holds: reload the log on
   * resume instead of applying them one by one. */
  resetWhilePaused = $state(false);
  /** Changes that came after the buffer was given up (counted, not kept). */
  private overflow = $state(0);
  sessions = $state.raw<ReadonlyMap<string, SessionRow>>(new Map());
  /** Counts batches that changed user rows (loaded or not): what the users count follows. */
  userChanges = $state(0);
  tunnel = $state.raw<TunnelState>({ state: 'off' });
  /** When `tunnel` last changed (ms), for the reconnect countdown. */
  tunnelSince = $state(Date.now());
  webhookPath = '/api/webhooks/clerk';

  constructor(
    readonly events: EventLog,
    readonly users: UserTable,
    private hooks: LiveHooks = {},
  ) {}

  /** Distinct new events waiting while paused (a redelivery of a held row counts once). */
  get bufferedCount(): number {
    return new Set(this.buffered.map((e) => e.id)).size + this.overflow;
  }

  /** Applies one batch. Batches at or below the cursor (already seen) are ignored. */
  apply(batch: ChangeBatch): void {
    if (!batch.reset && batch.upto <= this.cursor && this.cursor > 0) return;
    this.cursor = Math.max(this.cursor, batch.upto);
    if (batch.reset) {
      this.sessions = new Map();
      void this.users.reload();
      this.hooks.onReset?.();
      if (this.paused) {
        this.resetWhilePaused = true;
        this.buffered = [];
      } else void this.events.reload();
    }
    if (batch.events.length) {
      this.hooks.onEvents?.(batch.events);
      if (this.paused) this.hold(batch.events);
      else if (!batch.reset) this.events.upsert(batch.events);
    }
    if (!batch.reset) this.users.upsert(batch.users);
    if (batch.users.length) this.userChanges++;
    if (batch.sessions.length) {
      const next = new Map(this.sessions);
      for (const s of batch.sessions) next.set(s.id, s);
      this.sessions = next;
    }
    if (batch.tunnel && batch.tunnel.state !== this.tunnel.state) {
      this.setTunnel(tunnelFromRow(batch.tunnel, this.tunnel, this.webhookPath));
    }
  }

  /** The shell's richer `tunnel` event. */
  setTunnel(state: TunnelState): void {
    this.tunnel = state;
    this.tunnelSince = Date.now();
  }

  pause(): void {
    this.paused = true;
  }

  /** Buffers event changes while paused: up to what the log holds (a flood while paused would
   * otherwise pile up in memory); past that, resume reloads the newest rows. */
  private hold(events: EventSummary[]): void {
    if (this.buffered.length + events.length <= WINDOW_ROWS && this.overflow === 0) {
      this.buffered = this.buffered.concat(events);
      return;
    }
    this.overflow = this.bufferedCount + events.length;
    this.buffered = [];
    this.resetWhilePaused = true;
  }

  /** Applies everything held while paused, in arrival order. */
  resume(): void {
    this.paused = false;
    const held = this.buffered;
    this.buffered = [];
    this.overflow = 0;
    if (this.resetWhilePaused) {
      this.resetWhilePaused = false;
      void this.events.reload();
    } else if (held.length) this.events.upsert(held);
  }

  togglePause(): void {
    if (this.paused) this.resume();
    else this.pause();
  }

  /** Sessions of one user, newest first. */
  sessionsOf(userId: string): SessionRow[] {
    return [...this.sessions.values()]
      .filter((s) => s.user_id === userId)
      .sort((a, b) => (b.created_at ?? 0) - (a.created_at ?? 0));
  }
}
