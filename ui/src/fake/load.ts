// The fake backend's load test: checks the request like the engine does (a plain http URL that is
// not Hooklab's own port, 1–100,000 requests, 1–64 at once), then pretends to send it in about
// two seconds, with a few failures when the URL says `flaky`, and none answered when it says `down`.
import type { ErrorBody, LoadProgress, LoadReport, LoadRequest } from '../types';

function refuse(field: string, code: string, message: string, hint: string): never {
  const body: ErrorBody = { code, message, hint, field };
  throw body;
}

export class FakeLoad {
  private stopped = false;

  constructor(private readonly ownPort: () => number) {}

  stop(): null {
    this.stopped = true;
    return null;
  }

  async run(request: LoadRequest, onProgress: (p: LoadProgress) => void): Promise<LoadReport> {
    const url = request.url.trim();
    const hint = 'Give your app\'s webhook URL on this machine or network as http://HOST:PORT/PATH (e.g. http://localhost:3000/api/webhooks/clerk).';
    const parsed = /^http:\/\/([^/:]+):(\d+)(\/.*)$/i.exec(url);
    if (!parsed) refuse('load_url', 'invalid_load_url', `${url || '(empty)'} is not a plain http://HOST:PORT/PATH URL`, hint);
    const loopback = ['localhost', '127.0.0.1', '0.0.0.0'].includes(parsed[1].toLowerCase());
    if (loopback && Number(parsed[2]) === this.ownPort()) refuse('load_url', 'forward_to_self', `${url} is Hooklab's own receiver (port ${this.ownPort()})`, 'Load-test the port your app listens on (e.g. 3000), not Hooklab\'s.');
    if (!(request.events >= 1 && request.events <= 100_000)) refuse('load_events', 'invalid_load_events', `${request.events} requests: from 1 to 100,000`, 'A few thousand show how the handler behaves under a burst.');
    if (!(request.concurrency >= 1 && request.concurrency <= 64)) refuse('load_concurrency', 'invalid_load_concurrency', `${request.concurrency} at once: from 1 to 64`, 'Clerk delivers several messages at once; 8 to 32 is a realistic burst.');
    this.stopped = false;
    const total = request.events;
    const started = Date.now();
    let done = 0;
    const down = url.includes('down');
    while (done < total && !this.stopped && !down) {
      await new Promise((r) => setTimeout(r, 250));
      done = Math.min(total, done + Math.ceil(total / 8));
      onProgress({ done, total, events_per_sec: (done * 1000) / Math.max(1, Date.now() - started) });
    }
    const sent = down ? Math.min(total, request.concurrency) : done;
    const failed = url.includes('flaky') ? Math.ceil(sent * 0.03) : 0;
    const statuses = down
      ? [{ status: 0, count: sent }]
      : [{ status: 200, count: sent - failed }, ...(failed ? [{ status: 500, count: failed }] : [])];
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    return {
      url,
      planned: total,
      sent,
      answered: down ? 0 : sent,
      timed_out: 0,
      elapsed_ms: seconds * 1000,
      stopped: sent < total,
      users: Math.max(100, Math.floor(total / 10)),
      overall: { from: 1, to: sent, events_per_sec: sent / seconds, p50_ms: 3.1, p90_ms: 7.4, p99_ms: 21.8, max_ms: 64.2 },
      statuses,
      ok: down ? 0 : sent - failed,
      over_svix_timeout: 0,
      error: down ? `${url}: tcp connect error: Connection refused (os error 111)` : null,
      hint: down
        ? `Some requests got no answer: is your app running at ${url}, and did it crash or close connections under the load? Its own log says.`
        : failed
          ? 'Your app\'s handler failed under load: its log says why. Common causes: inserting a user that already exists (a redelivery, or user.updated before user.created: upsert by id), a stale update overwriting a newer one (compare updated_at), and database locks or pool limits under concurrent requests.'
          : null,
    };
  }
}
