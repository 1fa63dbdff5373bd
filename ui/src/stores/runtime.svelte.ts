// The runtime as last reported (RuntimeStatus), the alarms raised since launch, and how long Clerk
// could not reach Hooklab before the tunnel last came back.
import type { Alarm, Downtime, RuntimeStatus } from '../types';

class Runtime {
  status = $state.raw<RuntimeStatus | null>(null);
  alarms = $state.raw<Alarm[]>([]);
  /** The stretch without a public URL that ended when the tunnel last came online. */
  downtime = $state.raw<Downtime | null>(null);
  /** Could not reach the backend at all. */
  error = $state<string | null>(null);

  raise(alarm: Alarm): void {
    this.alarms = [...this.alarms.filter((a) => a.code !== alarm.code), alarm];
  }

  dismiss(alarm: Alarm): void {
    this.alarms = this.alarms.filter((a) => a !== alarm);
  }
}

export const runtime = new Runtime();
