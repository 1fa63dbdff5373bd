// Starts the real Hooklab app for end-to-end tests: a temporary database and settings file, a
// free port, tauri-driver (which starts WebKitWebDriver, which starts the app), one session.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session, sleep } from './webdriver.mjs';

/** Svix's published test secret: what Hooklab is configured with. */
export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
/** Svix's second test secret: the Clerk endpoint's "real" secret in the wrong-secret story. */
export const ENDPOINT_SECRET = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD';

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export class App {
  /** `db`: an existing database to open (default: a new one in the temporary directory);
   * `port`: the port saved in the settings (default: a free one). */
  static async start({ secrets = [SECRET], db, port } = {}) {
    const app = new App();
    app.dir = mkdtempSync(join(tmpdir(), 'hooklab-e2e-'));
    app.db = db ?? join(app.dir, 'hooklab.db');
    app.config = join(app.dir, 'settings.json');
    app.port = port ?? (await freePort());
    app.url = `http://127.0.0.1:${app.port}/api/webhooks/clerk`;
    writeFileSync(app.config, JSON.stringify({ secrets, port: app.port }), { mode: 0o600 });
    const driverPort = await freePort();
    const env = {
      ...process.env,
      HOOKLAB_DB: app.db,
      HOOKLAB_CONFIG: app.config,
      HOOKLAB_LOG_DIR: join(app.dir, 'logs'),
    };
    delete env.CLERK_WEBHOOK_SECRET;
    delete env.CLERK_WEBHOOK_SIGNING_SECRET;
    delete env.NGROK_AUTHTOKEN;
    // Its own process group (tauri-driver, WebKitWebDriver, the app), with output in a log
    // file: the app must not hold the test runner's stdout open, and `stop` ends the group.
    const log = openSync(join(app.dir, 'driver.log'), 'a');
    app.driver = spawn('tauri-driver', ['--port', String(driverPort)], {
      env,
      stdio: ['ignore', log, log],
      detached: true,
    });
    app.session = await Session.create(`http://127.0.0.1:${driverPort}`, process.env.HOOKLAB_APP);
    return app;
  }

  /** Runs the `hooklab` CLI on the app's database and settings; returns stdout. `db: false`
   * leaves out `--db` (for `bench`, which refuses a database it would not use). */
  cli(args, { ok = true, db = true } = {}) {
    const where = db ? ['--db', this.db, '--config', this.config] : ['--config', this.config];
    try {
      return execFileSync(process.env.HOOKLAB_CLI, [...where, ...args], {
        encoding: 'utf8',
        env: { ...process.env, CLERK_WEBHOOK_SECRET: '', CLERK_WEBHOOK_SIGNING_SECRET: '' },
      });
    } catch (e) {
      if (ok) throw new Error(`hooklab ${args.join(' ')} failed: ${e.stdout}${e.stderr}`);
      return e.stdout;
    }
  }

  /** `hooklab send … --json`; returns the first JSON document it printed. */
  send(args, { ok = true } = {}) {
    const out = this.cli(['--json', 'send', ...args, '--to', this.url], { ok });
    return JSON.parse(out.split('\n')[0]);
  }

  /** The settings file as the app last saved it. */
  settings() {
    return JSON.parse(readFileSync(this.config, 'utf8'));
  }

  /** Saves a screenshot once what the DOM holds is painted (WebKit paints a few frames late). */
  async shot(name) {
    await this.session.cmd('POST', '/execute/async', {
      script: 'const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done()));',
      args: [],
    });
    await sleep(300);
    mkdirSync('docs/screenshots', { recursive: true });
    writeFileSync(join('docs/screenshots', `${name}.png`), await this.session.screenshot());
  }

  async stop() {
    await this.session?.close();
    // WebKitWebDriver leaves the app running after the session ends: end the whole group.
    for (const signal of ['SIGTERM', 'SIGKILL']) {
      try {
        process.kill(-this.driver.pid, signal);
      } catch {
        return; // already gone
      }
      await sleep(500);
    }
  }
}

/** A small HTTP server on loopback standing in for the user's app: it keeps every request it
 * gets (`received`: headers and body) and answers each with `answer()` (`{ status, body }`). */
export async function startYourApp(answer = () => ({ status: 204, body: '' })) {
  const received = [];
  const server = createHttpServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const { status, body } = answer();
      res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    received,
    port: server.address().port,
    url: `http://localhost:${server.address().port}/api/webhooks/clerk`,
    close: () => server.close(),
  };
}

/** Reads the X clipboard (the app writes it through the clipboard plugin). */
export function clipboard() {
  return execFileSync('xclip', ['-o', '-selection', 'clipboard'], { encoding: 'utf8' });
}
