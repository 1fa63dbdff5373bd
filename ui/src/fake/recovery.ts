// The fake backend's recovery: the engine's rule (Clerk's failed messages never delivered since,
// one request each, oldest first) over the in-memory world, re-run through the fake's replay.
import type { EventSummary, RecoveryPlan, RecoveryReport, ReplayOutcome, ReplayRequest } from '../types';
import type { World } from './world';

const MAX = 500;

function unrecovered(world: World, since: number): EventSummary[] {
  const delivered = new Set(
    world.events.filter((e) => e.s.verification === 'verified' && e.s.status < 300 && e.s.svix_id).map((e) => e.s.svix_id),
  );
  const first = new Map<string, EventSummary>();
  for (const { s } of world.events) {
    const counts = s.verification !== 'verified' && s.svix_id && s.method === 'POST' && (s.source === 'local' || s.source === 'tunnel');
    if (counts && s.received_at >= since && !delivered.has(s.svix_id) && !first.has(s.svix_id!)) first.set(s.svix_id!, s);
  }
  return [...first.values()].sort((a, b) => a.id - b.id);
}

export function plan(world: World, since: number): RecoveryPlan {
  const found = unrecovered(world, since);
  const counts = new Map<string, number>();
  for (const e of found) counts.set(e.verification, (counts.get(e.verification) ?? 0) + 1);
  const failures = [...counts].map(([verification, count]) => ({ verification, count })).sort((a, b) => b.count - a.count);
  return { since, messages: found.length, failures, oldest_at: found[0]?.received_at ?? null, max: MAX };
}

export function recover(world: World, since: number, replay: (r: ReplayRequest) => ReplayOutcome): RecoveryReport {
  const found = unrecovered(world, since);
  const report: RecoveryReport = { recovered: [], delivered: 0, applied: 0, left: Math.max(0, found.length - MAX), skipped: [] };
  for (const e of found.slice(0, MAX)) {
    const out = replay({ key: String(e.id), signing: { signing: 'as_captured' }, target: { target: 'rerun' } });
    if (!out.event) continue;
    if (out.event.verification === 'verified' && out.event.status < 300) report.delivered++;
    if (out.event.sync === 'applied') report.applied++;
    report.recovered.push({ original: e.id, event: out.event });
  }
  return report;
}
