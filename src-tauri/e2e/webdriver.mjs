// A minimal W3C WebDriver client over fetch, for driving the real Hooklab window through
// tauri-driver + WebKitWebDriver (no npm dependency needed).

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  static async create(base, application, { timeoutMs = 30000 } = {}) {
    const deadline = Date.now() + timeoutMs;
    let last;
    // tauri-driver accepts connections a moment before it can create sessions: retry.
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`${base}/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            capabilities: { alwaysMatch: { 'tauri:options': { application } } },
          }),
        });
        const body = await res.json();
        if (res.ok && body.value?.sessionId) return new Session(base, body.value.sessionId);
        last = JSON.stringify(body);
      } catch (e) {
        last = String(e);
      }
      await sleep(250);
    }
    throw new Error(`no WebDriver session: ${last}`);
  }

  async cmd(method, path, body) {
    const res = await fetch(`${this.base}/session/${this.id}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json.value)}`);
    return json.value;
  }

  async find(css) {
    const found = await this.cmd('POST', '/elements', { using: 'css selector', value: css });
    return found.map((e) => new Element(this, e[ELEMENT]));
  }

  /** Waits until `css` matches an element for which `test` (run in the page) is true. */
  async waitFor(css, { text, timeoutMs = 15000, what } = {}) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const hit = await this.execute(
        `const [css, text] = arguments;
         return [...document.querySelectorAll(css)]
           .find(e => !text || e.innerText.toLowerCase().includes(text.toLowerCase())) ?? null;`,
        [css, text ?? null],
      );
      if (hit && hit[ELEMENT]) return new Element(this, hit[ELEMENT]);
      await sleep(100);
    }
    const page = await this.execute('return document.body.innerText.slice(-2500)');
    const shot = `/tmp/hooklab-e2e-timeout-${Date.now()}.png`;
    try {
      (await import('node:fs')).writeFileSync(shot, await this.screenshot());
    } catch {
      // a screenshot is a bonus
    }
    throw new Error(`(screenshot: ${shot}) ` + `timed out waiting for ${what ?? css}${text ? ` with "${text}"` : ''}\n--- page ---\n${page}`);
  }

  /** Presses and releases one key (a character, or a WebDriver key code such as '\uE007'
   * for Enter) on whatever has the focus. */
  async press(key) {
    const actions = [{ type: 'key', id: 'keyboard', actions: [{ type: 'keyDown', value: key }, { type: 'keyUp', value: key }] }];
    await this.cmd('POST', '/actions', { actions });
  }

  execute(script, args = []) {
    return this.cmd('POST', '/execute/sync', { script, args });
  }

  async screenshot() {
    // WebKitWebDriver's screenshot waits for a paint: on a page where nothing moves (no clock,
    // no arrivals) none comes and it never answers. A 1-pixel, nearly transparent tick repaints
    // for the next few seconds.
    await this.execute(`
      const tick = document.createElement('div');
      tick.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;opacity:0.01;pointer-events:none';
      document.body.append(tick);
      let n = 0;
      const timer = setInterval(() => (tick.style.background = n++ % 2 ? '#000' : '#fff'), 40);
      setTimeout(() => (clearInterval(timer), tick.remove()), 3000);
    `);
    return Buffer.from(await this.cmd('GET', '/screenshot'), 'base64');
  }

  async close() {
    try {
      await this.cmd('DELETE', '');
    } catch {
      // the app may already be gone
    }
  }
}

export class Element {
  constructor(session, id) {
    this.session = session;
    this.id = id;
  }

  click() {
    return this.session.cmd('POST', `/element/${this.id}/click`, {});
  }

  async type(text) {
    await this.session.cmd('POST', `/element/${this.id}/value`, { text });
  }

  clear() {
    return this.session.cmd('POST', `/element/${this.id}/clear`, {});
  }

  text() {
    return this.session.cmd('GET', `/element/${this.id}/text`);
  }

  attr(name) {
    return this.session.cmd('GET', `/element/${this.id}/attribute/${name}`);
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
