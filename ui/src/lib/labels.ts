// Words and tones for the codes the engine stores (verification, sync, source, tunnel states),
// so every badge, filter and detail pane names them the same way.
import type { SecretOrigin, SyncKind } from '../types';

export type Tone = 'ok' | 'warn' | 'bad' | 'muted' | 'info';

export const VERIFICATION: Record<string, { label: string; tone: Tone }> = {
  verified: { label: 'verified', tone: 'ok' },
  missing_header: { label: 'missing header', tone: 'bad' },
  malformed_timestamp: { label: 'bad timestamp', tone: 'bad' },
  timestamp_too_old: { label: 'too old', tone: 'bad' },
  timestamp_too_new: { label: 'too new', tone: 'bad' },
  signature_mismatch: { label: 'bad signature', tone: 'bad' },
  no_secret: { label: 'no secret', tone: 'warn' },
  not_checked: { label: 'not checked', tone: 'muted' },
};

export const SYNC: Record<SyncKind, { label: string; tone: Tone }> = {
  applied: { label: 'applied', tone: 'ok' },
  stale: { label: 'stale', tone: 'warn' },
  duplicate: { label: 'duplicate', tone: 'info' },
  ignored: { label: 'ignored', tone: 'muted' },
  error: { label: 'error', tone: 'bad' },
  not_synced: { label: 'not synced', tone: 'muted' },
};

export const SOURCES: Record<string, string> = {
  local: 'local',
  tunnel: 'tunnel',
  replay: 'replay',
  test: 'test',
};

export const ORIGINS: Record<SecretOrigin, string> = {
  flag: '--secret flag',
  env: 'environment variable',
  settings: 'Settings',
};

/** Verification codes in the order the outcome filter lists them. */
export const VERIFICATION_CODES = Object.keys(VERIFICATION);
/** Sync codes in the order the outcome filter lists them. */
export const SYNC_CODES = Object.keys(SYNC) as SyncKind[];

/** The event types Clerk sends that Hooklab syncs from. */
export const SYNCED_TYPES = ['user.created', 'user.updated', 'user.deleted', 'session.created'];

/** Event types offered in the type filter before any were seen. */
export const KNOWN_TYPES = [
  ...SYNCED_TYPES,
  'session.ended',
  'session.removed',
  'session.revoked',
  'email.created',
  'sms.created',
  'organization.created',
  'organization.updated',
  'organizationMembership.created',
];

export function verificationLabel(code: string): { label: string; tone: Tone } {
  return VERIFICATION[code] ?? { label: code.replace(/_/g, ' '), tone: 'bad' };
}

export function syncLabel(code: string): { label: string; tone: Tone } {
  return SYNC[code as SyncKind] ?? { label: code.replace(/_/g, ' '), tone: 'muted' };
}

/** The tone of an HTTP status. */
export function statusTone(status: number): Tone {
  if (status >= 200 && status < 300) return 'ok';
  if (status >= 500) return 'bad';
  if (status >= 400) return 'bad';
  return 'muted';
}

/** The badge for what the user's app answered a forward: its status, or `no answer` (0). */
export function forwardLabel(status: number): { label: string; tone: Tone } {
  return status === 0 ? { label: 'no answer', tone: 'bad' } : { label: String(status), tone: statusTone(status) };
}
