// The only module that talks to Tauri (invoke, listen, clipboard); in a plain browser it talks to
// the in-memory fake backend instead, so the UI runs for tests and screenshots without the shell.
import type {
  Alarm,
  ProbeResult,
  ChangeBatch,
  ErrorBody,
  EventDetail,
  EventFilter,
  EventPage,
  EventSummary,
  Fixture,
  LoadProgress,
  LoadReport,
  LoadRequest,
  ReplayOutcome,
  ReplayRequest,
  RecoveryPlan,
  RecoveryReport,
  RuntimeStatus,
  SendTarget,
  SettingsChange,
  StatusReply,
  TestOptions,
  TestSendReply,
  TunnelState,
  UserDetail,
  UserPage,
  UserCounts,
  UserQuery,
} from './types';

/** What the UI needs from a backend: the Tauri shell or the fake. */
export interface Backend {
  invoke<T>(command: string, args: Record<string, unknown>): Promise<T>;
  listen<T>(event: string, handler: (payload: T) => void): Promise<() => void>;
  copy(text: string): Promise<void>;
  /** A channel argument for a command that streams messages back (load_test's progress). */
  channel<T>(handler: (message: T) => void): unknown;
}

/** What the shell streams, with payloads: Tauri events, and `changes` through a channel. */
export interface EventPayloads {
  changes: ChangeBatch;
  tunnel: TunnelState;
  status: RuntimeStatus;
  alarm: Alarm;
  probe: ProbeResult;
}

/** True inside the Tauri webview. */
export const inTauri: boolean =
  typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;

let backend: Promise<Backend> | null = null;

function connect(): Promise<Backend> {
  backend ??= inTauri ? tauriBackend() : fakeBackend();
  return backend;
}

/** Replaces the backend (tests). */
export function useBackend(b: Backend): void {
  backend = Promise.resolve(b);
}

async function tauriBackend(): Promise<Backend> {
  const [core, event, clipboard] = await Promise.all([
    import('@tauri-apps/api/core'),
    import('@tauri-apps/api/event'),
    import('@tauri-apps/plugin-clipboard-manager'),
  ]);
  return {
    invoke: (command, args) => core.invoke(command, args),
    listen: async (name, handler) => {
      if (name !== 'changes') return event.listen(name, (e) => handler(e.payload as never));
      // Change batches come through a channel, not an event: an event's payload is evaluated
      // as script, and WebKit keeps that source text (see src-tauri/src/forward.rs).
      const channel = new core.Channel<never>();
      channel.onmessage = handler;
      await core.invoke('watch_changes', { channel });
      return () => (channel.onmessage = () => {});
    },
    copy: (text) => clipboard.writeText(text),
    channel: (handler) => {
      const channel = new core.Channel<never>();
      channel.onmessage = handler;
      return channel;
    },
  };
}

async function fakeBackend(): Promise<Backend> {
  const { createFakeBackend } = await import('./fake/backend');
  return createFakeBackend(new URLSearchParams(window.location.search));
}

/** Any rejection as an ErrorBody: the shell rejects with one, anything else is wrapped. */
export function asErrorBody(e: unknown): ErrorBody {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    const b = e as ErrorBody;
    const body: ErrorBody = { code: String(b.code), message: String(b.message), hint: b.hint ?? null };
    if (b.field) body.field = b.field;
    return body;
  }
  const message = e instanceof Error ? e.message : String(e);
  return { code: 'unexpected', message, hint: null };
}

async function call<T>(command: string, args: Record<string, unknown> = {}): Promise<T> {
  const b = await connect();
  try {
    return await b.invoke<T>(command, args);
  } catch (e) {
    throw asErrorBody(e);
  }
}

export const getStatus = () => call<StatusReply>('get_status');
export const listEvents = (filter: EventFilter) => call<EventPage>('list_events', { filter });
export const getEvent = (key: string) => call<EventDetail | null>('get_event', { key });
export const eventSummaries = (ids: number[]) => call<EventSummary[]>('event_summaries', { ids });
export const listEventTypes = () => call<string[]>('list_event_types');
export const listUsers = (query: UserQuery) => call<UserPage>('list_users', { query });
export const getUser = (id: string) => call<UserDetail | null>('get_user', { id });
export const countUsers = () => call<UserCounts>('count_users');
export const changesSince = (cursor: number) => call<ChangeBatch>('changes_since', { cursor });
export const setPins = (ids: number[]) => call<null>('set_pins', { ids });
export const changeSettings = (change: SettingsChange) =>
  call<RuntimeStatus>('change_settings', { change });
export const replay = (request: ReplayRequest) => call<ReplayOutcome>('replay', { request });
export const listFixtures = () => call<Fixture[]>('list_fixtures');
export const sendTestEvent = (fixture_json: string, options: TestOptions, target: SendTarget) =>
  call<TestSendReply>('send_test_event', { fixture_json, options, target });
export const restartTunnel = () => call<null>('restart_tunnel');
export const testPublicUrl = () => call<ProbeResult>('test_public_url');
export const reSignedHeaders = (key: string) => call<[string, string][]>('re_signed_headers', { key });
export const recoveryPlan = (since: number) => call<RecoveryPlan>('recovery_plan', { since });
export const recover = (since: number) => call<RecoveryReport>('recover', { since });
/** Load-tests the user's app; `onProgress` gets a few updates a second until it resolves. */
export async function loadTest(request: LoadRequest, onProgress: (p: LoadProgress) => void): Promise<LoadReport> {
  const b = await connect();
  return call<LoadReport>('load_test', { request, on_progress: b.channel(onProgress) });
}
export const stopLoadTest = () => call<null>('stop_load_test');

/** Subscribes to one of the shell's events; resolves to the unsubscribe function. */
export async function subscribe<K extends keyof EventPayloads>(
  event: K,
  handler: (payload: EventPayloads[K]) => void,
): Promise<() => void> {
  const b = await connect();
  return b.listen<EventPayloads[K]>(event, handler);
}

/** Copies text to the clipboard (the Tauri plugin, or the browser's clipboard). */
export async function copyText(text: string): Promise<void> {
  const b = await connect();
  await b.copy(text);
}

export const onChanges = (h: (b: ChangeBatch) => void) => subscribe('changes', h);
export const onTunnel = (h: (t: TunnelState) => void) => subscribe('tunnel', h);
export const onStatus = (h: (s: RuntimeStatus) => void) => subscribe('status', h);
export const onAlarm = (h: (a: Alarm) => void) => subscribe('alarm', h);
