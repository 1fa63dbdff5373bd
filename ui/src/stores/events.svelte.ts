// The event log's state: the filter, a window of loaded rows (newest first, paged from the
// backend with `before` cursors going down and `after` cursors going back up), live upserts,
// pins and the "Clear" mark that hides older rows (for this session: a restart shows
// everything again; pins persist).
import type { EventFilter, EventPage, EventSummary } from '../types';
import { defaultStorage, Pins, type KeyValue } from './pins.svelte';
import { indexAtOrBelow, upsertSorted } from './order';

/** Rows fetched per page. */
export const PAGE_SIZE = 200;

/** Rows the log holds at most. Past that, rows at the end farther from what the user is
 * looking at are let go and page back in when scrolled to: each row costs the webview about
 * 1 KiB, and a flood of webhooks or a scroll through 100,000 events would otherwise keep
 * every one of them. */
export const WINDOW_ROWS = 10 * PAGE_SIZE;

/** Where the log gets its rows. */
export interface EventLoader {
  list(filter: EventFilter): Promise<EventPage>;
  /** The summaries of the events `ids` that exist: pinned events outside the loaded pages. */
  some(ids: number[]): Promise<EventSummary[]>;
}

/** The filters the user sets; empty means no filter. */
export interface LogFilter {
  type: string;
  /** A verification code, or `failed`. */
  outcome: string;
  /** A sync code. */
  sync: string;
  source: string;
  text: string;
  user: string;
  /** How far back (a key of `SINCE`); empty: any time. */
  since: string;
}

/** The time filter's choices: how far back each reaches, in ms. */
export const SINCE: Record<string, { label: string; ms: number }> = {
  '15m': { label: 'Last 15 minutes', ms: 15 * 60_000 },
  '1h': { label: 'Last hour', ms: 3_600_000 },
  '24h': { label: 'Last 24 hours', ms: 24 * 3_600_000 },
  '7d': { label: 'Last 7 days', ms: 7 * 24 * 3_600_000 },
};

export const NO_FILTER: LogFilter = { type: '', outcome: '', sync: '', source: '', text: '', user: '', since: '' };

/** Whether any filter is set. */
export const isFiltered = (f: LogFilter): boolean =>
  !!(f.type || f.outcome || f.sync || f.source || f.text || f.user || f.since);

/** The earliest arrival (Unix ms) the time filter takes in as of `now`; null: any time. */
export const sinceMs = (f: LogFilter, now: number): number | null => (SINCE[f.since] ? now - SINCE[f.since].ms : null);

const byId = (e: EventSummary) => e.id;

/** Whether Clerk would show the delivery as failed: not verified, or not answered 2xx (a signed
 * request to an old path is verified and answered 404). */
export function failed(e: Pick<EventSummary, 'verification' | 'status'>): boolean {
  return e.verification !== 'verified' || e.status < 200 || e.status > 299;
}

/** Whether an event has an outcome code: a verification or sync code, `failed`, or `duplicate`
 * (which also means redelivered), as the backend's `outcome` and `sync` filters answer. */
export function hasOutcome(e: EventSummary, o: string): boolean {
  return e.verification === o || e.sync === o || (o === 'failed' && failed(e)) || (o === 'duplicate' && e.delivery_count > 1);
}

/** Whether an event passes the filter (what the backend would answer, minus body text: see
 * `EventLog.upsert`); `since` is the time filter's bound, fixed when the log was loaded. */
export function matches(e: EventSummary, f: LogFilter, since: number | null = null): boolean {
  if (f.type && e.event_type !== f.type) return false;
  if (since !== null && e.received_at < since) return false;
  if (f.source && e.source !== f.source) return false;
  if (f.user && e.user_id !== f.user) return false;
  if (f.outcome && !hasOutcome(e, f.outcome)) return false;
  if (f.sync && !hasOutcome(e, f.sync)) return false;
  if (f.text) {
    const needle = f.text.toLowerCase();
    const hay = [e.svix_id, e.event_type, e.user_id, e.path];
    if (!hay.some((h) => h?.toLowerCase().includes(needle))) return false;
  }
  return true;
}

