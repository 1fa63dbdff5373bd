// The users table's state: search and order (both answered by the backend, so sorting covers
// every user, not only the loaded pages), pages loaded so far, and live upserts placed where
// the backend's order would put them.
import type { UserPage, UserQuery, UserRow, UserSort } from '../types';

export const USER_PAGE_SIZE = 200;

/** Rows live changes may fill the table to before the last ones are let go (they page back in
 * when scrolled to): a burst of sign-ups would otherwise keep every new user in the webview.
 * Paging further down keeps what was paged in. */
export const LIVE_USER_ROWS = 10 * USER_PAGE_SIZE;

export type UserSortKey = UserSort;

export interface UserLoader {
  list(query: UserQuery): Promise<UserPage>;
}

/** Whether a user matches the search (id, emails, names, username, phone). */
export function userMatches(u: UserRow, search: string): boolean {
  const needle = search.trim().toLowerCase();
  if (!needle) return true;
  return [u.id, u.username, u.first_name, u.last_name, u.primary_phone, ...u.emails]
    .some((v) => v?.toLowerCase().includes(needle));
}

/** The value a user sorts by, as the backend computes it (text case-insensitive). */
export function sortValue(u: UserRow, key: UserSortKey): string | number | null {
  switch (key) {
    case 'seq':
      return u.seq;
    case 'name': {
      const name = [u.first_name ?? '', u.last_name ?? ''].join(' ').trim().toLowerCase();
      return name || null;
    }
    case 'primary_email':
    case 'username':
      return u[key]?.toLowerCase() ?? null;
    default:
      return u[key];
  }
}

/** The backend's order: by value in the chosen direction, missing values last, then by seq. */
export function compareUsers(a: UserRow, b: UserRow, key: UserSortKey, desc: boolean): number {
  const x = sortValue(a, key);
  const y = sortValue(b, key);
  const dir = desc ? -1 : 1;
  if (x !== y) {
    if (x === null) return 1;
    if (y === null) return -1;
    return (x < y ? -1 : 1) * dir;
  }
  return (a.seq - b.seq) * dir;
}

/** One page of `users` as the backend answers `q` (for the in-browser fake and tests). */
export function pageOfUsers(users: Iterable<UserRow>, q: UserQuery): UserPage {
  const sorted = [...users]
    .filter((u) => userMatches(u, q.search ?? ''))
    .sort((a, b) => compareUsers(a, b, q.sort ?? 'seq', q.descending ?? false));
  const from = q.before == null ? 0 : sorted.findIndex((u) => u.seq === q.before) + 1;
  const limit = q.limit ?? 50;
  const items = sorted.slice(from, from + limit);
  return { items, next_cursor: sorted.length > from + limit ? items[items.length - 1].seq : null };
}

/** Text columns open A to Z; numbers and times open newest first. */
const ASCENDING_FIRST: UserSortKey[] = ['id', 'primary_email', 'name', 'username', 'primary_phone'];

export class UserTable {
  search = $state('');
  items = $state.raw<UserRow[]>([]);
  nextCursor = $state<number | null>(null);
  loading = $state(false);
  loaded = $state(false);
  error = $state<string | null>(null);
  sortKey = $state<UserSortKey>('seq');
  sortDesc = $state(true);

  private generation = 0;
  private pending: UserRow[][] = [];
  /** Rows kept: at least LIVE_USER_ROWS, more once the user pages further down. */
  private keep = LIVE_USER_ROWS;

  constructor(private loader: UserLoader) {}

  /** Loaded rows, in the backend's order. */
  get rows(): UserRow[] {
    return this.items;
  }

  get hasMore(): boolean {
    return this.nextCursor !== null;
  }

  /** Sorts by `key` (again: flips the direction) and reloads from the first page. */
  sortBy(key: UserSortKey): Promise<void> {
    if (this.sortKey === key) this.sortDesc = !this.sortDesc;
    else {
      this.sortKey = key;
      this.sortDesc = !ASCENDING_FIRST.includes(key);
    }
    return this.reload();
  }

  /** Back to the default order, newest first. */
  newestFirst(): Promise<void> {
    this.sortKey = 'seq';
    this.sortDesc = true;
    return this.reload();
  }

  setSearch(search: string): Promise<void> {
    this.search = search;
    return this.reload();
  }

  private query(before: number | null): UserQuery {
    return {
      search: this.search.trim() || null,
      sort: this.sortKey,
      descending: this.sortDesc,
      before,
      limit: USER_PAGE_SIZE,
    };
  }

  async reload(): Promise<void> {
    const gen = ++this.generation;
    this.loading = true;
    this.loaded = false;
    this.error = null;
    this.pending = [];
    this.keep = LIVE_USER_ROWS;
    try {
      const page = await this.loader.list(this.query(null));
      if (gen !== this.generation) return;
      this.items = page.items;
      this.nextCursor = page.next_cursor;
      this.loaded = true;
      const queued = this.pending.flat();
      this.pending = [];
      if (queued.length) this.upsert(queued);
    } catch (e) {
      if (gen === this.generation) this.error = (e as { message?: string }).message ?? String(e);
    } finally {
      if (gen === this.generation) this.loading = false;
    }
  }

  async loadMore(): Promise<void> {
    if (this.loading || !this.loaded || this.nextCursor === null) return;
    const gen = this.generation;
    this.loading = true;
    try {
      const page = await this.loader.list(this.query(this.nextCursor));
      if (gen !== this.generation) return;
      const have = new Set(this.items.map((u) => u.id));
      this.items = this.items.concat(page.items.filter((u) => !have.has(u.id)));
      this.nextCursor = page.next_cursor;
      this.keep = Math.max(this.keep, this.items.length);
    } catch (e) {
      if (gen === this.generation) this.error = (e as { message?: string }).message ?? String(e);
    } finally {
      if (gen === this.generation) this.loading = false;
    }
  }

  /**
   * Applies changed user rows: each is taken out and put back where the order places it (an
   * update can move it), new ones only when they match the search. A row that sorts after the
   * last loaded one waits for paging, unless everything is loaded.
   */
  upsert(users: UserRow[]): void {
    if (users.length === 0) return;
    if (!this.loaded) {
      this.pending.push(users);
      return;
    }
    const key = this.sortKey;
    const desc = this.sortDesc;
    const complete = this.nextCursor === null;
    const items = this.items.slice();
    let touched = false;
    for (const u of users) {
      const at = items.findIndex((x) => x.id === u.id);
      if (at >= 0) {
        items.splice(at, 1);
        touched = true;
      } else if (!userMatches(u, this.search)) continue;
      let lo = 0;
      let hi = items.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (compareUsers(items[mid], u, key, desc) < 0) lo = mid + 1;
        else hi = mid;
      }
      if (lo === items.length && !complete && items.length > 0) continue;
      items.splice(lo, 0, u);
      touched = true;
    }
    if (!touched) return;
    if (items.length > this.keep) {
      items.length = this.keep;
      this.nextCursor = items[items.length - 1].seq;
    }
    this.items = items;
  }
}
