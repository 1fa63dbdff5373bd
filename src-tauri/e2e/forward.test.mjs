// Forwarding to the user's own app, in the real window: turned on in Settings (a bad URL is
// refused beside the field), each verified event reaches a small HTTP server standing in for the
// app, with its Svix headers as signed; what the app answered shows on the event's row and in its
// detail; after the app is fixed, "Resend to app" gets its new answer; a change made with
// `hooklab config` while Settings is open shows in its fields.
// Screenshots go to docs/screenshots/.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { App, SECRET, startYourApp } from './app.mjs';
import { sleep } from './webdriver.mjs';

let app;
let yourApp;
let answer = { status: 500, body: 'relation "users" does not exist' };

before(async () => {
  yourApp = await startYourApp(() => answer);
  app = await App.start();
  await app.session.waitFor('[data-testid="tab-events"]', { what: 'the window' });
});
after(async () => {
  await app?.stop();
  yourApp?.close();
});

const appUrl = () => yourApp.url;
const row = (id) => `[data-testid="event-row"][data-id="${id}"]`;

async function open(tab) {
  const [link] = await app.session.find(`[data-testid="tab-${tab}"]`);
  await link.click();
}

test('forwarding is turned on in Settings; a URL that is not one is refused beside the field', async () => {
  await open('settings');
  const input = await app.session.waitFor('[data-testid="app-url-input"]', { what: 'the Your app card' });
  const save = (await app.session.find('[data-testid="forward-save"]'))[0];
  await input.type('localhost:3000/api/webhooks/clerk');
  await save.click();
  const error = await app.session.waitFor('[data-testid="field-error"][data-field="forward_url"]', {
    text: 'http://',
    what: 'the URL error',
  });
  assert.ok(error);
  assert.equal(app.settings().forward_url, undefined, 'nothing was saved');

  await input.clear();
  await input.type(appUrl());
  await (await app.session.find('[data-testid="forward-live"]'))[0].click();
  await save.click();
  await app.session.waitFor('[data-testid="forward-state"]', { text: 'forwarding', what: 'forwarding on' });
  await app.session.waitFor('[data-testid="forwarding"]', { text: `localhost:${yourApp.port}`, what: 'the header chip' });
  const saved = app.settings();
  assert.equal(saved.forward_url, appUrl());
  assert.equal(saved.forward_live, true);
  await app.session.execute(`document.querySelector('[data-testid="forward-settings"]').scrollIntoView({ block: 'center' })`);
  await app.shot('settings-forward');
});

test("a verified event reaches the app as signed; the app's failure shows on its row and in its detail", async () => {
  await open('events');
  const sent = app.send(['--secret', SECRET, 'user.created']);
  const id = sent.response.id;
  await app.session.waitFor(`${row(id)} [data-testid="row-forward"]`, { text: '500', what: "the app's 500 on the row" });
  const got = yourApp.received.at(-1);
  assert.equal(got.headers['svix-id'], sent.svix_id, 'the same message, not a copy');
  assert.equal(got.headers['x-hooklab-forwarded'], String(id));
  assert.ok(got.headers['svix-signature'].startsWith('v1,'), 'the signature travels with it');
  assert.equal(JSON.parse(got.body).type, 'user.created');

  await (await app.session.waitFor(row(id))).click();
  await app.session.waitFor('[data-testid="forward"]', { text: 'handler failed', what: 'the hint for a 500' });
  await app.session.waitFor('[data-testid="forward-body"]', { text: 'relation "users" does not exist', what: "the app's answer" });
  await app.session.execute(`document.querySelector('[data-testid="forward"]').scrollIntoView({ block: 'center' })`);
  await app.shot('forward');

  // The app is fixed: resend the event to it.
  answer = { status: 200, body: '{"ok":true}' };
  const before = yourApp.received.length;
  await (await app.session.waitFor('[data-testid="resend-to-app"]')).click();
  await app.session.waitFor('[data-testid="resend-dialog"] [data-testid="app-url"]', { what: 'the app target, chosen' });
  await (await app.session.waitFor('[data-testid="resend-go"]')).click();
  await app.session.waitFor('[data-testid="resend-outcome"]', { text: 'HTTP 200', what: "the app's new answer" });
  assert.equal(yourApp.received.length, before + 1, 'the resend reached the app');
  assert.equal(JSON.parse(yourApp.received.at(-1).body).type, 'user.created');
  await app.shot('resend-to-app');
  await (await app.session.waitFor('[data-testid="resend-dialog"] button', { text: 'Close' })).click();
  await app.session.waitFor(`${row(id)} [data-testid="row-forward"]`, { text: '200', what: "the row shows the app's new answer" });
  await app.session.waitFor('[data-testid="forward"]', { text: 'answered in', what: 'the detail, updated' });
});

