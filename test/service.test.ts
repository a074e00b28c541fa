import { Agent, request as httpRequest } from 'node:http';
import { AwsClient } from 'aws4fetch';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeDeps, listenApi, type RunningServer } from '../runtime/node';
import { loadConfig } from '../shared/config';
import { type ApiClient, apiClient, expectProblem } from './helpers/api';
import { freePort, startTestStack, type TestStack, useStack } from './helpers/stack';

let stack: TestStack;
let api: ApiClient;

useStack(
  () => startTestStack(),
  (s, a) => {
    stack = s;
    api = a;
  },
);

describe('the S3-protocol server the suite runs against', () => {
  const url = () => `${stack.storageUrl}/${stack.config.storage.bucket}`;
  const client = (secretAccessKey: string) =>
    new AwsClient({ accessKeyId: stack.secrets.storageAccessKeyId, secretAccessKey, service: 's3', region: 'us-east-1' });

  it('accepts a request signed with the stack credentials (the control)', async () => {
    const res = await client(stack.secrets.storageSecretAccessKey).fetch(url(), { method: 'GET' });
    expect(res.status).toBe(200);
  });

  it('refuses a request signed with the wrong secret', async () => {
    const res = await client('wrong-secret-wrong-secret-wrong-secret').fetch(url(), { method: 'GET' });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('SignatureDoesNotMatch');
  });

  it("refuses the server's built-in default credentials", async () => {
    const res = await new AwsClient({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', service: 's3', region: 'us-east-1' }).fetch(url());
    expect(res.status).toBe(403);
  });

  it('refuses a presigned URL after its expiry', async () => {
    const aws = client(stack.secrets.storageSecretAccessKey);
    const presign = (datetime: string) => aws.sign(`${url()}?X-Amz-Expires=60`, { method: 'GET', aws: { signQuery: true, datetime } });
    const compact = (d: Date) => d.toISOString().replace(/[-:]|\.\d{3}/g, '');
    const fresh = await fetch(await presign(compact(new Date())));
    expect(fresh.status).toBe(200);
    const expired = await fetch(await presign(compact(new Date(Date.now() - 120_000))));
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('AccessDenied');
  });

  // S3 and R2 refuse a private bucket's anonymous requests; s3rver let them all through (see
  // loadConformingAuthentication). Were it still open, a code path that forgot to sign would pass
  // here and fail in production, and anyone reaching the port could list, read, overwrite and
  // delete every stored file.
  describe('refuses unsigned requests, as S3 and R2 do', () => {
    const key = `probe/unsigned-${crypto.randomUUID()}`;
    const original = new TextEncoder().encode('the stored bytes');
    const admin = () => client(stack.secrets.storageSecretAccessKey);
    const readBack = async () => {
      const res = await admin().fetch(`${url()}/${key}`);
      expect(res.status).toBe(200);
      return new Uint8Array(await res.arrayBuffer());
    };
    const expectAccessDenied = async (res: Response) => {
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/^application\/xml/);
      expect(await res.text()).toMatch(/<Error>\s*<Code>AccessDenied<\/Code>\s*<Message>Access Denied<\/Message>/);
    };

    beforeAll(async () => {
      const put = await admin().fetch(`${url()}/${key}`, { method: 'PUT', body: original });
      expect(put.status).toBe(200);
    });

    it('ListObjectsV2: 403 AccessDenied', async () => {
      await expectAccessDenied(await fetch(`${url()}?list-type=2`));
    });

    it('GET and HEAD of an existing object: 403 AccessDenied, no bytes', async () => {
      await expectAccessDenied(await fetch(`${url()}/${key}`));
      const head = await fetch(`${url()}/${key}`, { method: 'HEAD' });
      expect(head.status).toBe(403);
      expect(head.headers.get('etag')).toBeNull();
    });

    it("PUT over an existing object's key: 403 AccessDenied, the object unchanged", async () => {
      await expectAccessDenied(
        await fetch(`${url()}/${key}`, { method: 'PUT', body: 'overwritten', headers: { 'content-type': 'text/plain' } }),
      );
      expect(await readBack()).toEqual(original);
    });

    it('DELETE of an existing object: 403 AccessDenied, the object still there', async () => {
      await expectAccessDenied(await fetch(`${url()}/${key}`, { method: 'DELETE' }));
      expect(await readBack()).toEqual(original);
    });

    it('still serves presigned PUT and GET URLs, and header-signed requests (the control)', async () => {
      const presign = (target: string, method: string) => admin().sign(`${target}?X-Amz-Expires=60`, { method, aws: { signQuery: true } });
      const other = `${url()}/probe/presigned-${crypto.randomUUID()}`;
      const put = await fetch(await presign(other, 'PUT'), { method: 'PUT', body: 'by presigned PUT' });
      expect(put.status).toBe(200);
      const get = await fetch(await presign(other, 'GET'));
      expect(get.status).toBe(200);
      expect(await get.text()).toBe('by presigned PUT');
      const signed = await admin().fetch(other);
      expect(await signed.text()).toBe('by presigned PUT');
    });

    it("still answers a browser's CORS preflight, which no browser can sign", async () => {
      const preflight = await fetch(`${url()}/${key}`, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://127.0.0.1:3000',
          'access-control-request-method': 'PUT',
          'access-control-request-headers': 'content-type',
        },
      });
      expect(preflight.status).toBe(200);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
      expect(preflight.headers.get('access-control-allow-methods')).toContain('PUT');
      expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type');
    });
  });
});

