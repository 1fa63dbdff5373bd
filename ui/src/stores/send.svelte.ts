// What the Send test view holds (the chosen fixture, the edited JSON, who it is about, how to
// deliver it, the target and the last answer), kept outside the view so it survives going to
// the Events view to watch the event arrive and coming back.
import type { ErrorBody, Fixture, SendTarget, TestOptions, TestSendReply } from '../types';

/** The most deliveries of one test message (`MAX_TIMES` in core/test_event.rs). */
export const MAX_TIMES = 20;

class SendDraft {
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
  /** How many times to deliver the one message. */
  times = $state(1);
  target = $state<'local' | 'public' | 'app'>('local');
  /** The URL for the "Your app" target; filled from Settings when one is saved. */
  appUrl = $state('');
  reply = $state.raw<TestSendReply | null>(null);
  /** The timestamp shift the last reply was sent with. */
  sentShift = $state(0);
  error = $state.raw<ErrorBody | null>(null);

  pick(f: Fixture): void {
    this.chosen = f.name;
    this.json = f.json.trimEnd();
    this.error = null;
  }

  /** The edited event's type, when its JSON says one (read loosely, while it is being typed). */
  get eventType(): string | null {
    return /"type"\s*:\s*"([^"]*)"/.exec(this.json)?.[1] ?? null;
  }

  /** Whether anything is set to break the delivery on purpose. */
  get broken(): boolean {
    return this.wrongKey || this.offset !== 0;
  }

  options(): TestOptions {
    const session = this.eventType?.startsWith('session.') ? this.sessionId.trim() : '';
    return {
      user_id: this.userId.trim() || null,
      session_id: session || null,
      timestamp_offset: Math.trunc(Number(this.offset) || 0),
      wrong_key: this.wrongKey,
      times: Math.trunc(Number(this.times) || 1),
    };
  }

  sendTarget(): SendTarget {
    return this.target === 'app' ? { to: 'url', url: this.appUrl } : { to: this.target };
  }

  /** Back to a correctly signed, single, on-time delivery. */
  unbreak(): void {
    this.wrongKey = false;
    this.offset = 0;
    this.times = 1;
  }
}

export const draft = new SendDraft();
