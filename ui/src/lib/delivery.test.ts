import { describe, expect, it } from 'vitest';
import { expectation } from './delivery';

describe('expectation', () => {
  it('says a correct single delivery verifies', () => {
    expect(expectation({ wrongKey: false, offset: 0, times: 1 })).toMatch(/^Signed like Svix/);
  });

  it('names the refusal a wrong key or a stale timestamp gets, for every delivery', () => {
    expect(expectation({ wrongKey: true, offset: 0, times: 1 })).toMatch(/refuse it .*401.*wrong whsec_/);
    expect(expectation({ wrongKey: false, offset: -600, times: 3 })).toMatch(/each of the 3 deliveries.*10 min in the past/);
    expect(expectation({ wrongKey: false, offset: 600, times: 1 })).toMatch(/10 min in the future/);
  });

  it('keeps a shift inside the tolerance verified, and counts redeliveries as duplicates', () => {
    const text = expectation({ wrongKey: false, offset: -240, times: 4 });
    expect(text).toMatch(/first is applied, the other 3 are answered 200 as duplicates/);
    expect(text).toMatch(/4 min off, inside/);
  });
});
