// Unit tests for the text formatting helpers: relative time, masks, offsets, countdowns.
import { describe, expect, it } from 'vitest';
import { bytes, clockTime, countdown, exactTime, keptBytes, mask, offset, printable, relativeTime, shortId, span } from './format';

const NOW = new Date(2025, 5, 20, 12, 0, 0).getTime();

describe('relativeTime', () => {
  it('says just now for the last few seconds', () => {
    expect(relativeTime(NOW, NOW)).toBe('just now');
    expect(relativeTime(NOW - 4_000, NOW)).toBe('just now');
  });
  it('counts seconds, minutes, hours and days', () => {
    expect(relativeTime(NOW - 42_000, NOW)).toBe('42 s ago');
    expect(relativeTime(NOW - 5 * 60_000 - 10_000, NOW)).toBe('5 min ago');
    expect(relativeTime(NOW - 3 * 3_600_000, NOW)).toBe('3 h ago');
    expect(relativeTime(NOW - 2 * 86_400_000, NOW)).toBe('2 d ago');
  });
  it('shows a date past a week, with the year only when it differs', () => {
    expect(relativeTime(new Date(2025, 5, 10, 9).getTime(), NOW)).toBe('Jun 10');
    expect(relativeTime(new Date(2024, 11, 31, 9).getTime(), NOW)).toBe('Dec 31, 2024');
  });
  it('handles timestamps in the future (clock skew)', () => {
    expect(relativeTime(NOW + 90_000, NOW)).toBe('in 1 min');
  });
});

describe('exact times', () => {
  it('shows the local time to the millisecond', () => {
    expect(exactTime(NOW + 537)).toBe('2025-06-20 12:00:00.537');
    expect(clockTime(NOW)).toBe('12:00:00');
  });
  it('says a time no calendar holds is out of range (a hostile svix-timestamp), instead of NaN', () => {
    expect(exactTime(99_999_999_999_999 * 1000)).toBe('out of range');
    expect(clockTime(Number.MAX_SAFE_INTEGER)).toBe('out of range');
  });
});

describe('mask', () => {
  it('keeps the whsec_ prefix and the last four characters', () => {
    expect(mask('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toBe('whsec_…LaSw');
  });
  it('masks other tokens to their last four characters', () => {
    expect(mask('2abcDEFghiJKLmnoPQRstuVWX_3xyz')).toBe('…3xyz');
  });
  it('hides short values completely', () => {
    expect(mask('whsec_abcd1234')).toBe('whsec_…');
    expect(mask('short')).toBe('…');
  });
});

describe('durations', () => {
  it('formats clock offsets', () => {
    expect(offset(42)).toBe('42 s');
    expect(offset(601)).toBe('10 min 1 s');
    expect(offset(-7200)).toBe('2 h');
    expect(offset(7500)).toBe('2 h 5 min');
  });
  it('formats countdowns', () => {
    expect(countdown(12_000)).toBe('12 s');
    expect(countdown(11_001)).toBe('12 s');
    expect(countdown(65_000)).toBe('1:05');
    expect(countdown(-5)).toBe('0 s');
  });
  it('formats spans and sizes', () => {
    expect(span(90_000)).toBe('1 min');
    expect(bytes(512)).toBe('512 B');
    expect(bytes(1843)).toBe('1.8 KB');
  });
  it('shortens long ids', () => {
    expect(shortId('user_2yJshmaJAoE3XwYMmUcJwH5cXSl')).toBe('user_2yJs…cXSl');
    expect(shortId('user_1')).toBe('user_1');
  });
});

describe('printable', () => {
  it('shows control characters and bidi overrides as escapes, and leaves other text alone', () => {
    expect(printable('user.created')).toBe('user.created');
    expect(printable('user.created\n12:00 verified')).toBe('user.created\\n12:00 verified');
    expect(printable('\u001b[2J\u0007')).toBe('\\x1b[2J\\x07');
    expect(printable('a\u202eb é')).toBe('a\\u{202e}b é');
  });
});

describe('keptBytes', () => {
  it('counts UTF-8 bytes, not characters', () => {
    expect(keptBytes({ body: 'é{}', body_base64: null })).toBe(4);
  });
  it('counts the bytes behind base64, padding included', () => {
    expect(keptBytes({ body: '', body_base64: '/w==' })).toBe(1);
    expect(keptBytes({ body: '', body_base64: '//8=' })).toBe(2);
    expect(keptBytes({ body: '', body_base64: '////' })).toBe(3);
  });
});
