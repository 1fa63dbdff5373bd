// Benchmark of the real desktop window (numbers, not pass/fail tests): launch time, animation
// frames and arrival-to-screen latency under webhook load from a separate process, and memory
// after scrolling 100,000 events. Run by `make bench-app` (debug build, Xvfb).
// BENCH_PHASES=launch,load,memory picks phases; BENCH_EVENTS sets the memory phase's events.

import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { App, SECRET } from '../app.mjs';
import { sleep } from '../webdriver.mjs';
import { measureLaunches } from './launch.mjs';
import { cpuSample, pct, show, showCpu, showRss } from './measure.mjs';
import * as page from './page.mjs';

const phases = (process.env.BENCH_PHASES ?? 'launch,load,memory').split(',');
const EVENTS = Number(process.env.BENCH_EVENTS ?? 100000);
const gaps = (t) => t.slice(1).map((x, i) => x - t[i]);

/** Runs loadgen.mjs in its own node process; resolves with its JSON report. */
function loadgen(url, rate, seconds) {
  const args = [new URL('loadgen.mjs', import.meta.url).pathname, '--url', url, '--secret', SECRET, '--rate', String(rate), '--seconds', String(seconds)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`loadgen exited ${code}`)))),
  );
}

/** A fresh app (or one on an existing `db`) on the Events tab, its first page loaded. */
async function openApp(db) {
  const app = await App.start({ db });
  await (await app.session.waitFor('[data-testid="tab-events"]', { timeoutMs: 60000, what: 'the window' })).click();
  await app.session.waitFor(db ? '[data-testid="event-row"]' : '[data-testid="empty"]', { what: 'the event list' });
  return app;
}

async function stop(app) {
  await app.stop();
  rmSync(app.dir, { recursive: true, force: true });
}

async function launch() {
  const runs = await measureLaunches(5);
  console.log('\nLaunch (spawn → receiver answers HTTP / window page loaded), 5 launches, first creates the db:');
  runs.forEach((r, i) => console.log(`  #${i + 1}   http ${r.http} ms   window ${r.window} ms`));
  show('median: receiver answers HTTP', pct(runs.map((r) => r.http), 50), 'ms');
  show('median: window page loaded', pct(runs.map((r) => r.window), 50), 'ms');
}

/** One load phase: frames and arrival-to-screen while loadgen posts `rate`/s for `seconds`. */
async function phase(app, rate, seconds) {
  const cpu0 = cpuSample(app.driver.pid);
  const run = await loadgen(app.url, rate, seconds);
  const cpu1 = cpuSample(app.driver.pid);
  await sleep(3000); // let the last rows reach the screen
  const seen = await page.seen(app.session);
  const f = await page.frames(app.session, run.startMs, run.endMs);
  const late = run.results.filter(([id]) => seen[id] !== undefined).map(([id, at]) => seen[id] - at);
  console.log(`\n${rate} requests/s for ${seconds} s (sent ${run.sent} in ${run.sendSeconds.toFixed(1)} s, statuses ${JSON.stringify(run.statuses)}, errors ${run.errors}):`);
  show('POSTs answered 2xx', `${run.ok}/${run.sent}`);
  show('longest gap between frames', Math.max(...gaps(f)), 'ms', 100);
  show('p95 gap between frames', pct(gaps(f), 95), 'ms', 33);
  show('frames', f.length);
  show('rows shown (of 2xx)', `${late.length}/${run.ok}`);
  show('arrival→screen p50', pct(late, 50), 'ms');
  show('arrival→screen p95', pct(late, 95), 'ms', 500);
  show('arrival→screen max', Math.max(...late), 'ms');
  showCpu(cpu0, cpu1, { loadgen: run.cpuSeconds });
  if (late.length < run.ok) console.log('  (the list is virtualized: rows pushed past the viewport before a render never exist in the DOM)');
}

async function load() {
  const app = await openApp();
  try {
    await page.install(app.session);
    const idleFrom = Date.now();
    await sleep(3000);
    const idle = gaps(await page.frames(app.session, idleFrom, Date.now()));
    console.log('\nIdle window, 3 s:');
    show('longest / p95 gap between frames', `${Math.max(...idle).toFixed(1)} / ${pct(idle, 95).toFixed(1)}`, 'ms');
    await phase(app, 10, 10);
    await phase(app, 500, 20);
  } finally {
    await stop(app);
  }
}

/** Scrolls the list to the bottom until no more pages load; prints RSS before and after. */
async function scrollAll(app) {
  let rows = -1;
  // Live rows may still be streaming in: wait until the list stops growing.
  for (let now; (now = await page.rows(app.session)) !== rows; rows = now) await sleep(2000);
  showRss(`before scrolling (${rows} rows in the list)`, app.driver.pid);
  let state;
  const s0 = Date.now();
  // The list holds a window of rows, so progress is the lowest event on screen: done once it
  // stops moving down for 2 s.
  for (let still = 0, last = -1; still < 20 && Date.now() - s0 < 15 * 60000; ) {
    state = await page.scrollToEnd(app.session);
    still = state.lowest === last ? still + 1 : 0;
    last = state.lowest;
    await sleep(100);
  }
  await sleep(2000);
  const took = ((Date.now() - s0) / 1000).toFixed(0);
  showRss(`after scrolling to the end (reached event #${state.lowest}, ${state.rows} rows held, ${took} s)`, app.driver.pid);
}

async function memory() {
  let app = await openApp();
  const { dir, db } = app;
  try {
    console.log(`\nMemory (VmRSS), \`hooklab bench --events ${EVENTS}\` into the open window:`);
    showRss('fresh window, no events', app.driver.pid);
    const t0 = Date.now();
    const args = ['bench', '--target', app.url, '--check-db', db, '--events', String(EVENTS), '--report-every', String(EVENTS)];
    const out = app.cli(args, { db: false });
    const all = out.split('\n').find((l) => l.trim().startsWith('all')) ?? '';
    console.log(`  loaded in ${((Date.now() - t0) / 1000).toFixed(0)} s (requests events/s p50 p90 p99 max ms: ${all.trim()})`);
    await scrollAll(app);
    await app.stop();
    console.log('\nMemory (VmRSS), the same database reopened (the list pages in as it scrolls):');
    app = await openApp(db);
    await scrollAll(app);
  } finally {
    await stop(app);
    rmSync(dir, { recursive: true, force: true });
  }
}

const loads = loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`Hooklab window benchmark: ${process.env.HOOKLAB_APP}, ${cpus().length} cores, load average ${loads}`);
if (phases.includes('launch')) await launch();
if (phases.includes('load')) await load();
if (phases.includes('memory')) await memory();
