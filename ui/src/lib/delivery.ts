// What a test send set to break on purpose will do, said before it is sent: the Send view's
// delivery options (wrong key, shifted timestamp, several deliveries) and their expected answer.
import { offset } from './format';

/** Svix's tolerance for `svix-timestamp`, either way (seconds). */
export const TOLERANCE_S = 300;

/** The timestamp shifts the Send view offers, in seconds (custom ones are typed). */
export const SHIFTS: { seconds: number; label: string }[] = [
  { seconds: 0, label: 'Now' },
  { seconds: -240, label: '4 min ago (still inside the tolerance)' },
  { seconds: -600, label: '10 min ago (too old)' },
  { seconds: 600, label: '10 min ahead (too new)' },
  { seconds: -3600, label: '1 hour ago (too old)' },
];

export interface DeliveryPlan {
  wrongKey: boolean;
  /** Seconds added to svix-timestamp. */
  offset: number;
  times: number;
}

/** One sentence on what the receiver should answer, for a receiver that checks like Svix's
 * libraries (Hooklab does). */
export function expectation(plan: DeliveryPlan): string {
  const n = Math.max(1, Math.trunc(plan.times));
  const each = n > 1 ? `each of the ${n} deliveries` : 'it';
  if (plan.wrongKey)
    return `A receiver that verifies should refuse ${each} (Hooklab answers 401): the signature matches none of its secrets, as with a wrong whsec_.`;
  if (plan.offset < -TOLERANCE_S)
    return `A receiver that verifies should refuse ${each} (Hooklab answers 401): signed ${offset(plan.offset)} in the past, beyond Svix's 5-minute tolerance.`;
  if (plan.offset > TOLERANCE_S)
    return `A receiver that verifies should refuse ${each} (Hooklab answers 401): signed ${offset(plan.offset)} in the future, beyond Svix's 5-minute tolerance.`;
  const skew =
    plan.offset !== 0 ? ` Its timestamp is ${offset(plan.offset)} off, inside Svix's 5-minute tolerance, so it still verifies.` : '';
  if (n > 1)
    return `One message delivered ${n} times with the same svix-id, as Svix retries: the first is applied, the other ${n - 1} are answered 200 as duplicates.${skew}`;
  return `Signed like Svix with your current secret and a fresh svix-id.${skew}`;
}
