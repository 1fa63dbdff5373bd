// The runtime as last reported (RuntimeStatus) and the alarms raised since launch.
import type { Alarm, RuntimeStatus } from '../types';

class Runtime {
  status = $state.raw<RuntimeStatus | null>(null);
  alarms = $state.raw<Alarm[]>([]);
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
