// An in-memory stand-in for the Tauri shell: the same commands and events, backed by the fake
// World, so the UI runs in a plain browser. URL parameters pick the scenario:
// ?fake=empty (first launch), ?events=100000 (bulk), ?tunnel=off|connecting|online|changed|
// reconnecting|failed, ?live=0 (no live traffic), ?alarm=1, ?overridden=1.
import type { Backend } from '../api';
import type {
  LoadProgress,
  LoadRequest,
  ProbeResult,
  Alarm,
  ChangeBatch,
  ErrorBody,
  EventFilter,
  ReplayOutcome,
  ReplayRequest,
  Retention,
  RuntimeStatus,
  SendTarget,
  SettingsChange,
  StatusReply,
  TestOptions,
  TestSendReply,
  TunnelState,
  UserQuery,
} from '../types';
import { World, maskSecret, type Arrival } from './world';
import { ksuid, one, rng, seedBulk, seedStory, type Actor } from './history';
import * as recovery from './recovery';
import { FakeLoad } from './load';
import { SAMPLES } from './samples';
import { AUTHTOKEN_URL, WHERE_THE_SECRET_IS } from './hints';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const DOMAIN = 'steady-fox-quietly.ngrok-free.app';

type Handler = (payload: never) => void;

function fail(code: string, message: string, hint: string | null, field?: string): never {
  const body: ErrorBody = { code, message, hint, ...(field ? { field } : {}) };
  throw body;
}

