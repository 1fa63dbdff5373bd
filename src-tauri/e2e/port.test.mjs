// The saved port is taken when the app starts (a `hooklab serve` left running, say): the window
// opens anyway on a free port and a banner says so; once the port is free, saving it again in
// Settings moves the receiver back and the banner goes.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { App, freePort } from './app.mjs';

let app;
let squatter;
before(async () => {
  const port = await freePort();
  squatter = createServer();
  await new Promise((resolve) => squatter.listen(port, '127.0.0.1', resolve));
  app = await App.start({ port });
  await app.session.waitFor('[data-testid="tab-events"]', { what: 'the window' });
});
after(async () => {
  await app?.stop();
  squatter?.close();
});

test('a taken port opens on a free one with a banner; saving the port again once it is free moves back', async () => {
  const banner = await app.session.waitFor('[data-testid="port-taken"]', { text: `Port ${app.port} was in use`, what: 'the banner' });
  assert.ok(!(await banner.text()).includes(`127.0.0.1:${app.port}/`), 'it names the URL actually in use');
  const shown = await (await app.session.waitFor('[data-testid="webhook-url"]')).text();
  assert.ok(!shown.includes(`:${app.port}/`), `the header shows the fallback URL, not ${shown}`);

  await new Promise((resolve) => squatter.close(resolve));
  squatter = null;
  await (await app.session.waitFor('[data-testid="tab-settings"]')).click();
  const input = await app.session.waitFor('[data-testid="port-input"]');
  assert.equal(await app.session.execute('return document.querySelector(\'[data-testid="port-input"]\').value'), String(app.port),
    'the field shows the saved port');
  await (await app.session.waitFor('[data-testid="port-save"]')).click();
  await app.session.waitFor('[data-testid="webhook-url"]', { text: `:${app.port}/`, what: 'the receiver back on the saved port' });
  assert.equal((await app.session.find('[data-testid="port-taken"]')).length, 0, 'the banner is gone');
  assert.ok(input);
});
