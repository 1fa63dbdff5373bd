// Sending and resending messages, and following them, in the real window. Send test does what
// `hooklab send` does: a wrong key or an old timestamp arrives refused with the matching hint;
// one message delivered three times is one event with three deliveries; "End it…" on a user's
// session sends the sign-out that ends it; "Your app" posts straight to the user's handler and
// remembers its URL. A resend with an edited body fails as captured and applies re-signed. A
// message Svix keeps failing lists its attempts and the next retry; a user who signed in but
// never arrived is named in Users; a hostile timestamp shows as out of range; a pinned event
// survives Clear and a reload. Once the right secret is saved, a banner offers to recover what
// failed, and the dialog re-runs each message once.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { App, ENDPOINT_SECRET, SECRET, startYourApp } from './app.mjs';
import { sleep } from './webdriver.mjs';

let app;
let yourApp;

before(async () => {
  yourApp = await startYourApp();
  app = await App.start();
  await app.session.waitFor('[data-testid="tab-events"]', { what: 'the window' });
});
after(async () => {
  await app?.stop();
  yourApp?.close();
});

const result = () => app.session.execute(`return document.querySelector('[data-testid="send-result"]').innerText`);

async function open(tab) {
  const [link] = await app.session.find(`[data-testid="tab-${tab}"]`);
  await link.click();
}

async function fixture(text) {
  await (await app.session.waitFor('[data-testid="fixture"]', { text, what: `the fixture "${text}"` })).click();
}

/** Picks the option of a select by its visible text, as a user would. */
async function choose(testid, text) {
  const found = await app.session.execute(
    `const select = document.querySelector('[data-testid="' + arguments[0] + '"]');
     const i = [...select.options].findIndex((o) => o.text.includes(arguments[1]));
     if (i < 0) return false;
     select.selectedIndex = i;
     select.dispatchEvent(new Event('change', { bubbles: true }));
     return true;`,
    [testid, text],
  );
  assert.ok(found, `no option "${text}" in ${testid}`);
}

/** Posts `body` as Clerk's sender does (Svix's signing and user agent) with `secret`; returns
 * Hooklab's answer (`{ id, … }`). */
async function fromClerk(svixId, body, secret) {
  const ts = Math.floor(Date.now() / 1000);
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const sig = createHmac('sha256', key).update(`${svixId}.${ts}.${body}`).digest('base64');
  const res = await fetch(app.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Svix-Webhooks/1.73.0 (sender-E6SeC; +https://www.svix.com/http-sender/)',
      'svix-id': svixId,
      'svix-timestamp': String(ts),
      'svix-signature': `v1,${sig}`,
    },
    body,
  });
  return res.json();
}

/** The user.created fixture about a new user: its body, and the user. */
function userCreated(n) {
  const text = readFileSync(new URL('../../fixtures/clerk/user.created.json', import.meta.url), 'utf8');
  const event = JSON.parse(text);
  const user = `user_2e2eRecover${Date.now()}${n}`;
  const body = JSON.stringify(JSON.parse(text.replaceAll(event.data.id, user)));
  return { body, user };
}

async function send() {
  await (await app.session.waitFor('[data-testid="send-test"]')).click();
  await app.session.waitFor('[data-testid="send-result"], [data-testid="send-error"], [data-testid="field-error"]', { what: 'an answer' });
}

test('a delivery signed with a wrong key, or 10 minutes old, is refused with the hint that names it', async () => {
  await open('send');
  await fixture('email + password sign-up');
  await choose('send-signature', 'wrong key');
  await app.session.waitFor('[data-testid="send-plan"]', { text: 'wrong whsec_', what: 'what to expect, said before sending' });
  await send();
  await app.session.waitFor('[data-testid="send-result"]', { text: 'HTTP 401', what: 'the refusal' });
  assert.match(await result(), /bad signature/);
  await app.session.waitFor('[data-testid="send-outcome"]', { text: 'secret', what: 'the wrong-secret hint' });

  await (await app.session.waitFor('button', { text: 'Back to one correct delivery' })).click();
  await choose('send-shift', '10 min ago');
  await send();
  await app.session.waitFor('[data-testid="send-result"]', { text: 'too old', what: 'the stale timestamp' });
  await app.session.waitFor('[data-testid="send-shifted"]', { text: '10 min in the past' });
  const users = JSON.parse(app.cli(['--json', 'users'])).items;
  assert.equal(users.length, 0, 'nothing refused was synced');
});