export function createFakeBackend(params: URLSearchParams): Backend {
  const world = new World();
  world.clerkSecret = SECRET;
  const now = Date.now();
  const empty = params.get('fake') === 'empty';
  const bulk = Number(params.get('events') ?? 0);
  let actors: Actor[] = [];
  if (!empty) actors = bulk > 0 ? seedBulk(world, now, SECRET, bulk) : seedStory(world, now, SECRET);
  const rand = rng(99);

  let authtoken: string | null = params.get('tunnel') === 'off' || empty ? null : '2abcDEFghiJKLmnoPQRstuVWX_3xyz7Ab9cDeFgHiJkLmN';
  let domain: string | null = empty ? null : DOMAIN;
  let verifyAtEdge = false;
  let synchronousNext: 'normal' | 'full' = 'normal';
  let retention: Retention = { max_age_days: null, max_events: null, max_size_mb: 1024 };
  let lastPublicUrl: string | null = empty ? null : `https://${DOMAIN}`;
  let forwardUrl: string | null = params.get('forward') ?? null;
  let forwardLive = forwardUrl !== null;
  const overridden = params.get('overridden') === '1' ? 'CLERK_WEBHOOK_SECRET' : null;
  const listeners = new Map<string, Set<Handler>>();

  const emit = (event: string, payload: unknown) => {
    for (const h of listeners.get(event) ?? []) h(payload as never);
  };

  const status = (): RuntimeStatus => ({
    local_url: `http://127.0.0.1:${world.port}${world.webhookPath}`,
    port: world.port,
    port_taken: null,
    webhook_path: world.webhookPath,
    secrets: world.secrets.map((s, i) => ({ masked: maskSecret(s), role: i === 0 ? 'current' : 'previous', origin: 'settings' })),
    secrets_overridden_by: overridden,
    ngrok_authtoken: authtoken ? maskSecret(authtoken) : null,
    ngrok_domain: domain,
    tunnel_enabled: authtoken !== null,
    verify_at_edge: verifyAtEdge,
    synchronous: 'normal',
    synchronous_next: synchronousNext === 'normal' ? null : synchronousNext,
    last_public_url: lastPublicUrl,
    db_path: '/home/alex/.local/share/hooklab/hooklab.db',
    retention,
    settings_path: '/home/alex/.config/hooklab/settings.json',
    settings_problem: null,
    forward_url: forwardUrl,
    forwarding: forwardLive && forwardUrl !== null,
    forward_overridden_by: null,
  });

  const online = (url: string, previous: string | null): TunnelState => ({
    state: 'online',
    url,
    webhook_url: url + world.webhookPath,
    ...(previous && previous !== url ? { previous_url: previous } : {}),
  });

  let tunnel: TunnelState;
  let attempt = 3;
  const retryLater = (): TunnelState => ({
    state: 'reconnecting',
    attempt,
    retry_in_ms: 12_000,
    code: 'network',
    last_error: 'cannot reach ngrok: failed to connect to connect.ngrok-agent.com:443: connection refused',
    hint: 'Check the internet connection; Hooklab retries by itself. Meanwhile the receiver keeps working locally (local-only mode).',
  });
  switch (empty ? 'off' : (params.get('tunnel') ?? 'online')) {
    case 'off':
      tunnel = { state: 'off' };
      break;
    case 'connecting':
      tunnel = { state: 'connecting' };
      break;
    case 'changed':
      tunnel = online('https://3f9c-203-0-113-24.ngrok-free.app', `https://${DOMAIN}`);
      break;
    case 'reconnecting':
      tunnel = retryLater();
      break;
    case 'failed':
      tunnel = {
        state: 'failed',
        code: 'authtoken_rejected',
        error: 'ngrok rejected the authtoken (ERR_NGROK_107): The authentication you specified is not valid.',
        hint: `The authtoken is mistyped, or it was reset or revoked. Copy it again from ${AUTHTOKEN_URL} and save it in Settings. Meanwhile the receiver keeps working locally (local-only mode).`,
      };
      break;
    default:
      tunnel = online(`https://${DOMAIN}`, null);
  }

  const probeResult = (): ProbeResult =>
    tunnel.state === 'online'
      ? {
          stage: 'verified',
          url: tunnel.webhook_url,
          status: 200,
          elapsed_ms: 182.4,
          summary: 'reachable from the internet, verified, 182 ms',
          hint: null,
          event: null,
        }
      : {
          stage: 'no_public_url',
          url: null,
          status: null,
          elapsed_ms: null,
          summary: 'no public URL: the tunnel is not online',
          hint: 'Add an ngrok authtoken in Settings (or wait for the tunnel to reconnect).',
          event: null,
        };

  const setTunnel = (t: TunnelState) => {
    tunnel = t;
    emit('tunnel', t);
    if (t.state === 'online') lastPublicUrl = t.url;
  };
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  const scheduleRetry = () => {
    if (tunnel.state !== 'reconnecting') return;
    reconnectTimer = setTimeout(() => {
      setTunnel({ state: 'connecting' });
      reconnectTimer = setTimeout(() => {
        attempt += 1;
        setTunnel(retryLater());
        scheduleRetry();
      }, 1500);
    }, tunnel.retry_in_ms);
  };
  scheduleRetry();
  const connect = (previous: string | null) => {
    if (reconnectTimer) clearTimeout(reconnectTimer);
    if (!authtoken) {
      setTunnel({ state: 'off' });
      return;
    }
    setTunnel({ state: 'connecting' });
    const url = `https://${domain ?? `${ksuid('x', rand).slice(2, 6).toLowerCase()}-203-0-113-24.ngrok-free.app`}`;
    reconnectTimer = setTimeout(() => setTunnel(online(url, previous)), 1200);
  };

  /** Sends the changes since the last emitted cursor as one batch. */
  let emitted = world.cursor;
  const flush = () => {
    if (world.cursor === emitted) return;
    const batch: ChangeBatch = world.changesSince(emitted);
    emitted = batch.upto;
    emit('changes', batch);
  };

  // Live traffic: a delivery every few seconds.
  if (!empty && params.get('live') !== '0') {
    const tick = () => {
      if (tunnel.state === 'online') one(world, rand, Date.now(), actors, 0);
      flush();
      setTimeout(tick, 2500 + rand() * 4000);
    };
    setTimeout(tick, 3000);
  }
  if (params.get('alarm') === '1') {
    setTimeout(() => {
      const alarm: Alarm = {
        code: 'writer_stopped',
        message: 'The event writer stopped: disk I/O error (database or disk is full)',
        hint: 'Free some disk space, then restart Hooklab. Requests are refused with 503 meanwhile, so Svix keeps them and retries.',
        at: Date.now(),
      };
      emit('alarm', alarm);
    }, 800);
  }

  const publicUrl = () => (tunnel.state === 'online' ? tunnel.webhook_url : null);

  const replay = (req: ReplayRequest): ReplayOutcome => {
    if (req.body !== undefined) fail('not_in_fake', 'the in-browser fake cannot resend an edited body', 'Run the app (make run) to try it.');
    const detail = world.getEvent(req.key);
    if (!detail) fail('event_not_found', `no event ${req.key}`, 'Pass an event number or svix-id (msg_…) from the event log.');
    const orig = world.events[detail.id - 1];
    const at = Date.now();
    const resign = req.signing.signing === 're_signed';
    if (resign && world.secrets.length === 0)
      fail('no_secret', 're-signing needs a signing secret, and none is configured', `Add the endpoint's signing secret in Settings. ${WHERE_THE_SECRET_IS}`);
    const svixId = req.signing.signing === 're_signed' && req.signing.new_id ? ksuid('msg', rand) : detail.svix_id;
    const age = detail.svix_timestamp === null ? 0 : Math.floor(at / 1000) - detail.svix_timestamp;
    let note: string | null = null;
    const arrival: Arrival = {
      at,
      source: 'replay',
      method: detail.method,
      path: detail.path,
      svixId,
      type: detail.event_type,
      userId: detail.user_id,
      body: orig.body,
      signature: resign ? 'current' : orig.signer,
      replayOf: detail.id,
      remote: null,
    };
    if (req.target.target === 'rerun') {
      if (!resign) {
        arrival.svixTimestamp = detail.svix_timestamp;
        arrival.judgeAt = detail.received_at;
        note = 'Judged as of its original arrival (the signature\'s age is measured from then), with today\'s secrets and settings.';
      }
      const ev = world.receive(arrival);
      flush();
      return { original: orig.s, svix_id: svixId, event: ev.s, http: null, note };
    }
    const url = req.target.url;
    arrival.source = url.startsWith('https://') ? 'tunnel' : 'local';
    arrival.remote = arrival.source === 'tunnel' ? '203.0.113.24' : '127.0.0.1';
    if (!resign) {
      arrival.svixTimestamp = detail.svix_timestamp;
      if (age > 300)
        note = `Its signature is ${age < 7200 ? `${Math.floor(age / 60)} min` : age < 172800 ? `${Math.floor(age / 3600)} h` : `${Math.floor(age / 86400)} days`} old; Svix's tolerance is 5 minutes, so a receiver that checks signatures (Hooklab included) refuses it as timestamp_too_old. Re-sign it to resend it as new.`;
    }
    const ev = world.receive(arrival);
    flush();
    const body = ev.s.status === 200 ? { id: ev.s.id, verification: ev.s.verification, sync: ev.s.sync } : { error: ev.s.hint ?? ev.s.sync_detail, id: ev.s.id };
    return {
      original: orig.s,
      svix_id: svixId,
      event: ev.s.id === detail.id ? null : ev.s,
      http: { status: ev.s.status, body: JSON.stringify(body), elapsed_ms: arrival.source === 'tunnel' ? 184.6 + rand() * 90 : 2.1 + rand() * 4 },
      note,
    };
  };

  const sendTest = (fixtureJson: string, target: SendTarget, options: TestOptions): TestSendReply => {
    const about = options.user_id;
    let parsed: { type?: unknown; data?: { id?: unknown; user_id?: unknown } };
    try {
      parsed = JSON.parse(fixtureJson);
    } catch (e) {
      fail('invalid_event', `the fixture is not valid JSON: ${(e as Error).message}`, 'Fix the JSON, or pick the fixture again to start over.', 'fixture_json');
    }
    const type = typeof parsed.type === 'string' ? parsed.type : fail('invalid_event', 'the fixture has no "type"', 'A Clerk event envelope has "type", "data", "object" and "timestamp".', 'fixture_json');
    if (world.secrets.length === 0)
      fail('no_secret', 'sending a signed test event needs a signing secret, and none is configured', `Save the endpoint's signing secret in Settings. ${WHERE_THE_SECRET_IS}`);
    if (options.times < 0 || options.times > 20) fail('invalid_times', `${options.times} deliveries cannot be made: from 1 to 20`, 'Svix makes at most 8 attempts per message.', 'times');
    const url = target.to === 'url' ? target.url.trim() : target.to === 'public' ? publicUrl() : status().local_url;
    if (target.to === 'url' && !/^(https?:\/\/)?[^\s/]+(\/\S*)?$/.test(url ?? ''))
      fail('invalid_url', `\`${url}\` is not a URL to send to`, 'Type the full webhook URL, e.g. http://localhost:3000/api/webhooks/clerk.', 'url');
    if (!url) fail('tunnel_offline', 'the tunnel is not online, so there is no public URL to send to', 'Send it to the local URL, or add an ngrok authtoken in Settings.');
    const at = Date.now();
    const chosen = about?.trim() || null;
    if (chosen && !/^[A-Za-z0-9_]{1,128}$/.test(chosen))
      fail('invalid_user_id', `\`${chosen.slice(0, 60)}\` is not a user id: one word, like user_2yJshmaJAoE3XwYMmUcJwH5cXSl`, 'Leave it empty for a new user each send, or paste the id of a user in Users.', 'user_id');
    const fresh = chosen ?? ksuid('user', rand);
    const named = type.startsWith('user.') || typeof parsed.data?.user_id === 'string';
    const userId = named ? fresh : null;
    if (parsed.data && type.startsWith('user.')) parsed.data.id = fresh;
    else if (parsed.data && named) parsed.data.user_id = fresh;
    const svixId = ksuid('msg', rand);
    const compact = JSON.stringify(parsed);
    const data = (parsed.data ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    const emails = Array.isArray(data.email_addresses) ? (data.email_addresses as { id?: string; email_address?: string }[]) : [];
    const primary = emails.find((e) => e.id === data.primary_email_address_id) ?? emails[0];
    const phones = Array.isArray(data.phone_numbers) ? (data.phone_numbers as { phone_number?: string }[]) : [];
    const svixTimestamp = Math.floor(at / 1000) + options.timestamp_offset;
    const elapsed = () => (target.to === 'public' ? 212.4 + rand() * 80 : 3.2 + rand() * 3);
    if (target.to === 'url') {
      const attempts = Array.from({ length: Math.max(1, options.times) }, () => ({ status: 200, body: '{"ok":true}', elapsed_ms: 8 + rand() * 20 }));
      return { svix_id: svixId, svix_timestamp: svixTimestamp, event_type: type, user_id: userId, url, attempts, stopped: null, event: null };
    }
    let ev: ReturnType<typeof world.receive> | null = null;
    const attempts = [];
    for (let i = 0; i < Math.max(1, options.times); i++) {
      ev = world.receive({
        at,
        source: 'test',
        svixId,
        svixTimestamp,
        type,
        userId,
        body: {
          sample: type,
          at,
          userId,
          text: compact,
          sessionId: type.startsWith('session.') ? (options.session_id ?? str(data.id) ?? undefined) : undefined,
          person: {
            first: str(data.first_name),
            last: str(data.last_name),
            username: str(data.username),
            email: str(primary?.email_address),
            phone: str(phones[0]?.phone_number),
          },
          createdAt: Number(data.created_at) || at,
          updatedAt: Number(data.updated_at) || at,
        },
        signature: options.wrong_key ? 'other' : 'current',
      });
      const reply = ev.s.status === 200 ? { id: ev.s.id, verification: ev.s.verification, sync: ev.s.sync } : { error: ev.s.hint, id: ev.s.id };
      attempts.push({ status: ev.s.status, body: JSON.stringify(reply), elapsed_ms: elapsed() });
    }
    flush();
    return {
      svix_id: svixId,
      svix_timestamp: svixTimestamp,
      event_type: type,
      user_id: userId,
      url,
      attempts,
      stopped: null,
      event: ev ? ev.s : null,
    };
  };

  const changeSettings = (c: SettingsChange): RuntimeStatus => {
    switch (c.change) {
      case 'set_secret': {
        const v = c.secret.trim();
        if (!v.startsWith('whsec_'))
          fail('invalid_secret', `${maskSecret(v)} does not look like a Clerk signing secret: it should start with \`whsec_\``, WHERE_THE_SECRET_IS, 'secret');
        if (!/^[A-Za-z0-9+/]+={0,2}$/.test(v.slice(6)) || v.length < 20)
          fail('invalid_secret', `${maskSecret(v)} is not a valid signing secret: the part after \`whsec_\` is not base64`, WHERE_THE_SECRET_IS, 'secret');
        world.secrets = c.keep_previous ? [v, ...world.secrets.filter((s) => s !== v).slice(0, 1)] : [v];
        break;
      }
      case 'drop_previous_secret':
        world.secrets = world.secrets.slice(0, 1);
        break;
      case 'clear_secrets':
        world.secrets = [];
        break;
      case 'set_webhook_path': {
        let p = c.path.trim();
        if (!p.startsWith('/')) p = `/${p}`;
        if (/[\s?#]/.test(p) || p === '/')
          fail('invalid_path', `${JSON.stringify(c.path)} is not a usable webhook path`, 'Use a path such as /api/webhooks/clerk: no spaces, query or fragment.', 'webhook_path');
        world.webhookPath = p;
        if (tunnel.state === 'online') setTunnel(online(tunnel.url, null));
        break;
      }
      case 'set_port':
        if (!Number.isInteger(c.port) || c.port < 1 || c.port > 65535)
          fail('invalid_port', `${c.port} is not a port`, 'Pick a number from 1024 to 65535.', 'port');
        if (c.port === 3000)
          fail('port_in_use', 'port 3000 is already in use', `Another program listens there (often a dev server). Pick another port; Hooklab keeps listening on ${world.port}.`, 'port');
        world.port = c.port;
        break;
      case 'set_ngrok_authtoken':
        if (c.token !== null && c.token.trim().length < 20)
          fail('invalid_authtoken', 'that does not look like an ngrok authtoken', `Copy it from ${AUTHTOKEN_URL}.`, 'ngrok_authtoken');
        authtoken = c.token?.trim() || null;
        connect(lastPublicUrl);
        break;
      case 'set_ngrok_domain': {
        const d = c.domain?.trim().replace(/^https?:\/\//, '').replace(/\/.*$/, '') || null;
        if (d !== null && !d.includes('.'))
          fail('invalid_domain', `${d} is not a domain`, 'Use the static domain listed at https://dashboard.ngrok.com/domains, e.g. your-name.ngrok-free.app.', 'ngrok_domain');
        domain = d;
        connect(lastPublicUrl);
        break;
      }
      case 'set_synchronous':
        synchronousNext = c.synchronous;
        break;
      case 'set_verify_at_edge':
        verifyAtEdge = c.on;
        connect(lastPublicUrl);
        break;
      case 'set_forward': {
        const url = c.url?.trim() || null;
        const hint = 'Use the full URL your app\'s webhook handler listens on, e.g. http://localhost:3000/api/webhooks/clerk.';
        if (url === null && c.live) fail('empty_forward_url', "forwarding needs your app's URL", hint, 'forward_url');
        if (url !== null && !/^https?:\/\/[^\s/]+/.test(url)) fail('invalid_forward_url', `${url} does not start with http:// or https://`, hint, 'forward_url');
        forwardUrl = url;
        forwardLive = c.live;
        break;
      }
      case 'set_retention': {
        const r = c.retention;
        const hint = 'Leave a limit empty for none; the size limit alone keeps the disk from filling.';
        if (r.max_age_days !== null && r.max_age_days < 1) fail('retention_too_small', 'keep events at least 1 day', hint, 'retention');
        if (r.max_events !== null && r.max_events < 1000) fail('retention_too_small', 'keep at least 1000 events', hint, 'retention');
        if (r.max_size_mb !== null && r.max_size_mb < 16) fail('retention_too_small', 'keep at least 16 MB', hint, 'retention');
        retention = r;
        break;
      }
    }
    const s = status();
    emit('status', s);
    return s;
  };

  const load = new FakeLoad(() => world.port);
  const commands: Record<string, (args: Record<string, unknown>) => unknown> = {
    get_status: (): StatusReply => ({
      runtime: status(),
      tunnel,
      cursor: emitted,
      // ?downtime=1: the app was closed for a while before this start.
      downtime:
        tunnel.state === 'online' && params.get('downtime')
          ? { from: Date.now() - 2.4 * 3_600_000, to: Date.now() - 5_000, url_changed: false }
          : null,
      probe: null,
    }),
    list_events: (a) => world.listEvents(a.filter as EventFilter),
    get_event: (a) => world.getEvent(String(a.key)),
    event_summaries: (a) => (a.ids as number[]).map((id) => world.events[id - 1]?.s).filter((e) => e !== undefined),
    list_event_types: () => world.eventTypes(),
    list_users: (a) => world.listUsers(a.query as UserQuery),
    get_user: (a) => world.getUser(String(a.id)),
    count_users: () => {
      const all = [...world.users.values()];
      const deleted = all.filter((u) => u.deleted_at !== null).length;
      const missing = [...new Set([...world.sessions.values()].map((x) => x.user_id).filter((id) => !world.users.has(id)))];
      return { active: all.length - deleted, deleted, missing: missing.length, missing_ids: missing.slice(0, 5) };
    },
    changes_since: (a) => world.changesSince(Number(a.cursor)),
    change_settings: (a) => changeSettings(a.change as SettingsChange),
    set_pins: () => null,
    replay: (a) => replay(a.request as ReplayRequest),
    list_fixtures: () => SAMPLES.map((s) => ({ name: s.name, about: s.about, json: s.json })),
    send_test_event: (a) => sendTest(String(a.fixture_json), a.target as SendTarget, a.options as TestOptions),
    restart_tunnel: () => {
      connect(lastPublicUrl);
      return null;
    },
    test_public_url: () => probeResult(),
    // The fake holds no real secret: "copy as curl" falls back to the headers as captured.
    re_signed_headers: () => fail('no_secret', 'the fake backend cannot sign', null),
    recovery_plan: (a) => recovery.plan(world, Number(a.since)),
    recover: (a) => recovery.recover(world, Number(a.since), replay),
    load_test: (a) => load.run(a.request as LoadRequest, a.on_progress as (p: LoadProgress) => void),
    stop_load_test: () => load.stop(),
  };

  return {
    async invoke<T>(command: string, args: Record<string, unknown>): Promise<T> {
      const run = commands[command];
      if (!run) fail('unknown_command', `no command ${command}`, null);
      await new Promise((r) => setTimeout(r, 15 + rand() * 40));
      return run(args) as T;
    },
    async listen<T>(event: string, handler: (payload: T) => void) {
      const set = listeners.get(event) ?? new Set<Handler>();
      listeners.set(event, set);
      set.add(handler as Handler);
      return () => void set.delete(handler as Handler);
    },
    channel: (handler) => handler,
    async copy(text: string) {
      try {
        await navigator.clipboard.writeText(text);
      } catch {
        const area = document.createElement('textarea');
        area.value = text;
        document.body.append(area);
        area.select();
        document.execCommand('copy');
        area.remove();
      }
    },
  };
}
