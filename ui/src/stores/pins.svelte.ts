// Pinned event ids, kept in localStorage (per database) so they survive restarts and the log's
// "Clear", and handed to the backend on every change so its retention policy keeps them.

const KEY = 'hooklab.pins';

/** The bits of Storage the stores use (localStorage in the app, a Map in tests). */
export interface KeyValue {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** localStorage when there is one, else a throwaway in-memory store. */
export function defaultStorage(): KeyValue {
  try {
    if (typeof localStorage !== 'undefined') return localStorage;
  } catch {
    // Storage can throw when disabled; fall through.
  }
  const m = new Map<string, string>();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v) };
}

export class Pins {
  ids = $state.raw<ReadonlySet<number>>(new Set());
  /** Told the whole set after each change and once a database is chosen (the backend's copy). */
  onchange: (ids: number[]) => void = () => {};
  private key = KEY;

  constructor(private storage: KeyValue = defaultStorage()) {
    this.load();
  }

  /** Keeps pins per database (event ids are only unique within one). */
  scope(database: string): void {
    const key = `${KEY}:${database}`;
    if (key === this.key) return;
    this.key = key;
    this.load();
    this.onchange(this.sorted());
  }

  private load(): void {
    this.ids = new Set();
    try {
      const saved = JSON.parse(this.storage.getItem(this.key) ?? '[]');
      if (Array.isArray(saved)) this.ids = new Set(saved.filter((n) => typeof n === 'number'));
    } catch {
      // A corrupt entry means no pins.
    }
  }

  has(id: number): boolean {
    return this.ids.has(id);
  }

  toggle(id: number): void {
    const next = new Set(this.ids);
    if (!next.delete(id)) next.add(id);
    this.ids = next;
    this.storage.setItem(this.key, JSON.stringify(this.sorted()));
    this.onchange(this.sorted());
  }

  private sorted(): number[] {
    return [...this.ids].sort((a, b) => b - a);
  }

  get count(): number {
    return this.ids.size;
  }
}
