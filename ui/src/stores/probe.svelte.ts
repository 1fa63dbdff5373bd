// "Test public URL": the latest probe of the public webhook URL (run once when the tunnel comes
// online, and on demand), so the header can say it really reaches Hooklab — or where it broke.
import type { ProbeResult } from '../types';
import { asErrorBody, subscribe, testPublicUrl } from '../api';

export class Probe {
  result = $state.raw<ProbeResult | null>(null);
  busy = $state(false);

  /** Takes the shell's automatic probes. */
  async listen(): Promise<void> {
    await subscribe('probe', (r) => (this.result = r));
  }

  /** Probes now. */
  async run(): Promise<void> {
    this.busy = true;
    try {
      this.result = await testPublicUrl();
    } catch (e) {
      const err = asErrorBody(e);
      this.result = {
        stage: 'unreachable', url: null, status: null, elapsed_ms: null,
        summary: err.message, hint: err.hint, event: null,
      };
    } finally {
      this.busy = false;
    }
  }
}

export const probe = new Probe();