/** The backend filter for a page; `since` is the time filter's bound (see `EventLog.since`). */
export function backendFilter(f: LogFilter, before: number | null, since: number | null = null): EventFilter {
  const orNull = (s: string) => (s.trim() ? s.trim() : null);
  return {
    event_type: orNull(f.type),
    outcome: orNull(f.outcome),
    sync: orNull(f.sync),
    user_id: orNull(f.user),
    text: orNull(f.text),
    source: orNull(f.source),
    since,
    until: null,
    before,
    oldest_first: false,
    limit: PAGE_SIZE,
  };
}

export class EventLog {
  filter = $state.raw<LogFilter>(NO_FILTER);
  /** Loaded rows, newest first. */
  items = $state.raw<EventSummary[]>([]);
  /** The `before` cursor of the next page; null once everything is loaded. */
  nextCursor = $state<number | null>(null);
  /** The `after` cursor of the page above the first row; null while the first row is the
   * newest (the window follows live arrivals). */
  prevCursor = $state<number | null>(null);
  /** Matching events that arrived above the window since it let go of its top. */
  newer = $state(0);
  /** The id of the row at the top of the viewport (set by the view): when the window is full,
   * the end farther from it is let go. */
  viewTop = 0;
  /** Bumped when a reload replaces the rows (the view goes back to the top). */
  epoch = $state(0);
  loading = $state(false);
  /** The first page of the current filter has arrived. */
  loaded = $state(false);
  error = $state<string | null>(null);
  /** The time filter's bound (Unix ms), fixed at each reload so every page, the live tail and
   * resumed arrivals agree: "the last hour" means the hour before the filter was set. */
  since: number | null = null;
  /** Rows with an id at or below this are hidden unless pinned ("Clear"). */
  clearedUpto = $state(0);
  pinnedOnly = $state(false);
  /** Pinned events outside the loaded rows, fetched by id. */
  pinnedExtra = $state.raw<EventSummary[]>([]);
  readonly pins: Pins;
  private generation = 0;
  private pending: EventSummary[][] = [];
  /** While a page above the window is on its way: arrivals above the window (added once the
   * window reaches the newest row). */
  private arriving: EventSummary[] | null = null;
  /** The newest id counted in `newer`. */
  private newestSeen = 0;

  constructor(
    private loader: EventLoader,
    storage: KeyValue = defaultStorage(),
  ) {
    this.pins = new Pins(storage);
  }

  /** The rows the list shows. */
  rows = $derived.by((): EventSummary[] => {
    const pins = this.pins.ids;
    if (this.pinnedOnly) {
      return merge(this.items.filter((e) => pins.has(e.id)), this.pinnedExtra.filter((e) => pins.has(e.id)));
    }
    if (this.clearedUpto <= 0) return this.items;
    const cut = this.clearedUpto;
    return merge(
      this.items.filter((e) => e.id > cut || pins.has(e.id)),
      this.pinnedExtra.filter((e) => e.id <= cut && pins.has(e.id) && matches(e, this.filter, this.since)),
    );
  });

  /** New rows must have an id below this to be shown: the first row's while the window does
   * not reach the newest row, else no bound. */
  private get windowTop(): number {
    return this.prevCursor === null ? Infinity : (this.items[0]?.id ?? Infinity);
  }

  /** Whether newer rows exist above the window (scrolling up pages them in). */
  get hasNewer(): boolean {
    return !this.pinnedOnly && this.prevCursor !== null;
  }

  /** Whether scrolling further can load more rows. */
  get hasMore(): boolean {
    if (this.pinnedOnly || this.nextCursor === null) return false;
    return !(this.clearedUpto > 0 && this.nextCursor <= this.clearedUpto + 1);
  }

