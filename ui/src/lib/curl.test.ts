// Unit tests for "copy as curl": quoting, the headers kept, and a user agent that is not Svix's.
import { describe, expect, it } from 'vitest';
import type { EventDetail } from '../types';
import { curlFor } from './curl';

const event = {
  id: 7,
  method: 'POST',
  path: '/api/webhooks/clerk',
  headers: [
    ['host', '127.0.0.1:8787'],
    ['user-agent', 'Svix-Webhooks/1.73.0 (sender-E6SeC; +https://www.svix.com/http-sender/)'],
    ['svix-id', 'msg_1'],
    ['content-length', '15'],
  ],
  body: `{"name":"O'Neil"}`,
  body_base64: null,
} as unknown as EventDetail;

describe('curlFor', () => {
  it('keeps the request headers, quotes the body, and leaves out the connection ones', () => {
    const cmd = curlFor(event, 'http://127.0.0.1:9000/api/webhooks/clerk');
    expect(cmd).toContain(`curl -X POST 'http://127.0.0.1:9000/api/webhooks/clerk'`);
    expect(cmd).toContain(`-H 'svix-id: msg_1'`);
    expect(cmd).not.toMatch(/host:|content-length:/);
    expect(cmd).toContain(`--data-raw '{"name":"O'\\''Neil"}'`);
  });

  it("says it is curl, so the request it sends is not taken for one of Svix's attempts", () => {
    const cmd = curlFor(event, 'http://127.0.0.1:9000');
    expect(cmd).toContain(`-H 'user-agent: curl (copied from Hooklab event #7)'`);
    expect(cmd).not.toContain('Svix-Webhooks');
  });
});