test('one message delivered three times is one event with three deliveries', async () => {
  await (await app.session.waitFor('button', { text: 'Back to one correct delivery' })).click();
  const times = await app.session.waitFor('[data-testid="send-times"]');
  await times.clear();
  await times.type('3');
  await app.session.waitFor('[data-testid="send-test"]', { text: 'Send ×3' });
  await send();
  await app.session.waitFor('[data-testid="send-deliveries"]', { text: '3 deliveries', what: 'the delivery count' });
  const attempts = await app.session.execute(`return document.querySelectorAll('[data-testid="send-attempts"] li').length`);
  assert.equal(attempts, 3, 'every delivery and its answer is listed');
  assert.match(await result(), /applied/);
  const { items } = JSON.parse(app.cli(['--json', 'events']));
  const verified = items.filter((e) => e.verification === 'verified');
  assert.equal(verified.length, 1, 'one event, not three');
  assert.equal(verified[0].delivery_count, 3);
  await (await app.session.waitFor('[data-testid="captured-link"]')).click();
  await app.session.waitFor(`[data-testid="event-row"][data-id="${verified[0].id}"][data-deliveries="3"]`, { what: 'the row, ×3' });
});

test("a sign-out about a chosen session ends that session", async () => {
  await open('send');
  await (await app.session.waitFor('button', { text: 'Back to one correct delivery' })).click();
  const created = app.send(['user.created']);
  const user = created.user_id;
  const userField = await app.session.waitFor('[data-testid="send-user"]');
  await userField.clear();
  await userField.type(user);
  await fixture('a sign-in');
  await send();
  await app.session.waitFor('[data-testid="send-result"]', { text: 'applied', what: 'the sign-in' });
  const [session] = JSON.parse(app.cli(['--json', 'user', user])).sessions;
  // From the user's page, "End it…" on the session opens Send test with a sign-out about it.
  await app.session.execute(`location.hash = '#/users/' + arguments[0]`, [user]);
  await (await app.session.waitFor('[data-testid="end-session"]', { what: "the active session's End it…" })).click();
  await app.session.waitFor('[data-testid="fixture-json"]', { what: 'Send test' });
  assert.equal(await app.session.execute(`return document.querySelector('[data-testid="send-session"]').value`), session.id);
  assert.equal(await app.session.execute(`return document.querySelector('[data-testid="send-user"]').value`), user);
  assert.match(await app.session.execute(`return document.querySelector('[data-testid="fixture-json"]').value`), /"session\.ended"/);
  await send();
  await app.session.waitFor('[data-testid="send-result"]', { text: 'session.ended' });
  const after = JSON.parse(app.cli(['--json', 'user', user])).sessions;
  assert.deepEqual(after.map((s) => [s.id, s.status]), [[session.id, 'ended']]);
  // The session field is there only for session events.
  await fixture('email + password sign-up');
  assert.equal(await app.session.execute(`return document.querySelector('[data-testid="send-session"]')`), null, 'no session field for user events');
});

test('"Your app" posts straight to your handler, signed, and remembers its URL', async () => {
  const url = yourApp.url;
  await (await app.session.waitFor('[data-testid="send-target-app"]')).click();
  const input = await app.session.waitFor('[data-testid="send-app-url"]', { what: 'the app URL field' });
  await input.type('not a url');
  await send();
  await app.session.waitFor('[data-testid="field-error"][data-field="url"]', { text: 'not a URL', what: 'the URL error' });
  await input.clear();
  await input.type(url);
  const before = yourApp.received.length;
  await send();
  await app.session.waitFor('[data-testid="send-result"]', { text: 'HTTP 204', what: "your app's answer" });
  assert.match(await result(), /did not capture/);
  assert.equal(yourApp.received.length, before + 1);
  const got = yourApp.received.at(-1);
  assert.ok(got.headers['svix-signature']?.startsWith('v1,'), 'signed like Svix');
  assert.equal(JSON.parse(got.body).type, 'user.created');
  // Saved after the answer shows: the settings file may take a moment.
  for (let i = 0; i < 50 && app.settings().forward_url !== url; i++) await sleep(100);
  assert.equal(app.settings().forward_url, url, 'remembered in Settings → Your app');
  assert.notEqual(app.settings().forward_live, true, 'remembered, not turned on');
});

