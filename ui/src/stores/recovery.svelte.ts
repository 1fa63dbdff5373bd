// Recovering failed deliveries: whether its dialog is open and since when, and the offer made
// when the signing secrets change while Clerk messages that failed were never delivered since
// (the moment a recovery helps).
import { recoveryPlan } from '../api';
import type { RecoveryPlan } from '../types';

/** The spans a recovery can look back over; `null` is everything kept. */
export const SPANS: { label: string; ms: number | null }[] = [
  { label: 'Last hour', ms: 3_600_000 },
  { label: 'Last 6 hours', ms: 6 * 3_600_000 },
  { label: 'Last 24 hours', ms: 24 * 3_600_000 },
  { label: 'Last 7 days', ms: 7 * 24 * 3_600_000 },
  { label: 'Everything kept', ms: null },
];

/** Seven days: Svix retries a message for about 28 hours, so this covers every retry and more. */
export const DEFAULT_SPAN = 3;

/** The earliest arrival (Unix ms) span `index` takes in, as of `now`. */
export function sinceOf(index: number, now: number): number {
  const ms = SPANS[index]?.ms ?? null;
  return ms === null ? 0 : now - ms;
}

class Recovery {
  /** The dialog is open. */
  open = $state(false);
  /** What a recovery would re-run, offered after the secrets changed; null when nothing is. */
  offer = $state.raw<RecoveryPlan | null>(null);
  private secrets: string | null = null;
  private asked = 0;

  /** The secrets now (their masks, in order). When one was added since the last call (not at
   * the first), checks what failed and offers to recover it; with none left, the offer goes. */
  async secretsAre(key: string): Promise<void> {
    const before = this.secrets;
    this.secrets = key;
    if (key === '') {
      this.dismiss();
      return;
    }
    const known = new Set(before?.split(' ') ?? []);
    if (before === null || key.split(' ').every((mask) => known.has(mask))) return;
    await this.count();
  }

  /** Counts again while an offer stands (new events may have delivered or added failures). */
  async recheck(): Promise<void> {
    if (this.offer) await this.count();
  }

  /** Asks for the plan; only the answer to the latest question is taken. */
  private async count(): Promise<void> {
    const asked = ++this.asked;
    try {
      const plan = await recoveryPlan(sinceOf(DEFAULT_SPAN, Date.now()));
      if (asked === this.asked) this.offer = plan.messages > 0 ? plan : null;
    } catch {
      // Keep the offer as it was.
    }
  }

  /** Withdraws the offer; a count still on its way does not bring it back. */
  dismiss(): void {
    this.asked++;
    this.offer = null;
  }

  show(): void {
    this.dismiss();
    this.open = true;
  }
}

export const recovery = new Recovery();
