// The event log's state: the filter, the pages loaded so far (newest first, paged from the
// backend with `before` cursors), live upserts, pins and the "Clear" mark that hides older rows
// (for this session: a restart shows everything again; pins persist).
import type { EventFilter, EventPage, EventSummary } from '../types';
import { defaultStorage, Pins, type KeyValue } from './pins.svelte';
import { upsertSorted } from './order';

/** Rows fetched per page. */
export const PAGE_SIZE = 200;

/** Rows live arrivals may pile up to at the top before the oldest are let go (they page back
 * in when scrolled to): at hundreds of webhooks a second the log would otherwise hold every
 * event since the window opened. */
export const LIVE_ROWS = 10 * PAGE_SIZE;

/** Where the log gets its rows. */
export interface EventLoader {
  list(filter: EventFilter): Promise<EventPage>;
  /** One event's summary, for pinned events outside the loaded pages. */
  one(id: number): Promise<EventSummary | null>;
}

/** The filters the user sets; empty means no filter. */
export interface LogFilter {
  type: string;
  outcome: string;
  source: string;
  text: string;
  user: string;
}

export const NO_FILTER: LogFilter = { type: '', outcome: '', source: '', text: '', user: '' };

const byId = (e: EventSummary) => e.id;

/** Whether Clerk would show the delivery as failed: not verified, or not answered 2xx (a signed
 * request to an old path is verified and answered 404). */
export function failed(e: Pick<EventSummary, 'verification' | 'status'>): boolean {
  return e.verification !== 'verified' || e.status < 200 || e.status > 299;
}

/** Whether an event passes the filter (what the backend would answer, minus body text: see
 * `EventLog.upsert`). */
export function matches(e: EventSummary, f: LogFilter): boolean {
  if (f.type && e.event_type !== f.type) return false;
  if (f.source && e.source !== f.source) return false;
  if (f.user && e.user_id !== f.user) return false;
  if (f.outcome) {
    const o = f.outcome;
    const hit =
      e.verification === o ||
      e.sync === o ||
      (o === 'failed' && failed(e)) ||
      (o === 'duplicate' && e.delivery_count > 1);
    if (!hit) return false;
  }
  if (f.text) {
    const needle = f.text.toLowerCase();
    const hay = [e.svix_id, e.event_type, e.user_id, e.path];
    if (!hay.some((h) => h?.toLowerCase().includes(needle))) return false;
  }
  return true;
}

/** The backend filter for a page. */
export function backendFilter(f: LogFilter, before: number | null): EventFilter {
  const orNull = (s: string) => (s.trim() ? s.trim() : null);
  return {
    event_type: orNull(f.type),
    outcome: orNull(f.outcome),
    user_id: orNull(f.user),
    text: orNull(f.text),
    source: orNull(f.source),
    before,
    limit: PAGE_SIZE,
  };
}

export class EventLog {
  filter = $state.raw<LogFilter>(NO_FILTER);
  /** Loaded rows, newest first. */
  items = $state.raw<EventSummary[]>([]);
  /** The `before` cursor of the next page; null once everything is loaded. */
  nextCursor = $state<number | null>(null);
  loading = $state(false);
  /** The first page of the current filter has arrived. */
  loaded = $state(false);
  error = $state<string | null>(null);
  /** Rows with an id at or below this are hidden unless pinned ("Clear"). */
  clearedUpto = $state(0);
  pinnedOnly = $state(false);
  /** Pinned events outside the loaded rows, fetched one by one. */
  pinnedExtra = $state.raw<EventSummary[]>([]);
  /** Bumped whenever new rows land above the previous newest one (to keep scroll anchored). */
  headId = $state(0);

  readonly pins: Pins;
  private generation = 0;
  private pending: EventSummary[][] = [];
  /** Rows kept: at least LIVE_ROWS, more once the user pages further down. */
  private keep = LIVE_ROWS;

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
      this.pinnedExtra.filter((e) => e.id <= cut && pins.has(e.id) && matches(e, this.filter)),
    );
  });

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
    this.keep = LIVE_ROWS;
    try {
      const page = await this.loader.list(backendFilter(this.filter, null));
      if (gen !== this.generation) return;
      this.items = page.items;
      this.nextCursor = page.next_cursor;
      this.loaded = true;
      const queued = this.pending.flat();
      this.pending = [];
      if (queued.length) this.upsert(queued);
      this.headId = this.items[0]?.id ?? 0;
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
      const page = await this.loader.list(backendFilter(this.filter, this.nextCursor));
      if (gen !== this.generation) return;
      const last = this.items.at(-1)?.id ?? Infinity;
      this.items = this.items.concat(page.items.filter((e) => e.id < last));
      this.nextCursor = page.next_cursor;
      this.keep = Math.max(this.keep, this.items.length);
    } catch (e) {
      if (gen === this.generation) this.error = (e as { message?: string }).message ?? String(e);
    } finally {
      if (gen === this.generation) this.loading = false;
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
    const before = this.items[0]?.id ?? 0;
    const next = upsertSorted(this.items, events, byId, this.nextCursor === null, (e) =>
      matches(e, this.filter),
    );
    if (next) {
      this.items = this.trimmed(next);
      if ((next[0]?.id ?? 0) > before) this.headId = next[0].id;
    }
    const extra = upsertSorted(this.pinnedExtra, events, byId, false, () => false);
    if (extra) this.pinnedExtra = extra;
    if (this.filter.text.trim()) {
      const rest = { ...this.filter, text: '' };
      const shown = new Set(this.items.map(byId));
      const unsure = events.filter((e) => !shown.has(e.id) && matches(e, rest));
      if (unsure.length) void this.searchBodies(unsure);
    }
  }

  /** `items` cut to the rows kept; the cut-off ones page back in from the backend. */
  private trimmed(items: EventSummary[]): EventSummary[] {
    if (items.length <= this.keep) return items;
    const kept = items.slice(0, this.keep);
    this.nextCursor = kept[kept.length - 1].id;
    return kept;
  }

  /** Asks the backend which of `unsure` (new events) match the search inside their bodies. */
  private async searchBodies(unsure: EventSummary[]): Promise<void> {
    const gen = this.generation;
    const ids = unsure.map(byId);
    const filter = { ...backendFilter(this.filter, Math.max(...ids) + 1), after: Math.min(...ids) - 1, limit: 500 };
    try {
      const page = await this.loader.list(filter);
      if (gen !== this.generation || page.items.length === 0) return;
      const before = this.items[0]?.id ?? 0;
      const next = upsertSorted(this.items, page.items, byId, this.nextCursor === null, () => true);
      if (!next) return;
      this.items = this.trimmed(next);
      if ((next[0]?.id ?? 0) > before) this.headId = next[0].id;
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
    const found = (await Promise.all(missing.map((id) => this.loader.one(id).catch(() => null))))
      .filter((e): e is EventSummary => e !== null)
      .sort((a, b) => b.id - a.id);
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
