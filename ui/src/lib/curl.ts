// Builds the "copy as curl" command for a captured request, so it can be re-sent from a terminal.
import type { EventDetail } from '../types';

/** Headers that describe the original connection, not the request: left out of the command. */
const SKIP = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'keep-alive', 'accept-encoding']);

/** Quotes a value for a POSIX shell. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The origin (scheme, host, port) of a URL such as the receiver's local URL. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url.replace(/^(https?:\/\/[^/]+).*$/, '$1');
  }
}

/** `curl -X POST 'http://127.0.0.1:8787/api/…' -H '…' --data-raw '…'` for the event. */
export function curlFor(event: EventDetail, baseUrl: string): string {
  const lines = [`curl -X ${event.method} ${shellQuote(originOf(baseUrl) + event.path)}`];
  for (const [name, value] of event.headers) {
    const lower = name.toLowerCase();
    if (SKIP.has(lower)) continue;
    // Not Svix's sender: what the command sends must not pass for one of Svix's attempts.
    const sent = lower === 'user-agent' ? `curl (copied from Hooklab event #${event.id})` : value;
    lines.push(`  -H ${shellQuote(`${name}: ${sent}`)}`);
  }
  if (event.body_base64) {
    lines.push(`  --data-binary @<(echo ${shellQuote(event.body_base64)} | base64 -d)`);
  } else if (event.body.length > 0) {
    lines.push(`  --data-raw ${shellQuote(event.body)}`);
  }
  return lines.join(' \\\n');
}
