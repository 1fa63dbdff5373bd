// Unit tests for what the detail pane says an applied event changed.
import { describe, expect, it } from 'vitest';
import type { RowChange, UserRow } from '../types';
import { rowDiff, rowVerdict } from './rowdiff';

const user = (patch: Partial<UserRow> = {}): UserRow => ({
  seq: 1,
  id: 'user_1',
  primary_email: 'ada@example.com',
  primary_phone: null,
  username: 'ada',
  first_name: 'Ada',
  last_name: 'Lovelace',
  image_url: null,
  created_at: 1_000,
  updated_at: 1_000,
  last_sign_in_at: null,
  deleted_at: null,
  last_event_id: 7,
  emails: ['ada@example.com'],
  public_metadata: {},
  ...patch,
});

const change = (patch: Partial<RowChange>): RowChange => ({
  user_before: null,
  user_after: null,
  session_before: null,
  session_after: null,
  ...patch,
});

describe('rowDiff', () => {
  it('marks exactly the fields an update changed', () => {
    const c = change({
      user_before: user(),
      user_after: user({ username: 'countess', updated_at: 2_000, last_event_id: 9 }),
    });
    const changed = rowDiff(c).filter((l) => l.changed).map((l) => l.field);
    expect(changed).toEqual(['Username', 'Updated', 'Written by']);
    const name = rowDiff(c).find((l) => l.field === 'Username');
    expect(name?.before).toEqual({ kind: 'text', text: 'ada' });
    expect(name?.after).toEqual({ kind: 'text', text: 'countess' });
    expect(rowVerdict(c)).toBe('Changed 2 user fields');
  });

  it('shows a created row against nothing, and times as times', () => {
    const c = change({ user_after: user() });
    const created = rowDiff(c).find((l) => l.field === 'Created');
    expect(created).toMatchObject({ before: { kind: 'none' }, after: { kind: 'time', ms: 1_000 }, changed: true });
    expect(rowVerdict(c)).toBe('Created the user row');
  });

  it('says a delete kept a tombstone, and a sign-in recorded a session', () => {
    expect(rowVerdict(change({ user_before: user(), user_after: user({ deleted_at: 5_000 }) }))).toMatch(/tombstone/);
    const session = { id: 'sess_1', user_id: 'user_1', status: 'active', created_at: 3_000, updated_at: 3_000, client_id: null, last_active_at: null, expire_at: null };
    const signIn = change({
      user_before: user(),
      user_after: user({ last_sign_in_at: 3_000 }),
      session_after: session,
    });
    expect(rowVerdict(signIn)).toBe('Recorded a new session; changed 1 user field');
    expect(rowDiff(signIn).filter((l) => l.row === 'session' && l.changed)).toHaveLength(3);
  });

  it('treats empty lists and empty metadata as no value', () => {
    const c = change({ user_before: user({ emails: [] }), user_after: user({ emails: [], public_metadata: { plan: 'pro' } }) });
    const lines = rowDiff(c);
    expect(lines.find((l) => l.field === 'Emails')).toMatchObject({ before: { kind: 'none' }, changed: false });
    expect(lines.find((l) => l.field === 'Public metadata')).toMatchObject({ after: { kind: 'text', text: '{"plan":"pro"}' } });
  });
});
