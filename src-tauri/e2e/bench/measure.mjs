// Shared pieces of the window benchmark: percentiles, printing a number beside its target, and
// the memory and CPU time of the app and its WebKit processes (found under a parent pid).

import { readFileSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';

/** Nearest-rank percentile of unsorted numbers (p in 0..100); NaN when empty. */
export function pct(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Prints `label  value unit  target …  ok|MISS`; `max` is the target (upper bound), if any. */
export function show(label, value, unit = '', max) {
  const v = typeof value === 'number' ? (Number.isInteger(value) ? String(value) : value.toFixed(1)) : String(value);
  const target = max === undefined ? '' : `target ≤ ${max} ${unit}`.padEnd(18) + (value <= max ? 'ok' : 'MISS');
  console.log(`  ${label.padEnd(34)} ${(v + ' ' + unit).padEnd(14)} ${target}`);
}

function stat(pid) {
  try {
    // comm may hold spaces and parentheses: the fields after the last ')' are fixed.
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks (USER_HZ)
    return { pid: Number(pid), comm: s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')), ppid: Number(f[1]), cpu };
  } catch {
    return null; // gone
  }
}

const processes = () => readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(stat).filter(Boolean);

/** Every live descendant of `root` (not `root` itself), with its command name. */
export function descendants(root) {
  const all = processes();
  const out = [];
  let frontier = [root];
  while (frontier.length) {
    const kids = all.filter((p) => frontier.includes(p.ppid));
    out.push(...kids);
    frontier = kids.map((p) => p.pid);
  }
  return out;
}

/** The program's file name (comm is cut at 15 characters). */
function name(p) {
  try {
    return readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0')[0].split('/').pop() || p.comm;
  } catch {
    return p.comm;
  }
}

/** A `kB` field of a /proc file, in MiB (0 if the process is gone). */
function mib(pid, file, field) {
  try {
    const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'));
    return kb ? Number(kb[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** The app process (named `name`) under `root`, and the WebKit processes under it. */
export function appTree(root, name = 'hooklab-app') {
  const app = descendants(root).find((p) => p.comm === name);
  if (!app) throw new Error(`no ${name} process under pid ${root}`);
  const webkit = descendants(app.pid).filter((p) => p.comm.startsWith('WebKit'));
  return { app, webkit };
}

/**
 * Prints VmRSS of the app, each WebKit process and their sum, beside PSS (shared pages such as
 * libwebkit2gtk split between the processes, so the PSS sum does not count them twice).
 */
export function showRss(title, root) {
  const { app, webkit } = appTree(root);
  console.log(`  ${title}  (RSS, PSS in MiB)`);
  let rss = 0;
  let pss = 0;
  for (const p of [app, ...webkit]) {
    const [r, s] = [mib(p.pid, 'status', 'VmRSS'), mib(p.pid, 'smaps_rollup', 'Pss')];
    rss += r;
    pss += s;
    show(`  ${name(p)} (pid ${p.pid})`, `${r.toFixed(1)}  PSS ${s.toFixed(1)}`);
  }
  show('  sum RSS', rss, 'MiB', 300);
  show('  sum PSS', pss, 'MiB', 300);
  return rss;
}

/** CPU seconds so far: the app, its WebKit processes, Xvfb, and the whole machine (busy, all). */
export function cpuSample(root) {
  const { app, webkit } = appTree(root);
  const byName = Object.fromEntries([app, ...webkit].map((p) => [name(p), p.cpu]));
  byName.Xvfb = processes().find((p) => p.comm === 'Xvfb')?.cpu ?? 0;
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
  const all = ticks.slice(0, 8).reduce((a, b) => a + b, 0) / 100;
  return { byName, busy: all - (ticks[3] + ticks[4]) / 100, all };
}

/** Prints each process's CPU use between two samples as % of one core (`extra`: more of them). */
export function showCpu(a, b, extra = {}) {
  const wall = (b.all - a.all) / cpus().length;
  const parts = Object.keys(b.byName).map((n) => [n, b.byName[n] - (a.byName[n] ?? 0)]);
  parts.push(...Object.entries(extra));
  const pcts = parts.map(([n, s]) => `${n} ${Math.round((100 * s) / wall)}`).join(', ');
  console.log(`  CPU, % of one core: ${pcts}; machine busy ${Math.round((100 * (b.busy - a.busy)) / wall)} of ${100 * cpus().length}`);
}
