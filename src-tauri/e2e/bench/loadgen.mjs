// Load generator for the window benchmark, run as its own process so its work does not share
// the benchmark's event loop: signed Clerk webhooks (Svix signing, fixtures with varied users and
// times) at a fixed rate, open loop. Prints one JSON document: counts and [event id, 2xx at ms].
//
//   node loadgen.mjs --url URL --secret whsec_… --rate 500 --seconds 20

import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    url: { type: 'string' },
    secret: { type: 'string' },
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '20' },
    users: { type: 'string', default: '400' },
    fixtures: { type: 'string', default: join(import.meta.dirname, '../../../fixtures/clerk') },
  },
});
const rate = Number(opt.rate);
const total = Math.round(rate * Number(opt.seconds));
const key = Buffer.from(opt.secret.replace(/^whsec_/, ''), 'base64');

// Fixture templates, keyed by type, each with the user id it mentions (replaced per request).
const templates = {};
for (const f of readdirSync(opt.fixtures).filter((f) => f.endsWith('.json'))) {
  const text = readFileSync(join(opt.fixtures, f), 'utf8');
  const { type, data } = JSON.parse(text);
  const owner = data.id?.startsWith('user_') ? data.id : (data.user_id ?? data.created_by);
  (templates[type] ??= []).push({ text, owner });
}
const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ksuid = (prefix) => prefix + '_2' + [...randomBytes(26)].map((b) => B62[b % 62]).join('');
const users = Array.from({ length: Number(opt.users) }, () => ksuid('user'));
// After its user.created, each user cycles through the rest of a realistic life.
const LIFE = ['user.updated', 'session.created', 'email.created', 'session.ended', 'user.updated', 'organization.created'];

function payload(i) {
  const user = users[i % users.length];
  const round = Math.floor(i / users.length);
  const type = round === 0 ? 'user.created' : LIFE[(round - 1) % LIFE.length];
  const variants = templates[type];
  const t = variants[i % variants.length];
  const event = JSON.parse(t.owner ? t.text.replaceAll(t.owner, user) : t.text);
  const now = Date.now();
  if (!type.startsWith('user.')) event.data.id = ksuid(event.data.id.split('_')[0]);
  if ('updated_at' in event.data) event.data.updated_at = now;
  event.timestamp = now;
  return JSON.stringify(event);
}

function sign(id, timestamp, body) {
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const url = new URL(opt.url);
const out = { sent: 0, ok: 0, statuses: {}, errors: 0, results: [] };

function post(i) {
  return new Promise((resolve) => {
    const body = payload(i);
    const id = `msg_${randomBytes(12).toString('hex')}`;
    const ts = String(Math.floor(Date.now() / 1000));
    const req = http.request(url, {
      method: 'POST',
      agent,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'svix-id': id,
        'svix-timestamp': ts,
        'svix-signature': sign(id, ts, body),
      },
    });
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const at = Date.now();
        out.statuses[res.statusCode] = (out.statuses[res.statusCode] ?? 0) + 1;
        if (res.statusCode >= 200 && res.statusCode < 300) {
          out.ok += 1;
          out.results.push([JSON.parse(Buffer.concat(chunks)).id, at]);
        }
        resolve();
      });
    });
    req.on('error', () => {
      out.errors += 1;
      resolve();
    });
    req.end(body);
    out.sent += 1;
  });
}

// Open loop: request i is due at i / rate seconds, whatever the earlier ones are doing.
const inflight = [];
const start = performance.now();
out.startMs = Date.now();
let next = 0;
await new Promise((done) => {
  const tick = () => {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
    while (next < due) inflight.push(post(next++));
    if (next < total) setTimeout(tick, 1);
    else done();
  };
  tick();
});
out.sendSeconds = (performance.now() - start) / 1000;
await Promise.all(inflight);
out.endMs = Date.now();
agent.destroy();
const used = process.cpuUsage();
out.cpuSeconds = (used.user + used.system) / 1e6;
process.stdout.write(JSON.stringify(out));