test('a resend with an edited body: as captured it is refused like a modified body, re-signed the edit is applied', async () => {
  const sent = app.send(['user.created']);
  const id = sent.response.id;
  await open('events');
  await (await app.session.waitFor(`[data-testid="event-row"][data-id="${id}"]`)).click();
  await (await app.session.waitFor('[data-testid="resend"]')).click();
  await (await app.session.waitFor('[data-testid="edit-body"]', { what: 'the edit toggle' })).click();
  const editor = await app.session.waitFor('[data-testid="resend-body"]', { what: 'the body editor' });
  // Enter in the editor is a newline, not "send".
  await editor.type('\uE007');
  assert.match(await app.session.execute(`return document.querySelector('[data-testid="resend-body"]').value`), /\n/);
  assert.equal(await app.session.execute(`return document.querySelector('[data-testid="resend-outcome"], [data-testid="resend-error"]')`), null, 'nothing was sent');
  await app.session.execute(
    `const area = document.querySelector('[data-testid="resend-body"]');
     area.value = area.value.replace('"first_name":"Alex"', '"first_name":"Edited"');
     area.dispatchEvent(new Event('input', { bubbles: true }));`,
  );
  await (await app.session.waitFor('[data-testid="mode-captured"]')).click();
  await app.session.waitFor('[data-testid="edited-unsigned"]', { text: 'signature_mismatch', what: 'the warning before sending' });
  await (await app.session.waitFor('[data-testid="resend-go"]')).click();
  await app.session.waitFor('[data-testid="resend-outcome"]', { text: 'bad signature', what: 'the edit refused as captured' });

  await (await app.session.waitFor('[data-testid="mode-new"]')).click();
  assert.equal(await app.session.execute(`return document.querySelector('[data-testid="edited-unsigned"]')`), null, 'no warning once re-signed');
  await (await app.session.waitFor('[data-testid="resend-go"]')).click();
  await app.session.waitFor('[data-testid="resend-outcome"]', { text: 'applied', what: 'the edit applied' });
  await app.shot('resend-edited');
  const user = JSON.parse(app.cli(['--json', 'user', sent.user_id]));
  assert.equal(user.user.first_name, 'Edited');
  await (await app.session.waitFor('[data-testid="resend-dialog"] button', { text: 'Close' })).click();
});

test('a request claiming a timestamp no calendar holds opens as "out of range", not a blank pane', async () => {
  const res = await fetch(app.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'svix-id': 'msg_far_future',
      'svix-timestamp': '99999999999999',
      'svix-signature': 'v1,bm90IGEgc2lnbmF0dXJl',
    },
    body: '{"type":"user.created","data":{"id":"user_far"}}',
  });
  const { id } = await res.json();
  await open('events');
  await (await app.session.waitFor(`[data-testid="event-row"][data-id="${id}"]`, { what: 'the hostile request' })).click();
  await app.session.waitFor('[data-testid="event-detail"]', { text: 'out of range', what: 'the claimed time, shown as out of range' });
  await app.session.waitFor('[data-testid="event-detail"] [data-testid="hint"]', { what: 'the rest of the detail' });
});

