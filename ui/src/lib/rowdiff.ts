// Turns an event's RowChange (the user and session rows before and after it) into the lines the
// detail pane shows: one per field, with whether the event changed it.
import type { RowChange, SessionRow, UserRow } from '../types';

export type Cell = { kind: 'text'; text: string } | { kind: 'time'; ms: number } | { kind: 'none' };

export interface DiffLine {
  /** `user` or `session`. */
  row: 'user' | 'session';
  field: string;
  before: Cell;
  after: Cell;
  changed: boolean;
}

const USER_FIELDS: [keyof UserRow, string][] = [
  ['primary_email', 'Primary email'],
  ['emails', 'Emails'],
  ['primary_phone', 'Phone'],
  ['username', 'Username'],
  ['first_name', 'First name'],
  ['last_name', 'Last name'],
  ['image_url', 'Image'],
  ['created_at', 'Created'],
  ['updated_at', 'Updated'],
  ['last_sign_in_at', 'Last sign-in'],
  ['deleted_at', 'Deleted'],
  ['public_metadata', 'Public metadata'],
  ['last_event_id', 'Written by'],
];

const SESSION_FIELDS: [keyof SessionRow, string][] = [
  ['status', 'Status'],
  ['created_at', 'Signed in'],
  ['updated_at', 'Updated'],
];

const TIMES = new Set(['created_at', 'updated_at', 'last_sign_in_at', 'deleted_at']);

function cell(key: string, value: unknown): Cell {
  if (value === null || value === undefined) return { kind: 'none' };
  if (TIMES.has(key) && typeof value === 'number') return { kind: 'time', ms: value };
  if (key === 'last_event_id') return { kind: 'text', text: `event #${value}` };
  if (Array.isArray(value)) return value.length ? { kind: 'text', text: value.join(', ') } : { kind: 'none' };
  if (typeof value === 'object') {
    const text = JSON.stringify(value);
    return text === '{}' ? { kind: 'none' } : { kind: 'text', text };
  }
  return { kind: 'text', text: String(value) };
}

const same = (a: Cell, b: Cell) => JSON.stringify(a) === JSON.stringify(b);

function lines<R>(row: 'user' | 'session', fields: [keyof R, string][], before: R | null, after: R | null): DiffLine[] {
  if (!before && !after) return [];
  return fields.map(([key, field]) => {
    const b = cell(String(key), before?.[key]);
    const a = cell(String(key), after?.[key]);
    return { row, field, before: b, after: a, changed: !same(b, a) };
  });
}

/** Every field of the rows the event wrote, user first; `changed` marks what it changed. */
export function rowDiff(change: RowChange): DiffLine[] {
  return [
    ...lines<UserRow>('user', USER_FIELDS, change.user_before, change.user_after),
    ...lines<SessionRow>('session', SESSION_FIELDS, change.session_before, change.session_after),
  ];
}

/** One line saying what happened to the user row: created, updated (n fields), deleted, untouched. */
export function rowVerdict(change: RowChange): string {
  const { user_before: b, user_after: a } = change;
  if (!b && a) return a.deleted_at !== null ? 'Created as a tombstone (deleted before it was created)' : 'Created the user row';
  if (b && a && b.deleted_at === null && a.deleted_at !== null) return 'Marked the user deleted (the row is kept as a tombstone)';
  const changed = rowDiff(change).filter((l) => l.changed && l.field !== 'Written by');
  const user = changed.filter((l) => l.row === 'user').length;
  const session = changed.filter((l) => l.row === 'session').length;
  const parts: string[] = [];
  if (!change.session_before && change.session_after) parts.push('recorded a new session');
  else if (session) parts.push(`updated the session (${session} field${session === 1 ? '' : 's'})`);
  if (user) parts.push(`changed ${user} user field${user === 1 ? '' : 's'}`);
  if (!parts.length) return 'Rewrote the user row with the same values';
  const text = parts.join('; ');
  return text[0].toUpperCase() + text.slice(1);
}
