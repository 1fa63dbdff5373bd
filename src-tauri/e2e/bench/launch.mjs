// Launch timing for the window benchmark: spawns the app binary itself (no WebDriver in the
// way) and measures, from the spawn, when its receiver answers HTTP and when the window's page
// has loaded (the app logs `window loaded at_ms=…`, wall-clock, when the load finishes).

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SECRET, freePort } from '../app.mjs';
import { sleep } from '../webdriver.mjs';

/** Resolves with Date.now() once `check` returns true; polls every 5 ms. */
async function when(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return Date.now();
    await sleep(5);
  }
  throw new Error(`launch: timed out waiting for ${what}`);
}

/** Whether anything answers HTTP on the port (any status: the receiver captures every path). */
async function answers(port) {
  try {
    await fetch(`http://127.0.0.1:${port}/launch-probe`, { signal: AbortSignal.timeout(500) });
    return true;
  } catch {
    return false;
  }
}

/** One launch, on the database in `dir` (created by the first launch), killed at the end. */
async function launchOnce(dir, n) {
  const port = await freePort();
  const logDir = join(dir, `logs-${n}`);
  const config = join(dir, 'settings.json');
  writeFileSync(config, JSON.stringify({ secrets: [SECRET], port }), { mode: 0o600 });
  const env = { ...process.env, HOOKLAB_DB: join(dir, 'hooklab.db'), HOOKLAB_CONFIG: config, HOOKLAB_LOG_DIR: logDir };
  delete env.NGROK_AUTHTOKEN;
  mkdirSync(logDir, { recursive: true });
  const out = openSync(join(dir, `app-${n}.out`), 'a');
  const spawnedAt = Date.now();
  const app = spawn(process.env.HOOKLAB_APP, [], { env, stdio: ['ignore', out, out], detached: true });
  const exited = new Promise((r) => app.once('exit', r));
  let loadedAt = null;
  const readLog = () => {
    try {
      const m = /window loaded at_ms=(\d+)/.exec(readFileSync(join(logDir, 'hooklab.log'), 'utf8'));
      if (m) loadedAt = Number(m[1]);
    } catch {
      // not created yet
    }
    return loadedAt !== null;
  };
  try {
    const [httpAt] = await Promise.all([
      when(() => answers(port), 30000, 'the receiver'),
      when(readLog, 30000, '"window loaded" in the log'),
    ]);
    return { http: httpAt - spawnedAt, window: loadedAt - spawnedAt };
  } finally {
    for (const signal of ['SIGTERM', 'SIGKILL']) {
      try {
        process.kill(-app.pid, signal);
      } catch {
        break; // the group is gone
      }
      if (await Promise.race([exited.then(() => true), sleep(3000)])) break;
    }
    await sleep(500); // let the WebKit processes go too
  }
}

/** Launches the app `times` times; returns [{ http, window }] in ms from spawn. */
export async function measureLaunches(times) {
  const dir = mkdtempSync(join(tmpdir(), 'hooklab-bench-launch-'));
  const runs = [];
  try {
    for (let n = 1; n <= times; n++) runs.push(await launchOnce(dir, n));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return runs;
}