  /** Sets the filter and reloads from the newest event. */
  setFilter(patch: Partial<LogFilter>): Promise<void> {
    this.filter = { ...this.filter, ...patch };
    return this.reload();
  }

  /** Drops what is loaded and fetches the first page again. */
  async reload(): Promise<void> {
    const gen = ++this.generation;
    this.loading = true;
    this.loaded = false;
    this.error = null;
    this.pending = [];
    this.arriving = null;
    this.prevCursor = null;
    this.newer = 0;
    this.newestSeen = 0;
    this.since = sinceMs(this.filter, Date.now());
    try {
      const page = await this.loader.list(backendFilter(this.filter, null, this.since));
      if (gen !== this.generation) return;
      this.items = page.items;
      this.nextCursor = page.next_cursor;
      this.viewTop = 0;
      this.epoch++;
      this.loaded = true;
      const queued = this.pending.flat();
      this.pending = [];
      if (queued.length) this.upsert(queued);
    } catch (e) {
      if (gen === this.generation) this.error = (e as { message?: string }).message ?? String(e);
    } finally {
      if (gen === this.generation) this.loading = false;
    }
    void this.loadPinned();
  }

  /** Fetches the next page (older rows). */
  async loadMore(): Promise<void> {
    if (this.loading || !this.loaded || !this.hasMore) return;
    const gen = this.generation;
    this.loading = true;
    try {
      const page = await this.loader.list(backendFilter(this.filter, this.nextCursor, this.since));
      if (gen !== this.generation) return;
      const last = this.items.at(-1)?.id ?? Infinity;
      this.nextCursor = page.next_cursor;
      this.items = this.fit(this.items.concat(page.items.filter((e) => e.id < last)));
    } catch (e) {
      if (gen === this.generation) this.error = (e as { message?: string }).message ?? String(e);
    } finally {
      if (gen === this.generation) this.loading = false;
    }
  }

  /** Fetches the page just above the window (newer rows let go earlier, or arrived since). */
  async loadNewer(): Promise<void> {
    if (this.loading || !this.loaded || this.prevCursor === null) return;
    const gen = this.generation;
    this.loading = true;
    this.arriving = [];
    try {
      const filter = { ...backendFilter(this.filter, null, this.since), after: this.prevCursor, oldest_first: true };
      const page = await this.loader.list(filter);
      if (gen !== this.generation) return;
      const first = this.items[0]?.id ?? 0;
      this.prevCursor = page.next_cursor;
      this.items = this.fit(page.items.filter((e) => e.id > first).concat(this.items));
      if (this.prevCursor === null) {
        // The window reaches the newest row again: follow live arrivals, starting with those
        // that came in while the page was on its way.
        this.newer = 0;
        const arrived = this.arriving;
        this.arriving = null;
        if (arrived.length) this.upsert(arrived);
      }
    } catch (e) {
      if (gen === this.generation) this.error = (e as { message?: string }).message ?? String(e);
    } finally {
      if (gen === this.generation) {
        this.arriving = null;
        this.loading = false;
      }
    }
  }

  /**
   * Applies new or changed events: insert in id order, or update in place (redeliveries). With
   * a search, events whose summary does not contain the text may still match inside the body,
   * which only the backend can see: those are asked for by id range.
   */
  upsert(events: EventSummary[]): void {
    if (events.length === 0) return;
    if (!this.loaded) {
      this.pending.push(events);
      return;
    }
    const top = this.above(events);
    const next = upsertSorted(this.items, events, byId, this.nextCursor === null, (e) =>
      matches(e, this.filter, this.since) && e.id < top,
    );
    if (next) this.items = this.fit(next);
    const extra = upsertSorted(this.pinnedExtra, events, byId, false, () => false);
    if (extra) this.pinnedExtra = extra;
    if (this.filter.text.trim()) {
      const rest = { ...this.filter, text: '' };
      const shown = new Set(this.items.map(byId));
      const unsure = events.filter((e) => !shown.has(e.id) && matches(e, rest, this.since));
      if (unsure.length) void this.searchBodies(unsure);
    }
  }

