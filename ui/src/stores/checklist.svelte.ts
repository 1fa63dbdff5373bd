// The "Connect Clerk" checklist: which setup steps Hooklab has evidence of (a public URL, a first
// delivery through the tunnel, the subscribed types seen, a saved secret, a verified delivery).
import type { EventFilter, EventPage, EventSummary, RuntimeStatus, TunnelState } from '../types';
import { SYNCED_TYPES } from '../lib/labels';

/** The type of Hooklab's own "Test public URL" probe (Rust: `probe::PROBE_TYPE`). */
export const PROBE_TYPE = 'hooklab.probe';

export class Checklist {
  /** A request of any kind arrived through the tunnel: the URL is in Clerk. */
  delivered = $state(false);
  /** A verified request arrived through the tunnel. */
  verified = $state(false);
  /** Synced types seen verified through the tunnel. */
  seen = $state.raw<ReadonlySet<string>>(new Set());
  /** The user folded the panel away. */
  folded = $state(false);

  /** Learns what already happened before this session, from the log. */
  async load(list: (f: EventFilter) => Promise<EventPage>): Promise<void> {
    const base: EventFilter = {
      event_type: null, outcome: null, user_id: null, text: null, source: 'tunnel', before: null, oldest_first: false, limit: 20,
    };
    const [any, ok, ...types] = await Promise.all([
      list(base),
      list({ ...base, outcome: 'verified' }),
      ...SYNCED_TYPES.map((t) => list({ ...base, outcome: 'verified', event_type: t })),
    ]);
    // Hooklab's own probes of the public URL are not deliveries from Clerk.
    const fromClerk = (page: EventPage) => page.items.some((e) => e.event_type !== PROBE_TYPE);
    this.delivered ||= fromClerk(any);
    this.verified ||= fromClerk(ok);
    const seen = new Set(this.seen);
    SYNCED_TYPES.forEach((t, i) => types[i].items.length > 0 && seen.add(t));
    this.seen = seen;
  }

  /** Watches live events. */
  observe(events: EventSummary[]): void {
    let seen: Set<string> | null = null;
    for (const e of events) {
      if (e.source !== 'tunnel' || e.event_type === PROBE_TYPE) continue;
      this.delivered = true;
      if (e.verification !== 'verified') continue;
      this.verified = true;
      if (e.event_type && SYNCED_TYPES.includes(e.event_type) && !this.seen.has(e.event_type)) {
        seen ??= new Set(this.seen);
        seen.add(e.event_type);
      }
    }
    if (seen) this.seen = seen;
  }

  /** The steps, in order, with whether each is done. */
  steps(status: RuntimeStatus | null, tunnel: TunnelState) {
    const secret = (status?.secrets.length ?? 0) > 0;
    return {
      publicUrl: tunnel.state === 'online',
      pasted: this.delivered,
      subscribed: this.seen.size > 0,
      secret,
      verified: this.verified,
    };
  }
}
