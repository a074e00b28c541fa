import { describe, expect, it } from 'vitest';
import { type ApiClient, expectProblem } from './helpers/api';
import { startApiStack, uniqueName, useStack } from './helpers/stack';

let api: ApiClient;

useStack(
  () => startApiStack(),
  (_stack, a) => {
    api = a;
  },
);

const from = (address: string) => ({ 'x-forwarded-for': address, 'cf-connecting-ip': address });
const login = (username: string, password: string, address: string) =>
  api.request('POST', '/api/auth/login', { json: { username, password }, headers: from(address) });

describe('login throttling, shared by every instance through the database', () => {
  it('slows an address down after five failures on one account: 429 with Retry-After, even for the right password', async () => {
    const name = uniqueName('slow');
    await api.signup(name);
    for (let i = 0; i < 5; i++) expectProblem(await login(name, 'not the password', '192.0.2.10'), 401, 'unauthenticated');
    const blocked = await login(name, 'correct horse battery', '192.0.2.10');
    expectProblem(blocked, 429, 'rate_limited');
    const retryAfter = Number(blocked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(2);
  });

  it("a stranger's failures never lock the owner out: from elsewhere the wait stays short", async () => {
    const name = uniqueName('owner');
    await api.signup(name);
    for (let i = 0; i < 30; i++) {
      const res = await login(name, 'guess', `198.51.100.${i % 3}`);
      expect([401, 429]).toContain(res.status);
    }
    const owner = await login(name, 'correct horse battery', '203.0.113.7');
    if (owner.status === 429) expect(Number(owner.headers.get('retry-after'))).toBeLessThanOrEqual(30);
    else expect(owner.status).toBe(200);
  });

  it('treats an unknown username exactly like a known one', async () => {
    const ghost = uniqueName('ghost');
    for (let i = 0; i < 5; i++) expectProblem(await login(ghost, 'whatever', '192.0.2.20'), 401, 'unauthenticated');
    expectProblem(await login(ghost, 'whatever', '192.0.2.20'), 429, 'rate_limited');
  });

  it('counts one account once, whether its username or its email is typed', async () => {
    const name = uniqueName('both');
    const user = await api.signup(name);
    // Five failures alternating the two spellings (and the email's case): the free ones, together.
    const spellings = [name, user.email, name.toUpperCase(), user.email.toUpperCase(), name];
    for (const typed of spellings) expectProblem(await login(typed, 'not the password', '192.0.2.50'), 401, 'unauthenticated');
    // The sixth, by either spelling, waits: one account, one counter.
    expectProblem(await login(user.email, 'correct horse battery', '192.0.2.50'), 429, 'rate_limited');
    expectProblem(await login(name, 'correct horse battery', '192.0.2.50'), 429, 'rate_limited');
  });

  it('a success clears the account counters', async () => {
    const name = uniqueName('clear');
    await api.signup(name);
    for (let i = 0; i < 4; i++) await login(name, 'wrong', '192.0.2.30');
    expect((await login(name, 'correct horse battery', '192.0.2.30')).status).toBe(200);
    // Counting starts again: four more failures are still free.
    for (let i = 0; i < 4; i++) expectProblem(await login(name, 'wrong', '192.0.2.30'), 401, 'unauthenticated');
  });
});

describe('IPv6 clients are counted by their /64, which one host can fill with addresses at will', () => {
  it('failures on one account from many addresses of one /64 share the per-address counter', async () => {
    const name = uniqueName('six');
    await api.signup(name);
    const net = '2001:db8:6:42';
    // Five spellings of five different addresses in the same /64.
    for (const address of [`${net}::1`, `${net}:0:0:0:2`, `${net.toUpperCase()}::A:3`, `${net}:ffff:ffff:ffff:fffe`, `[${net}::5]`]) {
      expectProblem(await login(name, 'not the password', address), 401, 'unauthenticated');
    }
    expectProblem(await login(name, 'correct horse battery', `${net}:1234:5678:9abc:def0`), 429, 'rate_limited');
    // Another /64 is another client: the account is not throttled from there.
    expect((await login(name, 'correct horse battery', '2001:db8:6:43::1')).status).toBe(200);
  });

  it('sign-ups from many addresses of one /64 share the ten an hour', async () => {
    const net = '2001:db8:7:7';
    const signupFrom = (address: string) => {
      const name = uniqueName('v6');
      return api.request('POST', '/api/auth/signup', {
        json: { username: name, email: `${name}@example.com`, password: 'correct horse battery' },
        headers: from(address),
      });
    };
    for (let i = 1; i <= 10; i++) expect((await signupFrom(`${net}::${i.toString(16)}`)).status).toBe(201);
    expectProblem(await signupFrom(`${net}:ffff:ffff:ffff:ffff`), 429, 'rate_limited');
    expect((await signupFrom('2001:db8:7:8::1')).status).toBe(201);
  });
});

describe('sign-up throttling', () => {
  it('allows ten sign-ups an hour from one address, then answers 429', async () => {
    const address = '192.0.2.40';
    for (let i = 0; i < 10; i++) {
      const name = uniqueName('many');
      const res = await api.request('POST', '/api/auth/signup', {
        json: { username: name, email: `${name}@example.com`, password: 'correct horse battery' },
        headers: from(address),
      });
      expect(res.status).toBe(201);
    }
    const name = uniqueName('many');
    const refused = await api.request('POST', '/api/auth/signup', {
      json: { username: name, email: `${name}@example.com`, password: 'correct horse battery' },
      headers: from(address),
    });
    expectProblem(refused, 429, 'rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const elsewhere = await api.signup(uniqueName('other'));
    expect(elsewhere.role).toBe('client');
  });
});
