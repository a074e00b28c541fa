import { describe, expect, it } from 'vitest';
import { createAccessTokens } from '../shared/access-tokens';

/**
 * The issuer's own rules, with the time given explicitly: a token verified once is remembered by
 * its text, so these check that what is remembered still expires, and that nothing unverified is.
 */
const options = { secret: 'a-test-secret-that-is-long-enough-0123456789', issuer: 'iss', audience: 'aud', ttlSeconds: 900 };
const user = { id: 'u-1', role: 'client' as const };

describe('access tokens', () => {
  it('a remembered token still expires: valid to its last second, refused after, then and later', async () => {
    const tokens = createAccessTokens(options);
    const t0 = new Date(1_800_000_000_000);
    const { token } = await tokens.issue(user, 's-1', t0);
    expect(await tokens.verify(token, t0)).toMatchObject({ userId: 'u-1', role: 'client' });
    expect(await tokens.verify(token, new Date(t0.getTime() + 899_000))).toMatchObject({ userId: 'u-1' });
    expect(await tokens.verify(token, new Date(t0.getTime() + 900_001))).toBeNull();
    expect(await tokens.verify(token, new Date(t0.getTime() + 900_002))).toBeNull();
  });

  it('a token from the future (beyond the clock skew) is refused, remembered or not', async () => {
    const tokens = createAccessTokens(options);
    const t0 = new Date(1_800_000_000_000);
    const { token } = await tokens.issue(user, 's-1', t0);
    expect(await tokens.verify(token, new Date(t0.getTime() - 60_000))).toBeNull();
    expect(await tokens.verify(token, t0)).not.toBeNull();
    expect(await tokens.verify(token, new Date(t0.getTime() - 60_000))).toBeNull();
  });

  it('only the exact verified text is remembered: one changed character is verified, and refused', async () => {
    const tokens = createAccessTokens(options);
    const t0 = new Date(1_800_000_000_000);
    const { token } = await tokens.issue(user, 's-1', t0);
    expect(await tokens.verify(token, t0)).not.toBeNull();
    // A character inside the signature (the last one also carries padding bits, which decode alike).
    const at = token.length - 10;
    const changed = `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
    expect(await tokens.verify(changed, t0)).toBeNull();
    expect(await tokens.verify(`${token}.`, t0)).toBeNull();
  });

  it('another issuer instance with another secret refuses what this one remembered', async () => {
    const t0 = new Date(1_800_000_000_000);
    const a = createAccessTokens(options);
    const b = createAccessTokens({ ...options, secret: 'another-secret-that-is-also-long-enough-987' });
    const { token } = await a.issue(user, 's-1', t0);
    expect(await a.verify(token, t0)).not.toBeNull();
    expect(await b.verify(token, t0)).toBeNull();
  });

  it('stays bounded: thousands of distinct tokens, each still verified correctly', async () => {
    const tokens = createAccessTokens(options);
    const t0 = new Date(1_800_000_000_000);
    const issued = await Promise.all(Array.from({ length: 2500 }, (_, i) => tokens.issue({ id: `u-${i}`, role: 'client' }, 's-1', t0)));
    for (const [i, { token }] of issued.entries()) expect((await tokens.verify(token, t0))?.userId).toBe(`u-${i}`);
    // The first ones were evicted; verified again from scratch, they still pass.
    expect((await tokens.verify(issued[0]?.token ?? '', t0))?.userId).toBe('u-0');
  });
});