describe('GET /api/health', () => {
  it('answers 200 when the database and the storage answer', async () => {
    const res = await api.request('GET', '/api/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', checks: { database: 'ok', storage: 'ok' } });
  });

  describe('with a dependency down', () => {
    const servers: RunningServer[] = [];
    const closers: Array<() => void> = [];
    afterAll(async () => {
      for (const s of servers) await s.close();
      for (const c of closers) c();
    });

    async function apiWith(overrides: Record<string, string>) {
      const config = loadConfig({
        ENVIRONMENT: 'test',
        DATABASE_URL: stack.databaseUrl,
        S3_ENDPOINT: stack.storageUrl,
        S3_REGION: 'us-east-1',
        S3_ACCESS_KEY_ID: stack.secrets.storageAccessKeyId,
        S3_SECRET_ACCESS_KEY: stack.secrets.storageSecretAccessKey,
        JWT_SECRET: stack.secrets.jwtSecret,
        LINK_SECRET: stack.secrets.linkSecret,
        ...overrides,
      });
      const deps = createNodeDeps(config);
      closers.push(deps.close);
      const server = await listenApi(deps, '127.0.0.1', 0);
      servers.push(server);
      return apiClient(server.url);
    }

    it('names the storage when it is unreachable (503)', async () => {
      const down = await apiWith({ S3_ENDPOINT: `http://127.0.0.1:${await freePort()}` });
      const res = await down.request('GET', '/api/health');
      expectProblem(res, 503, 'dependency_unavailable');
      expect(res.body).toMatchObject({ checks: { database: 'ok', storage: 'unavailable' } });
    });

    it('names the storage when it refuses our credentials (503)', async () => {
      const refused = await apiWith({ S3_SECRET_ACCESS_KEY: 'not-the-secret-not-the-secret-00' });
      const res = await refused.request('GET', '/api/health');
      expectProblem(res, 503, 'dependency_unavailable');
      expect(res.body).toMatchObject({ checks: { database: 'ok', storage: 'unavailable' } });
    });

    it('names the database when it is unreachable (503), and sign-up says 503 without writing', async () => {
      const down = await apiWith({ DATABASE_URL: `http://127.0.0.1:${await freePort()}` });
      const res = await down.request('GET', '/api/health');
      expectProblem(res, 503, 'dependency_unavailable');
      expect(res.body).toMatchObject({ checks: { database: 'unavailable', storage: 'ok' } });
      const signup = await down.request('POST', '/api/auth/signup', {
        json: { username: 'nobody-here', email: 'nobody-here@example.com', password: 'correct horse battery' },
      });
      expectProblem(signup, 503, 'dependency_unavailable');
      expect(signup.headers.get('retry-after')).toBe('5');
    });
  });
});

