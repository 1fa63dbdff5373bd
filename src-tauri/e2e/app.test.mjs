// The real Hooklab window, driven like a user would: deliveries from the `hooklab` CLI show up
// live, a redelivery bumps its row in place, a wrong secret is diagnosed and fixed from
// Settings + Resend, the Copy button fills the clipboard, a malformed secret (or a retention
// limit too small) is refused beside its field, Space and Enter press a focused button, writes
// by another process appear, a test event sent from the app lands on the user it names, and a
// long log scrolls through a window of rows.
// Screenshots go to docs/screenshots/.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { App, ENDPOINT_SECRET, SECRET, clipboard } from './app.mjs';
import { sleep } from './webdriver.mjs';

let app;
before(async () => {
  app = await App.start();
  await app.session.waitFor('[data-testid="tab-events"]', { what: 'the window' });
});
after(async () => {
  await app?.stop();
});

const row = (id) => `[data-testid="event-row"][data-id="${id}"]`;

async function open(tab) {
  const [link] = await app.session.find(`[data-testid="tab-${tab}"]`);
  await link.click();
}

test('a signed delivery appears verified, and its user appears in Users without a reload', async () => {
  const user = 'user_2yJshmaJAoE3XwYMmUcJwH5cXSl';
  const sent = app.send(['--secret', SECRET, 'user.created', '--user-id', user]);
  assert.equal(sent.status, 200);
  await open('events');
  await app.session.waitFor(`${row(sent.response.id)}[data-verification="verified"][data-sync="applied"]`, {
    what: 'the verified event in the log',
  });
  await app.shot('events');
  await open('users');
  await app.session.waitFor(`[data-testid="user-row"][data-id="${user}"]`, { what: 'the synced user' });
  await app.session.waitFor('[data-testid="user-count"]', { text: '1 user', what: 'the count of every user' });
  await app.shot('users');
  // Its page lists its sessions, with their last activity and expiry.
  app.send(['--secret', SECRET, 'session.created', '--user-id', user]);
  await (await app.session.waitFor(`[data-testid="user-row"][data-id="${user}"]`)).click();
  const sessions = await app.session.waitFor('[data-testid="sessions"] [data-testid="session"]', { text: 'active', what: 'the session' });
  assert.match(await sessions.text(), /in \d+ (d|h)/, 'its expiry, ahead');
  await app.shot('user');
  await open('users');
  await app.session.press('/');
  assert.equal(await app.session.execute('return document.activeElement?.dataset.testid ?? null'), 'user-search', '/ focuses the users search');
  await app.session.execute('document.activeElement.blur()');
});

test('a redelivery bumps the delivery count in the open view; its detail lists both and what it changed', async () => {
  await open('events');
  const sent = app.send(['--secret', SECRET, 'user.updated', '--times', '2']);
  const bumped = await app.session.waitFor(`${row(sent.response.id)}[data-deliveries="2"]`, {
    what: 'the event delivered twice',
  });
  await bumped.click();
  await app.session.waitFor('[data-testid="deliveries"] [data-testid="delivery"]:nth-child(2)', {
    what: 'both deliveries in the detail',
  });
  await app.session.waitFor('[data-testid="row-change"] tr.changed[data-field="Primary email"]', {
    what: 'the user row it created, field by field',
  });
  await app.session.execute(
    'document.querySelector(\'[data-testid="row-change"]\').scrollIntoView({ block: "start" })',
  );
  await app.shot('event-changes');
});

test('a wrong secret is diagnosed; saving the right one in Settings and pressing Resend fixes it', async () => {
  const user = 'user_2zWrongSecretStory0000000001';
  // Clerk signs with the endpoint's secret; Hooklab was given another one.
  const sent = app.send(['--secret', ENDPOINT_SECRET, 'user.created', '--user-id', user], { ok: false });
  assert.equal(sent.status, 401);
  const id = sent.response.id;
  await open('events');
  const failed = await app.session.waitFor(`${row(id)}[data-verification="signature_mismatch"]`, {
    what: 'the refused delivery',
  });
  await failed.click();
  await app.session.waitFor('[data-testid="event-detail"] [data-testid="hint"]', {
    text: 'signing secret',
    what: 'the wrong-secret hint',
  });
  await app.shot('event-detail');

  await open('settings');
  const [input] = await app.session.find('[data-testid="secret-input"]');
  await input.type(ENDPOINT_SECRET);
  const [save] = await app.session.find('[data-testid="secret-save"]');
  await save.click();
  await app.session.waitFor('[data-testid="secrets"]', { text: 'b7oD', what: 'the saved secret, masked' });
  await app.shot('settings');

  await open('events');
  await (await app.session.waitFor(row(id))).click();
  await (await app.session.waitFor('[data-testid="resend"]')).click();
  await app.session.waitFor('[data-testid="resend-dialog"]');
  await (await app.session.waitFor('[data-testid="resend-go"]')).click();
  await app.session.waitFor('[data-testid="resend-outcome"]', { text: 'verified', what: 'the re-run outcome' });
  await app.shot('resend');
  await (await app.session.waitFor('[data-testid="resend-dialog"] button', { text: 'Close' })).click();
  await open('users');
  await app.session.waitFor(`[data-testid="user-row"][data-id="${user}"]`, { what: 'the user synced by the re-run' });
});

