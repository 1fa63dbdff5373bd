// What the Send test view holds (the chosen fixture, the edited JSON, the user it is about,
// the target and the last answer), kept outside the view so it survives going to the Events
// view to watch the event arrive and coming back.
import type { ErrorBody, Fixture, SendTarget, TestSendReply } from '../types';

class SendDraft {
  chosen = $state<string | null>(null);
  json = $state('');
  /** The user the event is about; empty: a new user each send. */
  userId = $state('');
  target = $state<SendTarget>('local');
  reply = $state.raw<TestSendReply | null>(null);
  error = $state.raw<ErrorBody | null>(null);

  pick(f: Fixture): void {
    this.chosen = f.name;
    this.json = f.json.trimEnd();
    this.error = null;
  }
}

export const draft = new SendDraft();
