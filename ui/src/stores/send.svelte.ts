// What the Send test view holds (the chosen fixture, the edited JSON, who it is about, how to
// deliver it, the target and the last answer), kept outside the view so it survives going to
// the Events view to watch the event arrive and coming back.
import type { ErrorBody, Fixture, SendTarget, TestOptions, TestSendReply } from '../types';
import { TOLERANCE_S } from '../lib/delivery';

/** The most deliveries of one test message (`MAX_TIMES` in core/test_event.rs). */
export const MAX_TIMES = 20;

class SendDraft {
  /** One test event (a fixture, edited), or the load test of the user's app. */
  mode = $state<'event' | 'load'>('event');
  chosen = $state<string | null>(null);
  json = $state('');
  /** The user the event is about; empty: a new user each send. */
  userId = $state('');
  /** For session.* events: the session; empty: a new one each send. */
  sessionId = $state('');
  /** Sign with a wrong key, as a misconfigured secret would. */
  wrongKey = $state(false);
  /** Seconds added to svix-timestamp (negative: in the past). */
  offset = $state(0);
  /** The shift is typed in seconds instead of picked from the list. */
  customShift = $state(false);
  /** How many times to deliver the one message. */
  times = $state(1);
  target = $state<'local' | 'public' | 'app'>('local');
  /** The URL for the "Your app" target; filled from Settings when one is saved. */
  appUrl = $state('');
  reply = $state.raw<TestSendReply | null>(null);
  /** The timestamp shift and the target the last reply was sent with. */
  sentShift = $state(0);
  sentTo = $state<'local' | 'public' | 'app'>('local');
  error = $state.raw<ErrorBody | null>(null);

  pick(f: Fixture): void {
    this.mode = 'event';
    this.chosen = f.name;
    this.json = f.json.trimEnd();
    this.error = null;
  }

  /** The edited event's type, when its JSON says one (while it is mid-edit and not JSON, the
   * first `"type"` in it). */
  get eventType(): string | null {
    try {
      const type = (JSON.parse(this.json) as { type?: unknown } | null)?.type;
      return typeof type === 'string' ? type : null;
    } catch {
      return /"type"\s*:\s*"([^"]*)"/.exec(this.json)?.[1] ?? null;
    }
  }

  /** Whether the delivery is set to fail verification on purpose. */
  get broken(): boolean {
    return this.wrongKey || Math.abs(Number(this.offset) || 0) > TOLERANCE_S;
  }

  /** The number of deliveries as typed, as a whole number (an emptied field: 1). */
  get count(): number {
    const n = Math.trunc(Number(this.times));
    return Number.isFinite(n) && this.times !== null ? n : 1;
  }

  options(): TestOptions {
    const session = this.eventType?.startsWith('session.') ? this.sessionId.trim() : '';
    return {
      user_id: this.userId.trim() || null,
      session_id: session || null,
      // Kept within what JSON and i64 carry; the backend refuses more than a year beside the field.
      timestamp_offset: Math.max(-1e12, Math.min(1e12, Math.trunc(Number(this.offset) || 0))),
      wrong_key: this.wrongKey,
      times: Math.max(-1, Math.min(1e6, this.count)),
    };
  }

  sendTarget(): SendTarget {
    return this.target === 'app' ? { to: 'url', url: this.appUrl } : { to: this.target };
  }

  /** Back to a correctly signed, single, on-time delivery. */
  unbreak(): void {
    this.wrongKey = false;
    this.offset = 0;
    this.customShift = false;
    this.times = 1;
  }
}

export const draft = new SendDraft();
