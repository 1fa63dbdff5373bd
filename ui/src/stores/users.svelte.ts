// The users table's state: search, pages loaded so far (newest first by seq), live upserts by id,
// and a client-side sort over the loaded rows.
import type { UserPage, UserRow } from '../types';
import { upsertSorted } from './order';

export const USER_PAGE_SIZE = 200;

export type UserSortKey =
  | 'seq'
  | 'id'
  | 'primary_email'
  | 'name'
  | 'username'
  | 'primary_phone'
  | 'created_at'
  | 'updated_at'
  | 'last_sign_in_at'
  | 'deleted_at';

export interface UserLoader {
  list(search: string | null, before: number | null, limit: number): Promise<UserPage>;
}

const bySeq = (u: UserRow) => u.seq;

/** Whether a user matches the search (id, emails, names, username, phone). */
export function userMatches(u: UserRow, search: string): boolean {
  const needle = search.trim().toLowerCase();
  if (!needle) return true;
  return [u.id, u.username, u.first_name, u.last_name, u.primary_phone, ...u.emails]
    .some((v) => v?.toLowerCase().includes(needle));
}

function sortValue(u: UserRow, key: UserSortKey): string | number | null {
  if (key === 'name') return [u.first_name, u.last_name].filter(Boolean).join(' ') || null;
  return u[key];
}

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

  constructor(private loader: UserLoader) {}

  /** Loaded rows in the chosen order (nulls last either way). */
  rows = $derived.by((): UserRow[] => {
    const key = this.sortKey;
    if (key === 'seq' && this.sortDesc) return this.items;
    const dir = this.sortDesc ? -1 : 1;
    return this.items.slice().sort((a, b) => {
      const x = sortValue(a, key);
      const y = sortValue(b, key);
      if (x === y) return b.seq - a.seq;
      if (x === null) return 1;
      if (y === null) return -1;
      return (x < y ? -1 : 1) * dir;
    });
  });

  get hasMore(): boolean {
    return this.nextCursor !== null;
  }

  sortBy(key: UserSortKey): void {
    if (this.sortKey === key) this.sortDesc = !this.sortDesc;
    else {
      this.sortKey = key;
      this.sortDesc = key !== 'id' && key !== 'primary_email' && key !== 'name' && key !== 'username';
    }
  }

  setSearch(search: string): Promise<void> {
    this.search = search;
    return this.reload();
  }

  async reload(): Promise<void> {
    const gen = ++this.generation;
    this.loading = true;
    this.loaded = false;
    this.error = null;
    this.pending = [];
    try {
      const page = await this.loader.list(this.search.trim() || null, null, USER_PAGE_SIZE);
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
      const page = await this.loader.list(this.search.trim() || null, this.nextCursor, USER_PAGE_SIZE);
      if (gen !== this.generation) return;
      const last = this.items.at(-1)?.seq ?? Infinity;
      this.items = this.items.concat(page.items.filter((u) => u.seq < last));
      this.nextCursor = page.next_cursor;
    } finally {
      if (gen === this.generation) this.loading = false;
    }
  }

  /** Applies changed user rows: replaced in place by id, new ones inserted by seq. */
  upsert(users: UserRow[]): void {
    if (users.length === 0) return;
    if (!this.loaded) {
      this.pending.push(users);
      return;
    }
    let items = this.items;
    const fresh: UserRow[] = [];
    for (const u of users) {
      const at = items.findIndex((x) => x.id === u.id);
      if (at >= 0) {
        if (items === this.items) items = items.slice();
        items[at] = u;
      } else fresh.push(u);
    }
    const next = upsertSorted(items, fresh, bySeq, this.nextCursor === null, (u) =>
      userMatches(u, this.search),
    );
    if (next) items = next;
    if (items !== this.items) this.items = items;
  }
}
