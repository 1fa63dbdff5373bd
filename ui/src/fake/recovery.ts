// The fake backend's recovery: the engine's rule (Clerk's messages that failed on their signature
// or path and were never delivered since, one request each, oldest first) over the in-memory world,
// re-run through the fake's replay. The fake keeps no user agents: test sends count as Clerk's.
import type { EventSummary, RecoveryPlan, RecoveryReport, ReplayOutcome, ReplayRequest } from '../types';
import type { World } from './world';

const MAX = 500;

const failure = (e: EventSummary) => (e.verification === 'verified' ? 'wrong_path' : e.verification);

function unrecovered(world: World, since: number): EventSummary[] {
  const delivered = new Set(
    world.events.filter((e) => e.s.verification === 'verified' && e.s.status !== 404 && e.s.svix_id).map((e) => e.s.svix_id),
  );
  const fixable = (e: EventSummary) =>
    e.verification === 'signature_mismatch' || e.verification === 'no_secret' || (e.verification === 'verified' && e.status === 404);
  const first = new Map<string, EventSummary>();
  for (const { s } of world.events) {
    const counts = fixable(s) && s.svix_id && s.method === 'POST' && (s.source === 'local' || s.source === 'tunnel');
    if (counts && s.received_at >= since && !delivered.has(s.svix_id) && !first.has(s.svix_id!)) first.set(s.svix_id!, s);
  }
  return [...first.values()].sort((a, b) => a.id - b.id);
}

export function plan(world: World, since: number): RecoveryPlan {
  const found = unrecovered(world, since);
  const counts = new Map<string, number>();
  for (const e of found) counts.set(failure(e), (counts.get(failure(e)) ?? 0) + 1);
  const failures = [...counts].map(([failure, count]) => ({ failure, count })).sort((a, b) => b.count - a.count);
  return { since, messages: found.length, failures, retried: 0, unkept: 0, oldest_at: found[0]?.received_at ?? null, max: MAX };
}

export function recover(world: World, since: number, replay: (r: ReplayRequest) => ReplayOutcome): RecoveryReport {
  const found = unrecovered(world, since);
  const report: RecoveryReport = { recovered: [], delivered: 0, applied: 0, left: Math.max(0, found.length - MAX), unkept: 0, skipped: [] };
  for (const e of found.slice(0, MAX)) {
    const out = replay({ key: String(e.id), signing: { signing: 'as_captured' }, target: { target: 'rerun' } });
    if (!out.event) continue;
    if (out.event.verification === 'verified' && out.event.status < 300 && out.event.sync !== 'duplicate') report.delivered++;
    if (out.event.sync === 'applied') report.applied++;
    report.recovered.push({ original: e.id, event: out.event });
  }
  return report;
}