test("a message Svix keeps failing lists its attempts and when Svix tries again; a later accepted one says so", async () => {
  const svixId = `msg_e2eattempts${Date.now()}`;
  const body = JSON.stringify({ type: 'user.created', object: 'event', data: { id: `user_e2e${Date.now()}`, object: 'user' } });
  // Clerk's sender, signing as Svix does; the first two with a secret Hooklab does not have.
  const attempt = async (secret) => (await fromClerk(svixId, body, secret)).id;
  const first = await attempt(ENDPOINT_SECRET);
  const second = await attempt(ENDPOINT_SECRET);
  await open('events');
  await (await app.session.waitFor(`[data-testid="event-row"][data-id="${second}"]`)).click();
  await app.session.waitFor('[data-testid="attempts"] [data-testid="next-retry"]', { text: 'Svix tries again around', what: "Svix's next attempt" });
  const due = await app.session.execute(`return document.querySelector('[data-testid="next-retry"]').innerText`);
  assert.match(due, /\(in [45] min\)/, 'Svix waits 5 minutes after the second attempt');
  const listed = await app.session.execute(`return document.querySelectorAll('[data-testid="attempt"]').length`);
  assert.equal(listed, 2);
  await app.shot('event-attempts');

  const accepted = await attempt(SECRET);
  // The open detail follows: the new attempt is listed and the retry estimate is gone.
  await app.session.waitFor('[data-testid="accepted-later"]', { text: `#${accepted}`, what: 'the open detail, refreshed' });
  assert.equal(await app.session.execute(`return document.querySelectorAll('[data-testid="attempt"]').length`), 3);
  await (await app.session.waitFor(`[data-testid="event-row"][data-id="${first}"]`)).click();
  await app.session.waitFor('[data-testid="accepted-later"]', { text: `#${accepted}`, what: 'the attempt that got through' });
  assert.equal(await app.session.execute(`return document.querySelector('[data-testid="next-retry"]')`), null, 'no more retries');
});

