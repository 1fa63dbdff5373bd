// The load test of the user's app (Send view → Load test): what to send, the run in progress, its
// report. Kept outside the view, so a run goes on while the user watches Events or Users.
import type { ErrorBody, LoadProgress, LoadReport } from '../types';
import { asErrorBody, loadTest, stopLoadTest } from '../api';

/** A count as typed (an emptied number field binds null) made a whole number the backend takes;
 * out of range it is refused there, beside the field. */
export function whole(n: number | null): number {
  return Math.max(0, Math.min(4_294_967_295, Math.floor(Number(n) || 0)));
}

class LoadRun {
  url = $state('');
  /** The App URL field was filled from Settings once (it may be emptied afterwards). */
  prefilled = false;
  events = $state<number | null>(1000);
  concurrency = $state<number | null>(16);
  running = $state(false);
  stopping = $state(false);
  progress = $state.raw<LoadProgress | null>(null);
  report = $state.raw<LoadReport | null>(null);
  error = $state.raw<ErrorBody | null>(null);

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.stopping = false;
    this.error = null;
    this.report = null;
    const request = { url: this.url.trim(), events: whole(this.events), concurrency: whole(this.concurrency) };
    this.progress = { done: 0, total: request.events, events_per_sec: 0 };
    try {
      this.report = await loadTest(request, (p) => {
        if (this.running) this.progress = p;
      });
    } catch (e) {
      this.error = asErrorBody(e);
    } finally {
      this.running = false;
      this.stopping = false;
    }
  }

  /** Stops the running test (also one this window did not start: a reload leaves it running). */
  async stop(): Promise<void> {
    if (!this.running) {
      await stopLoadTest().catch(() => {});
      this.error = null;
      return;
    }
    this.stopping = true;
    try {
      await stopLoadTest();
    } catch (e) {
      this.stopping = false;
      this.error = asErrorBody(e);
    }
  }
}

export const load = new LoadRun();
