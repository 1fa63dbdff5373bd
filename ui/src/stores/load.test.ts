import { describe, expect, it } from 'vitest';
import { useBackend, type Backend } from '../api';
import type { LoadProgress, LoadReport } from '../types';
import { load, whole } from './load.svelte';

const report: LoadReport = {
  url: 'http://localhost:3000/api/webhooks/clerk',
  planned: 3,
  sent: 3,
  answered: 3,
  timed_out: 0,
  elapsed_ms: 10,
  stopped: false,
  users: 100,
  overall: { from: 1, to: 3, events_per_sec: 300, p50_ms: 1, p90_ms: 2, p99_ms: 3, max_ms: 3 },
  statuses: [{ status: 204, count: 3 }],
  ok: 3,
  over_svix_timeout: 0,
  error: null,
  hint: null,
};

/** A backend that answers load_test after sending one progress message, and records calls. */
function backend(calls: [string, Record<string, unknown>][]): Backend {
  return {
    async invoke<T>(command: string, args: Record<string, unknown>): Promise<T> {
      calls.push([command, args]);
      if (command === 'load_test') {
        (args.on_progress as (p: LoadProgress) => void)({ done: 2, total: 3, events_per_sec: 100 });
        return report as T;
      }
      if (command === 'stop_load_test') return null as T;
      throw { code: 'unknown_command', message: command, hint: null };
    },
    listen: async () => () => {},
    copy: async () => {},
    channel: (handler) => handler,
  };
}

describe('the load test', () => {
  it('sends whole, non-negative counts whatever was typed', () => {
    expect(whole(null)).toBe(0);
    expect(whole(-5)).toBe(0);
    expect(whole(12.7)).toBe(12);
    expect(whole(1e12)).toBe(4_294_967_295);
  });

  it('runs with the typed URL and counts, shows progress, then the report', async () => {
    const calls: [string, Record<string, unknown>][] = [];
    useBackend(backend(calls));
    load.url = ' http://localhost:3000/api/webhooks/clerk ';
    load.events = null; // an emptied field
    load.concurrency = 8;
    const seen: (LoadProgress | null)[] = [];
    const run = load.start();
    seen.push(load.progress);
    await run;
    expect(calls[0][0]).toBe('load_test');
    expect(calls[0][1].request).toEqual({ url: 'http://localhost:3000/api/webhooks/clerk', events: 0, concurrency: 8 });
    expect(seen[0]).toEqual({ done: 0, total: 0, events_per_sec: 0 });
    expect(load.report).toEqual(report);
    expect(load.running).toBe(false);
  });

  it('Stop with nothing running in this window still stops a run left by a reload', async () => {
    const calls: [string, Record<string, unknown>][] = [];
    useBackend(backend(calls));
    await load.stop();
    expect(calls.map((c) => c[0])).toEqual(['stop_load_test']);
  });
});