test('a user who signed in but never arrived is named in Users, with where to look', async () => {
  const signIn = app.send(['session.created']);
  const user = signIn.user_id;
  await open('users');
  const banner = await app.session.waitFor('[data-testid="missing-users"]', { text: '1 user signed in', what: 'the missing user' });
  assert.ok(banner);
  await app.shot('users-missing');
  await (await app.session.waitFor('[data-testid="missing-user"]')).click();
  await app.session.waitFor(`[data-testid="event-row"][data-id="${signIn.response.id}"]`, { what: "the user's sign-in, in Events filtered by the user" });
  // The user object arrives: no longer missing.
  app.send(['user.created', '--user-id', user]);
  await open('users');
  await app.session.waitFor(`[data-testid="user-row"][data-id="${user}"]`, { what: 'the user, synced' });
  for (let i = 0; i < 50 && (await app.session.execute(`return document.querySelector('[data-testid="missing-users"]')`)) !== null; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(await app.session.execute(`return document.querySelector('[data-testid="missing-users"]')`), null, 'the banner is gone');
});

test('a pinned event survives Clear; the others go', async () => {
  const [pinned, other] = [app.send(['user.created']).response.id, app.send(['user.created']).response.id];
  await open('events');
  // An earlier test left the log filtered by a user: Reset, when it is there.
  await app.session.execute(`[...document.querySelectorAll('button')].find((b) => b.innerText.trim() === 'Reset')?.click()`);
  await app.session.waitFor(`[data-testid="event-row"][data-id="${other}"]`);
  await (await app.session.waitFor(`[data-testid="event-row"][data-id="${pinned}"] button.pin`)).click();
  await (await app.session.waitFor('button', { text: 'Clear' })).click();
  await app.session.waitFor(`[data-testid="event-row"][data-id="${pinned}"]`, { what: 'the pinned event, after Clear' });
  assert.equal(await app.session.execute(`return document.querySelector('[data-testid="event-row"][data-id="${other}"]')`), null);
  // Reloaded, the window fetches the pinned event by itself (it is in no page of the cleared log).
  await app.session.execute('location.reload()');
  await app.session.waitFor(`[data-testid="event-row"][data-id="${pinned}"]`, { what: 'the pinned event, after a reload' });
});

test("Settings: ngrok's signature check at the edge is saved, as `hooklab config` shows", async () => {
  await open('settings');
  const box = await app.session.waitFor('[data-testid="verify-at-edge"]', { what: 'the edge check' });
  assert.equal(await app.session.execute(`return document.querySelector('[data-testid="verify-at-edge"]').checked`), false, 'off by default');
  await box.click();
  for (let i = 0; i < 50 && app.settings().verify_at_edge !== true; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(app.settings().verify_at_edge, true);
  assert.match(app.cli(['config', 'show']), /edge check {5}on/);
  await app.session.execute(`document.querySelector('[data-testid="verify-at-edge"]').scrollIntoView({ block: 'center' })`);
  await app.shot('settings-edge');
  await box.click();
  for (let i = 0; i < 50 && app.settings().verify_at_edge !== false; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(app.settings().verify_at_edge, false);
});

test('Settings: durability saved for the next start, and the window says so until then', async () => {
  await open('settings');
  await (await app.session.waitFor('[data-testid="durability-full"]', { what: 'the durability choice' })).click();
  await app.session.waitFor('[data-testid="durability-next"]', { text: 'next start', what: 'the note that it applies at the next start' });
  assert.equal(app.settings().synchronous, 'full');
  await app.session.execute(`document.querySelector('[data-testid="durability"]').scrollIntoView({ block: 'center' })`);
  await app.shot('settings-durability');
  await (await app.session.waitFor('[data-testid="durability-normal"]')).click();
  for (let i = 0; i < 50 && app.settings().synchronous !== 'normal'; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(app.settings().synchronous, 'normal');
  assert.equal(await app.session.execute(`return document.querySelector('[data-testid="durability-next"]')`), null, 'back to what is in effect');
});

test('after the right secret is saved, a banner offers to recover what failed; the dialog re-runs each message once', async () => {
  // Clerk signs with the endpoint's secret, which Hooklab does not have yet: two messages fail,
  // the first also on Svix's retry. A test send with that key is Hooklab's own: not recovered.
  const a = userCreated(1);
  const b = userCreated(2);
  const firstId = `msg_e2erecoverA${Date.now()}`;
  const first = [await fromClerk(firstId, a.body, ENDPOINT_SECRET), await fromClerk(firstId, a.body, ENDPOINT_SECRET)];
  const second = await fromClerk(`msg_e2erecoverB${Date.now()}`, b.body, ENDPOINT_SECRET);
  assert.deepEqual([first[0].verification, first[1].verification, second.verification], Array(3).fill('signature_mismatch'));
  const own = app.send(['--secret', ENDPOINT_SECRET, 'user.created'], { ok: false });
  assert.equal(own.status, 401);

  await open('settings');
  await (await app.session.waitFor('[data-testid="secret-input"]')).type(ENDPOINT_SECRET);
  await (await app.session.waitFor('[data-testid="secret-save"]')).click();
  const offer = await app.session.waitFor('[data-testid="recover-offer"]', { text: 'never delivered', what: 'the offer to recover' });
  const offered = Number((await offer.text()).match(/(\d+) messages? Clerk sent/)?.[1]);
  assert.ok(offered >= 2, `both messages offered: ${await offer.text()}`);
  await app.shot('recover-offer');
  await (await app.session.waitFor('[data-testid="recover-offer-open"]')).click();
  await app.session.waitFor('[data-testid="recover-plan"]', { text: 'bad signature', what: 'what failed, and how' });
  await (await app.session.waitFor('[data-testid="recover-go"]', { text: 'Re-run' })).click();
  const report = await app.session.waitFor('[data-testid="recover-report"]', { text: 'delivered now', what: 'the report' });
  // The first request of each message is re-run, Svix's retry of the first is not, nor the test send.
  for (const id of [first[0].id, second.id]) {
    const rows = await app.session.find(`[data-testid="recover-row"][data-original="${id}"]`);
    assert.equal(rows.length, 1, `message of event ${id} re-run once: ${await report.text()}`);
    assert.equal(await rows[0].attr('data-verification'), 'verified');
  }
  for (const id of [first[1].id, own.response.id]) {
    assert.equal((await app.session.find(`[data-testid="recover-row"][data-original="${id}"]`)).length, 0, `event ${id} is not re-run`);
  }
  await app.shot('recover');
  await (await app.session.waitFor('[data-testid="recover-dialog"] button', { text: 'Close' })).click();
  for (const { user } of [a, b]) {
    const shown = JSON.parse(app.cli(['--json', 'user', user]));
    assert.equal(shown.user.id, user, 'the user was synced');
  }
  // Nothing from Clerk is left to recover: the CLI, on the same database, says so.
  const left = JSON.parse(app.cli(['--json', 'recover', '--dry-run', '--since', 'all']));
  assert.equal(left.messages, 0, JSON.stringify(left));
});
