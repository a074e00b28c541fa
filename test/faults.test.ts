import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeDeps, listenApi, type RunningServer } from '../runtime/node';
import { migrateDatabase } from '../scripts/lib/data-dir';
import { makeDocx } from '../scripts/lib/samples';
import { type SqldServer, startSqld } from '../scripts/lib/sqld';
import { loadConfig } from '../shared/config';
import { type ApiClient, apiClient, expectProblem } from './helpers/api';
import { opsUser, putBytes, startUpload, storageAdmin, storageKeyOf, sweepNow, uploadFile } from './helpers/files';
import { freePort, startTestStack, type TestStack, uniqueName, useStack } from './helpers/stack';

/** The real servers stopped and started again: 503s while down, a consistent state after. */

describe('with the object storage down', () => {
  let stack: TestStack;
  let api: ApiClient;
  useStack(
    () => startTestStack(),
    (s, a) => {
      stack = s;
      api = a;
    },
  );

  it('completion, health and deletion answer as they should, and everything reconciles once it is back', async () => {
    const ops = await opsUser(stack, api);
    const bytes = await makeDocx('through an outage');
    const started = await startUpload(api, ops.token, 'outage.docx', bytes);
    expect((await putBytes(started.body.upload, bytes)).status).toBe(200);
    const ready = await uploadFile(api, ops.token, 'to-delete.docx', await makeDocx('doomed'));
    const doomedKey = await storageKeyOf(stack, ready.id);

    await stack.stopStorage();
    const health = await api.request('GET', '/api/health');
    expectProblem(health, 503, 'dependency_unavailable');
    expect(health.body).toMatchObject({ checks: { database: 'ok', storage: 'unavailable' } });
    // Completion needs storage: 503, and the file stays pending, untouched.
    expectProblem(
      await api.request('POST', `/api/files/${started.body.file.id}/complete`, { token: ops.token }),
      503,
      'dependency_unavailable',
    );
    expect(
      (await api.request<{ file: { status: string } }>('GET', `/api/files/${started.body.file.id}`, { token: ops.token })).body.file.status,
    ).toBe('pending');
    // Deletion takes the row (every link dies now) and leaves the object for the sweep.
    expect((await api.request('DELETE', `/api/files/${ready.id}`, { token: ops.token })).status).toBe(204);
    // Issuing an upload URL is pure computation: it works with storage down.
    expect((await startUpload(api, ops.token, 'later.docx', bytes)).status).toBe(201);

    await stack.restartStorage();
    expect((await api.request('GET', '/api/health')).status).toBe(200);
    const completed = await api.request<{ file: { status: string } }>('POST', `/api/files/${started.body.file.id}/complete`, {
      token: ops.token,
    });
    expect(completed.status).toBe(200);
    expect(completed.body.file.status).toBe('ready');
    expect(await storageAdmin(stack).exists(doomedKey)).toBe(true);
    await sweepNow(stack);
    expect(await storageAdmin(stack).exists(doomedKey)).toBe(false);
  });
});

describe('with the database (a libSQL server) down', () => {
  let dir: string;
  let port: number;
  let sqld: SqldServer;
  let stack: TestStack;
  let server: RunningServer;
  let close: () => void;
  let api: ApiClient;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sfs-dbdown-'));
    port = await freePort();
    sqld = await startSqld({ dbPath: path.join(dir, 'db'), port });
    await migrateDatabase(sqld.url);
    stack = await startTestStack(); // for its storage server and secrets
    const deps = createNodeDeps(
      loadConfig({
        ENVIRONMENT: 'test',
        DATABASE_URL: sqld.url,
        S3_ENDPOINT: stack.storageUrl,
        S3_REGION: 'us-east-1',
        S3_ACCESS_KEY_ID: stack.secrets.storageAccessKeyId,
        S3_SECRET_ACCESS_KEY: stack.secrets.storageSecretAccessKey,
        JWT_SECRET: stack.secrets.jwtSecret,
        LINK_SECRET: stack.secrets.linkSecret,
        LOG_LEVEL: 'error',
        TRUSTED_PROXY_HEADER: 'x-forwarded-for',
      }),
    );
    close = deps.close;
    server = await listenApi(deps, '127.0.0.1', 0);
    api = apiClient(server.url);
  });
  afterAll(async () => {
    await server?.close();
    close?.();
    await sqld?.stop();
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers 503 while it is down, writes nothing, and works again once it is back', async () => {
    const before = uniqueName('before');
    await api.signup(before);
    const token = await api.login(before);

    await sqld.stop();
    const name = uniqueName('during');
    expectProblem(
      await api.request('POST', '/api/auth/signup', {
        json: { username: name, email: `${name}@example.com`, password: 'correct horse battery' },
      }),
      503,
      'dependency_unavailable',
    );
    expectProblem(await api.request('GET', '/api/me', { token }), 503, 'dependency_unavailable');
    const health = await api.request('GET', '/api/health');
    expect(health.body).toMatchObject({ checks: { database: 'unavailable', storage: 'ok' } });

    sqld = await startSqld({ dbPath: path.join(dir, 'db'), port });
    expect((await api.request('GET', '/api/me', { token })).status).toBe(200);
    expectProblem(
      await api.request('POST', '/api/auth/login', { json: { username: name, password: 'correct horse battery' } }),
      401,
      'unauthenticated',
    );
    expect((await api.signup(name)).username).toBe(name);
  });
});
