// Sorted-array helpers for newest-first lists keyed by a number (event id, user seq).

/** Index of the first item whose key is <= `key` in a list sorted by key descending. */
export function indexAtOrBelow<T>(items: readonly T[], key: number, keyOf: (t: T) => number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keyOf(items[mid]) > key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Upserts `incoming` into `items` (sorted by key descending) and returns a new array, or the
 * same array when nothing changed. Items older than the oldest loaded one are only inserted
 * when `complete` (the list holds everything; otherwise paging brings them in later).
 * `accept` decides whether an item not yet in the list belongs there (filters).
 */
export function upsertSorted<T>(
  items: readonly T[],
  incoming: readonly T[],
  keyOf: (t: T) => number,
  complete: boolean,
  accept: (t: T) => boolean,
): T[] | null {
  let out: T[] | null = null;
  for (const item of incoming) {
    const list = out ?? items;
    const key = keyOf(item);
    const at = indexAtOrBelow(list, key, keyOf);
    if (at < list.length && keyOf(list[at]) === key) {
      out ??= items.slice();
      out[at] = item;
      continue;
    }
    if (!accept(item)) continue;
    if (at === list.length && !complete && list.length > 0) continue;
    out ??= items.slice();
    out.splice(at, 0, item);
  }
  return out;
}
