// A shared, ticking "now" so relative times and countdowns re-render without per-row timers.

class Clock {
  now = $state(Date.now());
  private timer: ReturnType<typeof setInterval> | null = null;

  /** Starts ticking once per second (idempotent). */
  start(): void {
    this.timer ??= setInterval(() => (this.now = Date.now()), 1000);
  }
}

export const clock = new Clock();
