// The runtime as last reported (RuntimeStatus), the alarms raised since launch, and how long Clerk
// could not reach Hooklab before the tunnel last came back.
import { changeSettings } from '../api';
import type { Alarm, Downtime, RuntimeStatus } from '../types';

class Runtime {
  status = $state.raw<RuntimeStatus | null>(null);
  alarms = $state.raw<Alarm[]>([]);
  /** The stretch without a public URL that ended when the tunnel last came online. */
  downtime = $state.raw<Downtime | null>(null);
  /** Could not reach the backend at all. */
  error = $state<string | null>(null);

  /** No signing secret is configured (so nothing can be signed); false until the status is in. */
  get noSecret(): boolean {
    return (this.status?.secrets.length ?? 1) === 0;
  }

  raise(alarm: Alarm): void {
    this.alarms = [...this.alarms.filter((a) => a.code !== alarm.code), alarm];
  }

  dismiss(alarm: Alarm): void {
    this.alarms = this.alarms.filter((a) => a !== alarm);
  }

  /** Saves `typed` as the user's app URL in Settings when none is saved yet, so it is there next
   * time; resolves to whether it did. A saved one is never replaced from here: live forwarding
   * goes to it. A URL Settings refuses is simply not remembered. */
  async rememberAppUrl(typed: string): Promise<boolean> {
    const s = this.status;
    // Typed without a scheme, it went to http:// (as the backend reads it); saved the same way.
    const url = typed.trim() && (typed.includes('://') ? typed.trim() : `http://${typed.trim()}`);
    if (!s || s.forward_overridden_by || s.forward_url || !url) return false;
    try {
      this.status = await changeSettings({ change: 'set_forward', url, live: false });
      return true;
    } catch {
      return false;
    }
  }
}

export const runtime = new Runtime();