describe('transport and cross-origin rules', () => {
  const servers: RunningServer[] = [];
  const closers: Array<() => void> = [];
  afterAll(async () => {
    for (const s of servers) await s.close();
    for (const c of closers) c();
  });
  async function serve(env: Record<string, string>) {
    const deps = createNodeDeps(
      loadConfig({
        DATABASE_URL: stack.databaseUrl,
        S3_ENDPOINT: stack.storageUrl,
        S3_ACCESS_KEY_ID: stack.secrets.storageAccessKeyId,
        S3_SECRET_ACCESS_KEY: stack.secrets.storageSecretAccessKey,
        JWT_SECRET: stack.secrets.jwtSecret,
        LINK_SECRET: stack.secrets.linkSecret,
        LOG_LEVEL: 'error',
        ...env,
      }),
    );
    closers.push(deps.close);
    const server = await listenApi(deps, '127.0.0.1', 0);
    servers.push(server);
    return server.url;
  }

  it('sends HSTS in production, and not on the plain-http local default', async () => {
    const production = await serve({
      ENVIRONMENT: 'production',
      PUBLIC_URL: 'https://files.example.com',
      // Production needs mail settings to start; nothing here sends any.
      MAIL_FROM: 'no-reply@files.example.com',
      SES_REGION: 'eu-west-1',
      SES_ACCESS_KEY_ID: stack.secrets.storageAccessKeyId,
      SES_SECRET_ACCESS_KEY: stack.secrets.storageSecretAccessKey,
    });
    expect((await fetch(`${production}/api/health`)).headers.get('strict-transport-security')).toMatch(/max-age=\d{7,}/);
    expect((await fetch(`${stack.apiUrl}/api/health`)).headers.get('strict-transport-security')).toBeNull();
  });

  it('answers cross-origin requests only for the configured origins', async () => {
    const url = await serve({ ENVIRONMENT: 'test', CORS_ORIGINS: 'https://portal.example.com' });
    const preflight = (origin: string) =>
      fetch(`${url}/api/files`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
    const allowed = await preflight('https://portal.example.com');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://portal.example.com');
    expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    const refused = await preflight('https://evil.example');
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    // And none at all by default.
    const none = await fetch(`${stack.apiUrl}/api/files`, {
      method: 'OPTIONS',
      headers: { origin: 'https://portal.example.com', 'access-control-request-method': 'GET' },
    });
    expect(none.headers.get('access-control-allow-origin')).toBeNull();
  });
});

/** The Node server itself (on Workers the platform owns the connections). */
describe('the Node HTTP server', () => {
  it('after a 413, the next requests on the same keep-alive connection still get answers', async () => {
    // One socket at most, reused while it stays open: what a browser or an HTTP client pool does.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const send = (method: string, path: string, body?: string) =>
      new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
        const req = httpRequest(
          `${stack.apiUrl}${path}`,
          { method, agent, headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {} },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    try {
      const big = JSON.stringify({ username: 'x', email: 'x@example.com', password: 'y'.repeat(3 * 1024 * 1024) });
      const refused = await send('POST', '/api/auth/signup', big).catch((error: NodeJS.ErrnoException) => ({
        status: 0,
        connection: error.code,
      }));
      // Node answers 413 and closes; workerd's local server may reset the socket while the client is
      // still writing the refused body (a server may stop reading once it has answered).
      if (stack.runtime === 'node') expect(refused).toEqual({ status: 413, connection: 'close' });
      else expect([413, 0]).toContain(refused.status);
      // Either the body was read and the connection kept, or the server says it is closing it.
      expect((await send('GET', '/api/health')).status).toBe(200);
      expect((await send('GET', '/api/health')).status).toBe(200);
    } finally {
      agent.destroy();
    }
  });
});

describe('the embedded database connection', () => {
  it('runs every statement under the connection pragmas, however many overlap', async () => {
    const deps = createNodeDeps(stack.config);
    try {
      // Overlapping calls once opened extra connections that never saw the pragmas.
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          deps.db.all<{ synchronous: number; timeout: number }>(
            sql`select (select synchronous from pragma_synchronous) as synchronous, (select timeout from pragma_busy_timeout) as timeout`,
          ),
        ),
      );
      expect(answers.map(([row]) => row)).toEqual(Array.from({ length: 20 }, () => ({ synchronous: 1, timeout: 5000 })));
    } finally {
      deps.close();
    }
  });
});
