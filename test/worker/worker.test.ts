import { createClient } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDocx, makeDocm, makePdf } from '../../scripts/lib/samples';
import { createDatabase } from '../../shared/db/client';
import { createPasswordHasher } from '../../shared/passwords';
import { createUser } from '../../shared/users';
import { apiClient, expectProblem, type ApiClient } from '../helpers/api';
import { clientUser, uploadFile } from '../helpers/files';
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

describe('in workerd: upload, verification, sharing, listing', () => {
  it('takes a .docx to ready, rejects a renamed PDF and a macro document, and shows the client only what was shared', async () => {
    const username = uniqueName('edgeops');
    const sql = createClient({ url: stack.databaseUrl });
    try {
      await createUser(createDatabase(sql), {
        username,
        email: `${username}@example.com`,
        passwordHash: await createPasswordHasher(10).hash('a long ops password'),
        role: 'ops',
        now: new Date(),
      });
    } finally {
      sql.close();
    }
    const opsToken = await api.login(username, 'a long ops password');

    const goodBytes = await makeDocx();
    const good = { ...(await uploadFile(api, opsToken, 'edge.docx', goodBytes)), bytes: goodBytes };
    expect(good.complete.status).toBe(200);
    expect(good.complete.body).toMatchObject({ file: { status: 'ready' } });
    for (const [name, bytes, reason] of [['edge-pdf.docx', makePdf(), /not a ZIP/], ['edge-macro.docx', await makeDocm(), /Macro/]] as const) {
      const bad = await uploadFile(api, opsToken, name, bytes);
      expectProblem(bad.complete, 422, 'invalid_file_content');
      expect((bad.complete.body as { detail: string }).detail).toMatch(reason);
    }

    const client = await clientUser(api);
    expect((await api.request<{ items: unknown[] }>('GET', '/api/files', { token: client.token })).body.items).toEqual([]);
    const shared = await api.request('PUT', `/api/files/${good.id}/sharing`, { token: opsToken, json: { allClients: false, clients: [client.username] } });
    expect(shared.status).toBe(200);
    const listed = await api.request<{ items: Array<{ id: string }> }>('GET', '/api/files', { token: client.token });
    expect(listed.body.items.map((f) => f.id)).toEqual([good.id]);

    // The encrypted link, redeemed in workerd, leads to the same bytes in storage.
    const link = await api.request<{ downloadLink: string }>('POST', `/api/files/${good.id}/download-link`, { token: client.token });
    expect(link.status).toBe(200);
    const redeemed = await fetch(link.body.downloadLink, { headers: { authorization: `Bearer ${client.token}`, accept: 'application/json' } });
    expect(redeemed.status).toBe(200);
    const { url } = (await redeemed.json()) as { url: string };
    expect(new Uint8Array(await (await fetch(url)).arrayBuffer())).toEqual(good.bytes);
    expectProblem(await api.request('GET', `/api/download/${link.body.downloadLink.split('/api/download/')[1]}`, { token: opsToken }), 403, 'forbidden');
    const audit = await api.request<{ items: unknown[] }>('GET', `/api/files/${good.id}/downloads`, { token: opsToken });
    expect(audit.body.items).toHaveLength(1);
    expectProblem(await api.request('DELETE', `/api/files/${good.id}`, { token: client.token }), 403, 'forbidden');
    expect((await api.request('DELETE', `/api/files/${good.id}`, { token: opsToken })).status).toBe(204);
    expectProblem(await api.request('GET', `/api/files/${good.id}`, { token: client.token }), 404, 'not_found');
  });
});
