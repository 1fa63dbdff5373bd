// The load test of the user's app (Send view → Load test): what to send, the run in progress, its
// report. Kept outside the view, so a run goes on while the user watches Events or Users.
import type { ErrorBody, LoadProgress, LoadReport } from '../types';
import { asErrorBody, loadTest, stopLoadTest } from '../api';

/** Request counts offered; any other can be typed. */
export const EVENT_CHOICES = [100, 1000, 10_000] as const;

class LoadRun {
  url = $state('');
  events = $state(1000);
  concurrency = $state(16);
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
    this.progress = { done: 0, total: this.events, events_per_sec: 0 };
    try {
      const request = { url: this.url.trim(), events: Math.floor(this.events), concurrency: Math.floor(this.concurrency) };
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

  async stop(): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    try {
      await stopLoadTest();
    } catch (e) {
      this.error = asErrorBody(e);
    }
  }
}

export const load = new LoadRun();