test('Copy puts the webhook URL on the clipboard (the local one while offline)', async () => {
  await open('events');
  await (await app.session.waitFor('[data-testid="copy-url"]')).click();
  let copied = '';
  for (let i = 0; i < 50 && copied !== app.url; i++) {
    await sleep(100);
    copied = clipboard().trim();
  }
  assert.equal(copied, app.url);
});

test('a malformed secret is refused beside the field, and nothing is saved', async () => {
  await open('settings');
  const [input] = await app.session.find('[data-testid="secret-input"]');
  await input.clear();
  await input.type('whsec_this is not base64!');
  await (await app.session.find('[data-testid="secret-save"]'))[0].click();
  const error = await app.session.waitFor('[data-testid="field-error"]', { text: 'base64', what: 'the field error' });
  assert.equal(await error.attr('data-field'), 'secret');
  assert.ok(!(await error.text()).includes('this is not'), 'the refused value is not echoed in full');
});

test('a retention limit too small is refused beside its field; a good one is saved to the settings file', async () => {
  await open('settings');
  const events = await app.session.waitFor('[data-testid="keep-events"]', { what: 'the retention form' });
  await app.session.execute(`document.querySelector('[data-testid="retention-form"]').scrollIntoView({ block: 'end' })`);
  const save = (await app.session.find('[data-testid="retention-save"]'))[0];
  await events.clear();
  await events.type('10');
  await save.click();
  const error = await app.session.waitFor('[data-testid="field-error"][data-field="retention"]', {
    text: 'at least 1000 events',
    what: 'the retention error',
  });
  assert.ok(error);
  await events.clear();
  await events.type('50000');
  await save.click();
  await app.session.waitFor('.toast', { text: 'Retention saved', what: 'the saved toast' });
  const saved = app.settings();
  assert.equal(saved.retention.max_events, 50000);
  assert.equal(saved.retention.max_size_mb, 1024, 'the other limits stay');
  await app.session.execute(`document.querySelector('[data-testid="retention-form"]').scrollIntoView({ block: 'end' })`);
  await app.shot('settings-storage');
});

test('Space and Enter on a focused button press it; they are shortcuts only elsewhere', async () => {
  await open('events');
  await app.session.execute(`document.querySelector('[data-testid="pinned-only"]').focus()`);
  await app.session.press(' ');
  await app.session.waitFor('[data-testid="pinned-only"].on', { what: 'the Pinned filter, pressed with Space' });
  assert.equal((await app.session.find('[data-testid="paused-bar"]')).length, 0, 'Space on a button does not pause the tail');
  await app.session.press('\uE007');
  await app.session.waitFor('[data-testid="pinned-only"]:not(.on)', { what: 'the Pinned filter, pressed again with Enter' });
  // Away from buttons, Space is the pause shortcut.
  await app.session.execute(`document.activeElement.blur()`);
  await app.session.press(' ');
  await app.session.waitFor('[data-testid="paused-bar"]', { what: 'the tail paused by Space' });
  await app.session.press(' ');
  await app.session.waitFor('[data-testid="pause"]:not(.paused)', { what: 'the tail resumed' });
});

test('an event written by the CLI into the same database appears', async () => {
  await open('events');
  const first = app.send(['--secret', ENDPOINT_SECRET, 'session.created']);
  // `hooklab replay` re-runs it in its own process, writing straight into the database.
  const out = JSON.parse(app.cli(['--json', 'replay', String(first.response.id)]));
  assert.equal(out.event.source, 'replay');
  await app.session.waitFor(row(out.event.id), { what: 'the row the CLI wrote' });
});

