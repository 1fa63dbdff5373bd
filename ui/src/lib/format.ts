// Turns raw values (Unix ms, byte counts, secrets, durations) into the short text the UI shows.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `just now`, `42 s ago`, `5 min ago`, `3 h ago`, `2 d ago`, then `Jun 10` or `Jun 10, 2024`. */
export function relativeTime(ms: number, now: number): string {
  const diff = now - ms;
  if (diff < -5 * SECOND) return `in ${span(-diff)}`;
  if (diff < 5 * SECOND) return 'just now';
  if (diff < 7 * DAY) return `${span(diff)} ago`;
  const d = new Date(ms);
  const sameYear = d.getFullYear() === new Date(now).getFullYear();
  return `${MONTHS[d.getMonth()]} ${d.getDate()}${sameYear ? '' : `, ${d.getFullYear()}`}`;
}

/** A duration as one coarse unit: `42 s`, `5 min`, `3 h`, `2 d`. */
export function span(ms: number): string {
  if (ms < MINUTE) return `${Math.floor(ms / SECOND)} s`;
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)} min`;
  if (ms < DAY) return `${Math.floor(ms / HOUR)} h`;
  return `${Math.floor(ms / DAY)} d`;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The exact local time, to the millisecond: `2025-06-10 14:02:11.537`. */
export function exactTime(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return 'out of range';
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
  );
}

/** A short clock time for dense columns: `14:02:11`. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return 'out of range';
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Masks a secret-like value the way the engine does: prefix kept, last four characters shown. */
export function mask(value: string): string {
  const prefix = value.startsWith('whsec_') ? 'whsec_' : '';
  const chars = Array.from(value);
  if (chars.length <= prefix.length + 8) return `${prefix}…`;
  return `${prefix}…${chars.slice(-4).join('')}`;
}

/** `512 B`, `1.4 KB`, `2.0 MB`. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** How many bytes of an event's body were kept (exact: from the base64 when the body is not
 * UTF-8, else from the text, which is then the exact bytes). */
export function keptBytes(d: { body: string; body_base64: string | null }): number {
  if (d.body_base64 !== null) {
    const b = d.body_base64;
    return (b.length / 4) * 3 - (b.endsWith('==') ? 2 : b.endsWith('=') ? 1 : 0);
  }
  return new TextEncoder().encode(d.body).length;
}

/** A countdown: `12 s`, `1:05`. */
export function countdown(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 60) return `${s} s`;
  return `${Math.floor(s / 60)}:${pad(s % 60)}`;
}

/** Seconds of clock offset in words: `42 s`, `7 min 3 s`, `2 h 5 min`. */
export function offset(seconds: number): string {
  const s = Math.abs(Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const m = Math.floor((s % 3600) / 60);
  return `${Math.floor(s / 3600)} h${m ? ` ${m} min` : ''}`;
}

/** Milliseconds with a sensible precision: `3.2 ms`, `148 ms`, `1.20 s`. */
export function millis(ms: number): string {
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** A person's name from its parts, or null. */
export function fullName(first: string | null, last: string | null): string | null {
  const name = [first, last].filter(Boolean).join(' ');
  return name || null;
}

/** `user_2yJs…cXSl`: long ids shortened for tight columns (the full value goes in a title). */
export function shortId(id: string, keep = 4): string {
  const cut = id.indexOf('_') + 1 + keep;
  if (id.length <= cut + keep + 1) return id;
  return `${id.slice(0, cut)}…${id.slice(-keep)}`;
}

/** The path without its query string. */
export function pathOnly(path: string): string {
  const q = path.indexOf('?');
  return q < 0 ? path : path.slice(0, q);
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Text from a request with control characters and bidi overrides shown as escapes (`\n`,
 * `\x1b`, `\u{202e}`): a claimed type cannot hide a newline or reorder what the log shows. */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    const code = c.charCodeAt(0);
    return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16).padStart(4, '0')}}`;
  });
}