test('turned off with `hooklab config` while Settings is open, the card follows', async () => {
  await open('settings');
  await app.session.waitFor('[data-testid="forward-state"]', { text: 'forwarding', what: 'forwarding on' });
  app.cli(['config', 'set-forward', 'http://localhost:4000/hooks']);
  await app.session.waitFor('[data-testid="forward-state"]', { text: 'not forwarding: resends only', what: 'forwarding off' });
  const value = await app.session.execute('return document.querySelector(\'[data-testid="app-url-input"]\').value');
  assert.equal(value, 'http://localhost:4000/hooks', 'the field shows the URL saved by the CLI');
  assert.equal(await app.session.execute('return document.querySelector(\'[data-testid="forward-live"]\').checked'), false);
});

test("a load test of the app: every answer counted, the failing share explained, nothing captured; Stop ends a long run", async () => {
  let n = 0;
  answer = {
    get status() {
      n += 1;
      return n % 10 === 0 ? 500 : 204;
    },
    body: '',
  };
  const newest = () => JSON.parse(app.cli(['--json', 'events', '--limit', '1'])).items[0]?.id;
  const before = { received: yourApp.received.length, newest: newest() };
  await open('send');
  await (await app.session.waitFor('[data-testid="load-mode"]', { what: 'the load test entry' })).click();
  const url = await app.session.waitFor('[data-testid="load-url"]', { what: 'the load test' });
  const value = () => app.session.execute('return document.querySelector(\'[data-testid="load-url"]\').value');
  assert.equal(await value(), 'http://localhost:4000/hooks', 'starts from the app URL saved in Settings');
  await url.clear();
  await url.type(appUrl());
  const events = (await app.session.find('[data-testid="load-events"]'))[0];
  await events.clear();
  await events.type('400');
  await (await app.session.find('[data-testid="load-run"]'))[0].click();
  await app.session.waitFor('[data-testid="load-report"]', { timeoutMs: 60000, what: 'the report' });
  // textContent: WebDriver's visible text leaves out the badges' labels.
  const content = (id) => app.session.execute(`return document.querySelector('[data-testid="${id}"]').textContent`);
  assert.match(await content('load-report'), /360 of 400 answered 2xx/);
  assert.match(await content('load-statuses'), /204\s*× 360\s*500\s*× 40/);
  assert.match(await content('load-hint'), /failed under load/);

  const got = yourApp.received.slice(before.received);
  assert.equal(got.length, 400, 'the app got every request');
  assert.ok(got.every((r) => r.headers['svix-signature']?.startsWith('v1,')), 'each one signed');
  const ids = new Set(got.map((r) => r.headers['svix-id']));
  assert.ok(ids.size < 400 && ids.size > 300, `some delivered twice under one svix-id (${ids.size} ids)`);
  assert.equal(newest(), before.newest, 'Hooklab captured none of them');
  await app.shot('load-test');

  answer = { status: 204, body: '' };
  await events.clear();
  await events.type('100000');
  await (await app.session.find('[data-testid="load-run"]'))[0].click();
  await app.session.waitFor('[data-testid="load-progress"]', { what: 'the progress bar' });
  // Stopped once requests are going out (a Stop before the first one is its own case).
  for (let i = 0; i < 100 && !/^\s*[1-9]/.test(await content('load-progress')); i++) await sleep(100);
  await (await app.session.waitFor('[data-testid="load-stop"]', { what: 'Stop' })).click();
  const stopped = await app.session.waitFor('[data-testid="load-stopped"]', { text: 'stopped after', timeoutMs: 30000, what: 'the stopped run' });
  assert.match(await stopped.text(), /of 100,000/);
});