test('Send test: an update sent about the user the last send created lands on that user; the draft survives leaving the view', async () => {
  await open('send');
  const fixture = (text) => app.session.waitFor('[data-testid="fixture"]', { text, what: `the fixture "${text}"` });
  await (await fixture('email + password sign-up')).click();
  await (await app.session.waitFor('[data-testid="send-test"]')).click();
  await app.session.waitFor('[data-testid="send-result"]', { text: 'applied', what: 'the created user' });
  const result = () => app.session.execute(`return document.querySelector('[data-testid="send-result"]').innerText`);
  const user = (await result()).match(/user_[A-Za-z0-9]+/)[0];
  await (await app.session.waitFor('[data-testid="use-user"]')).click();
  await (await fixture('second email made primary')).click();
  // Watching the Events view and coming back keeps the draft.
  await open('events');
  await open('send');
  await app.session.waitFor('[data-testid="send-user"]', { what: 'the user field' });
  assert.equal(await app.session.execute(`return document.querySelector('[data-testid="send-user"]').value`), user);
  assert.match(await app.session.execute(`return document.querySelector('[data-testid="fixture-json"]').value`), /"user\.updated"/);
  await (await app.session.waitFor('[data-testid="send-test"]')).click();
  await app.session.waitFor('[data-testid="send-result"]', { text: 'user.updated', what: 'the update sent' });
  await app.session.waitFor('[data-testid="send-result"]', { text: user, what: 'the update about the same user' });
  assert.match(await result(), /applied/);
  // docs/screenshots/send-test.png shows a wrong key delivered three times: taken from the X
  // display (before `App.shot` made a still page paint, WebDriver's screenshot never returned here).
  await open('users');
  await app.session.waitFor(`[data-testid="user-row"][data-id="${user}"]`, { text: 'Alexandra', what: 'the user, updated' });
  // A user id that cannot be one is refused beside the field.
  await open('send');
  const input = await app.session.waitFor('[data-testid="send-user"]');
  await input.clear();
  await input.type('user 1');
  await (await app.session.waitFor('[data-testid="send-test"]')).click();
  await app.session.waitFor('[data-testid="field-error"][data-field="user_id"]', { text: 'is not a user id', what: 'the user id error' });
  await input.clear();
});

test('a long log holds a window of rows: scrolling down lets the top go, arrivals above wait in a bar', async () => {
  await open('events');
  app.cli(['bench', '--target', app.url, '--events', '2600', '--report-every', '2600'], { db: false });
  const list = '[role="grid"][aria-label="Events"]';
  // The live tail delivers in batches: let the last of the burst reach the log first, or its
  // late arrivals would (rightly) be counted in the bar below as newer events.
  const [newest] = JSON.parse(app.cli(['--json', 'events', '--limit', '1'])).items;
  await app.session.waitFor(row(newest.id), { timeoutMs: 30000, what: 'the last event of the burst' });
  // Scroll to the end until the oldest event is on screen; the newest rows are let go on the way.
  let lowest = Infinity;
  for (let i = 0; i < 200 && lowest > 1; i++) {
    lowest = await app.session.execute(
      `const el = document.querySelector(arguments[0]);
       el.scrollTop = el.scrollHeight;
       return Math.min(...[...el.querySelectorAll('[data-testid="event-row"]')].map((r) => Number(r.dataset.id)));`,
      [list],
    );
    await sleep(100);
  }
  assert.equal(lowest, 1, 'the oldest event is reached by scrolling');
  assert.ok(Number(await app.session.execute(`return document.querySelector(arguments[0]).getAttribute('aria-rowcount')`, [list])) <= 2000);
  await app.session.waitFor('[data-testid="newer-bar"]', { what: 'the bar saying newer rows were let go' });
  const sent = app.send(['--secret', SECRET, 'user.created']);
  await app.session.waitFor('[data-testid="newer-bar"]', { text: '1 newer event', what: 'the arrival counted in the bar' });
  assert.equal((await app.session.find(row(sent.response.id))).length, 0, 'an arrival above the window is not shown');
  await app.shot('events-older');
  const [jump] = await app.session.find('[data-testid="newer-bar"] button');
  await jump.click();
  await app.session.waitFor(row(sent.response.id), { what: 'the newest event after Jump to newest' });
  assert.equal((await app.session.find('[data-testid="newer-bar"]')).length, 0);
});