  /**
   * While the window does not reach the newest row, arrivals above it are not shown (the user
   * is reading older rows): counts them for the "newer events" bar and holds them while a page
   * above is loading. Returns the id new rows must be below to be shown.
   */
  private above(events: EventSummary[]): number {
    const top = this.windowTop;
    if (top === Infinity) return top;
    for (const e of events) {
      if (e.id <= top) continue;
      this.arriving?.push(e);
      if (e.id > this.newestSeen && matches(e, this.filter, this.since)) this.newer++;
      this.newestSeen = Math.max(this.newestSeen, e.id);
    }
    return top;
  }

  /** `items` cut to WINDOW_ROWS, letting go of the end farther from the viewport; the rows
   * let go page back in from the backend when scrolled to. */
  private fit(items: EventSummary[]): EventSummary[] {
    const excess = items.length - WINDOW_ROWS;
    if (excess <= 0) return items;
    const at = this.viewTop ? indexAtOrBelow(items, this.viewTop, byId) : 0;
    if (at < items.length / 2) {
      const kept = items.slice(0, WINDOW_ROWS);
      this.nextCursor = kept[kept.length - 1].id;
      return kept;
    }
    const kept = items.slice(excess);
    if (this.prevCursor === null) this.newestSeen = items[0].id;
    this.prevCursor = kept[0].id;
    return kept;
  }

  /** Asks the backend which of `unsure` (new events) match the search inside their bodies. */
  private async searchBodies(unsure: EventSummary[]): Promise<void> {
    const gen = this.generation;
    const ids = unsure.map(byId);
    const filter = { ...backendFilter(this.filter, Math.max(...ids) + 1, this.since), after: Math.min(...ids) - 1, limit: 500 };
    try {
      const page = await this.loader.list(filter);
      if (gen !== this.generation || page.items.length === 0) return;
      const top = this.windowTop;
      const next = upsertSorted(this.items, page.items, byId, this.nextCursor === null, (e) => e.id < top);
      if (next) this.items = this.fit(next);
    } catch {
      // The next reload shows them; a failed live search is not worth an error banner.
    }
  }

  /** Hides every event received so far (pinned ones stay); new ones show as they arrive. */
  clear(upto?: number): void {
    this.clearedUpto = Math.max(upto ?? 0, this.items[0]?.id ?? 0, this.clearedUpto);
    void this.loadPinned();
  }

  /** Shows the cleared events again. */
  unclear(): void {
    this.clearedUpto = 0;
  }

  togglePin(id: number): void {
    this.pins.toggle(id);
    void this.loadPinned();
  }

  setPinnedOnly(on: boolean): void {
    this.pinnedOnly = on;
    void this.loadPinned();
  }

  /** Fetches pinned events that the loaded pages do not hold. */
  private async loadPinned(): Promise<void> {
    if (!this.pinnedOnly && this.clearedUpto <= 0) return;
    const have = new Set([...this.items, ...this.pinnedExtra].map(byId));
    const missing = [...this.pins.ids].filter((id) => !have.has(id)).slice(0, 200);
    if (missing.length === 0) return;
    const found = (await this.loader.some(missing).catch(() => [])).sort((a, b) => b.id - a.id);
    this.pinnedExtra = merge(this.pinnedExtra, found);
  }
}

/** Merges two newest-first lists, dropping repeated ids. */
function merge(a: EventSummary[], b: EventSummary[]): EventSummary[] {
  if (b.length === 0) return a;
  const out: EventSummary[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    const next = y === undefined || (x !== undefined && x.id >= y.id) ? a[i++] : b[j++];
    if (out.at(-1)?.id !== next.id) out.push(next);
  }
  return out;
}
