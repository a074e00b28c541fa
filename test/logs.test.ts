import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeDocx } from '../scripts/lib/samples';
import { type ApiClient, apiClient } from './helpers/api';
import { clientUser, opsUser, startUpload, storageKeyOf, uploadFile } from './helpers/files';
import { startTestStack, type TestStack } from './helpers/stack';

/** The logs of a whole journey, captured and searched for everything that must never be in them. */
let stack: TestStack;
let api: ApiClient;
const lines: string[] = [];

beforeAll(async () => {
  stack = await startTestStack({ LOG_LEVEL: 'info' });
  api = apiClient(stack.apiUrl, { sql: stack.sql });
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  });
});
afterAll(async () => {
  vi.restoreAllMocks();
  await stack?.close();
});

describe('structured logs', () => {
  it('one JSON line per request with its request id, and no password, token, presigned URL or storage key', async () => {
    const ops = await opsUser(stack, api);
    const client = await clientUser(api);
    const wrong = await api.request('POST', '/api/auth/login', {
      json: { username: client.username, password: 'a wrong password for the log' },
    });
    expect(wrong.status).toBe(401);
    const started = await startUpload(api, ops.token, 'logged.docx', await makeDocx());
    const { id } = await uploadFile(api, ops.token, 'journey.docx', await makeDocx());
    await api.request('PUT', `/api/files/${id}/sharing`, { token: ops.token, json: { allClients: false, clients: [client.username] } });
    const link = await api.request<{ downloadLink: string }>('POST', `/api/files/${id}/download-link`, { token: client.token });
    const redeemed = await fetch(link.body.downloadLink, {
      headers: { authorization: `Bearer ${client.token}`, accept: 'application/json' },
    });
    const { url } = (await redeemed.json()) as { url: string };
    const storageKey = await storageKeyOf(stack, id);
    await api.request('DELETE', `/api/files/${id}`, { token: ops.token });
    const requestId = redeemed.headers.get('x-request-id');

    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const requests = records.filter((r) => r.event === 'request');
    expect(requests.length).toBeGreaterThanOrEqual(10);
    for (const r of requests)
      expect(r).toMatchObject({
        level: 'info',
        requestId: expect.any(String),
        method: expect.any(String),
        route: expect.any(String),
        status: expect.any(Number),
      });
    expect(requests.find((r) => r.requestId === requestId)).toMatchObject({ route: '/api/download/:token', status: 200 });

    const log = lines.join('\n');
    const token = link.body.downloadLink.split('/api/download/')[1] ?? '';
    const secrets = {
      'the wrong password': 'a wrong password for the log',
      "a client's password": 'correct horse battery',
      'the ops password': 'a long ops password',
      'an access token': client.token,
      "ops' access token": ops.token,
      'the download token': token,
      'the presigned GET': url,
      'a presigned URL signature': new URL(url).searchParams.get('X-Amz-Signature') ?? 'x',
      'the presigned PUT': started.body.upload.url,
      'the storage key': storageKey,
      'the JWT secret': stack.secrets.jwtSecret,
      'the storage secret': stack.secrets.storageSecretAccessKey,
    };
    for (const [what, value] of Object.entries(secrets)) expect(log.includes(value), `${what} in the log`).toBe(false);
    expect(log).not.toMatch(/\$2[aby]\$\d\d\$/);
  });
});
