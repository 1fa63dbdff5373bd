// The engine's plain-English hints, copied from verify.rs and friends, so fake failures read like
// real ones.
import type { Verification } from '../types';

export const WHERE_THE_SECRET_IS =
  'Copy it from the Clerk dashboard: Configure → Webhooks → your endpoint → Signing Secret (click the eye icon, then copy).';

const TOLERANCE = 300;

export function verificationHint(v: Verification): string | null {
  switch (v.kind) {
    case 'verified':
    case 'not_checked':
      return null;
    case 'missing_header':
      return `The request has no \`${v.header}\` header, so it was not sent by Clerk (Svix). To test by hand, use \`hooklab send user.created\` (it signs like Svix); if Clerk sent it, a proxy in between dropped the header.`;
    case 'malformed_timestamp':
      return `\`svix-timestamp\` must be Unix seconds, but it is "${v.value}". Svix always sends seconds: something rewrote the header.`;
    case 'timestamp_too_old':
      return `The signature is valid, but its timestamp is ${v.seconds} s older than this machine's clock (the limit is ${TOLERANCE} s). Either this machine's clock is ${v.seconds} s fast (check \`timedatectl\` and enable NTP) or the request was replayed from an old capture.`;
    case 'timestamp_too_new':
      return `The signature is valid, but its timestamp is ${v.seconds} s in the future (the limit is ${TOLERANCE} s). This machine's clock is about ${v.seconds} s slow: check \`timedatectl\` and enable NTP.`;
    case 'signature_mismatch':
      if (v.signatures === 0)
        return 'The `svix-signature` header has no `v1,` signature in it. Svix sends `v1,<base64>` entries separated by spaces: something rewrote the header.';
      if (v.body_reformatted)
        return 'The body was changed in transit: it is pretty-printed, and Svix sends compact JSON. A proxy or middleware parsed and re-serialized it. Verify the raw bytes before any JSON parsing.';
      return `None of the ${v.secrets_tried} configured signing secret(s) produced this signature. Most likely the secret is wrong: every endpoint has its own, and a newly created endpoint has a new one. ${WHERE_THE_SECRET_IS} If the secret is right, the body was modified on the way.`;
    case 'no_secret':
      return `No signing secret is configured, so nothing can be verified. Pass \`--secret whsec_…\` or set CLERK_WEBHOOK_SECRET. ${WHERE_THE_SECRET_IS}`;
  }
}

export function wrongPathHint(path: string, webhookPath: string): string {
  return `This request went to ${path}, but Hooklab listens on ${webhookPath}. Edit the endpoint URL in the Clerk dashboard so it ends with ${webhookPath}.`;
}

export const GET_HINT =
  'A GET request: someone opened the webhook URL in a browser. Clerk only sends POST; nothing to fix.';

export const AUTHTOKEN_URL = 'https://dashboard.ngrok.com/get-started/your-authtoken';
