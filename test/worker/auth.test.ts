import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, expectProblem, type ApiClient } from '../helpers/api';
import { uniqueName } from '../helpers/stack';
import { startWorkerStack, type WorkerStack } from '../helpers/worker-stack';

/** The same black-box checks, against the worker bundle running in workerd. */
let stack: WorkerStack;
let api: ApiClient;

beforeAll(async () => {
  stack = await startWorkerStack();
  api = apiClient(stack.apiUrl);
});
afterAll(() => stack?.close());

describe('in workerd: sign-up, login, me, logout', () => {
  it('signs up a client, signs in by email, reads me, and logout revokes the token', async () => {
    const name = uniqueName('Edge');
    const signup = await api.request('POST', '/api/auth/signup', {
      json: { username: name, email: `${name}@Example.com`, password: 'correct horse battery' },
    });
    expect(signup.status).toBe(201);
    expect(signup.body).toMatchObject({ user: { username: name.toLowerCase(), role: 'client' } });

    const token = await api.login(`${name.toLowerCase()}@example.com`);
    const me = await api.request('GET', '/api/me', { token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ user: { username: name.toLowerCase(), email: `${name.toLowerCase()}@example.com`, role: 'client' } });

    expect((await api.request('POST', '/api/auth/logout', { token })).status).toBe(204);
    expectProblem(await api.request('GET', '/api/me', { token }), 401, 'unauthenticated');
  });

  it('refuses duplicates (the libSQL server enforces uniqueness), bad passwords and a role field', async () => {
    const name = uniqueName('edgedup');
    await api.signup(name);
    expectProblem(
      await api.request('POST', '/api/auth/signup', { json: { username: name.toUpperCase(), email: `x-${name}@example.com`, password: 'correct horse battery' } }),
      409,
      'username_taken',
    );
    expectProblem(
      await api.request('POST', '/api/auth/signup', { json: { username: uniqueName('e'), email: `${name}@example.com`, password: 'é'.repeat(36) + 'a' } }),
      400,
      'validation_failed',
    );
    expectProblem(
      await api.request('POST', '/api/auth/signup', { json: { username: uniqueName('e'), email: `r-${name}@example.com`, password: 'correct horse battery', role: 'ops' } }),
      400,
      'validation_failed',
    );
  });

  it('answers unknown user and wrong password identically', async () => {
    const name = uniqueName('edgewho');
    await api.signup(name);
    const wrong = await api.request('POST', '/api/auth/login', { json: { username: name, password: 'not the password' } });
    const unknown = await api.request('POST', '/api/auth/login', { json: { username: uniqueName('ghost'), password: 'not the password' } });
    expectProblem(wrong, 401, 'unauthenticated');
    expect(wrong.text).toBe(unknown.text);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('reports both dependencies healthy and keeps the error model', async () => {
    const health = await api.request('GET', '/api/health');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok', checks: { database: 'ok', storage: 'ok' } });
    expectProblem(await api.request('POST', '/api/auth/login', { body: '{oops', headers: { 'content-type': 'application/json' } }), 400, 'malformed_json');
    expectProblem(await api.request('GET', '/api/nope'), 404, 'not_found');
    expectProblem(await api.request('GET', '/api/me'), 401, 'unauthenticated');
  });
});
