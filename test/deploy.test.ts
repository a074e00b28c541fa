import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_BUDGET_BYTES, buildWorker } from '../scripts/lib/build';
import { makeDocx } from '../scripts/lib/samples';
import { type SqldServer, startSqld } from '../scripts/lib/sqld';
import { apiClient } from './helpers/api';
import { opsUser, putBytes, startUpload, storageAdmin, storageKeyOf } from './helpers/files';
import { runScript } from './helpers/run-script';
import { freePort } from './helpers/stack';
import { startWorkerStack, type WorkerStack } from './helpers/worker-stack';

/**
 * The production deployment's contract: the bundle, its configuration checks, its cron, migrations.
 * One bundle and one workerd stack serve the file; each configuration the worker refuses is
 * checked in-process in config.test.ts, and one of them here, in the real runtime.
 */

let buildDir: string;
let built: ReturnType<typeof buildWorker> | undefined;
/** The bundle as `npm run build` makes it, built once for the file. */
const bundle = () => {
  built ??= buildWorker(path.join(buildDir, 'worker'), { assets: false });
  return built;
};
beforeAll(async () => {
  buildDir = await mkdtemp(path.join(tmpdir(), 'sfs-build-'));
});
afterAll(async () => {
  await built?.catch(() => undefined);
  await rm(buildDir, { recursive: true, force: true });
});

describe('npm run build', () => {
  it('bundles the worker offline within its gzip budget', async () => {
    const { bytes, gzipBytes } = await bundle();
    expect(bytes).toBeGreaterThan(100_000);
    expect(gzipBytes).toBeLessThanOrEqual(BUNDLE_BUDGET_BYTES);
  });
});

describe('the worker in workerd', () => {
  let stack: WorkerStack;
  beforeAll(async () => {
    stack = await startWorkerStack({}, { script: (await bundle()).script });
  });
  afterAll(() => stack?.close());

  it('runs the sweep on its cron trigger: an expired pending upload and its object are removed', async () => {
    const api = apiClient(stack.apiUrl, { sql: stack.sql });
    const ops = await opsUser(stack, api);
    const bytes = await makeDocx();
    const started = await startUpload(api, ops.token, 'expired.docx', bytes);
    expect((await putBytes(started.body.upload, bytes)).status).toBe(200);
    const key = await storageKeyOf(stack, started.body.file.id);
    await stack.sql.execute({
      sql: 'update files set upload_expires_at = ? where id = ?',
      args: [Date.now() - 3_600_000, started.body.file.id],
    });

    await stack.runScheduled?.();
    await expect.poll(async () => storageAdmin(stack).exists(key), { timeout: 10_000 }).toBe(false);
    const rows = await stack.sql.execute({ sql: 'select count(*) as n from files where id = ?', args: [started.body.file.id] });
    expect(rows.rows[0]?.n).toBe(0);
  });

  const strong = 'Zq8vN3kLp0Xw7RtY2bHc5MdJ9fGs4Ue1aK6pW0rT3yQ8zL5x';
  it('in production mode refuses a well-known JWT secret: every request gets 503 misconfigured, and the log says why without the value', async () => {
    const bindings: Record<string, string | undefined> = { JWT_SECRET: 'changeme-changeme-changeme-changeme-changeme' };
    const problem = 'JWT_SECRET is a well-known placeholder, not a secret';
    const logged: string[] = [];
    const original = console.error;
    // Miniflare relays the worker's console to this process.
    console.error = (...args: unknown[]) => logged.push(args.map(String).join(' '));
    try {
      // ENVIRONMENT left unset: the worker must assume production.
      await stack.reconfigure({ ENVIRONMENT: undefined, JWT_SECRET: strong, LINK_SECRET: `${strong}-link`, ...bindings });
      for (const route of ['/api/health', '/api/auth/login']) {
        const res = await fetch(`${stack.apiUrl}${route}`);
        expect(res.status).toBe(503);
        const body = (await res.json()) as { code: string; detail: string };
        expect(body.code).toBe('misconfigured');
        for (const value of Object.values(bindings)) if (value) expect(JSON.stringify(body)).not.toContain(value);
      }
    } finally {
      console.error = original;
      // Back to the stack's own configuration, whichever test runs next.
      await stack.reconfigure({});
    }
    const log = logged.join('\n');
    expect(log).toContain(problem);
    for (const value of Object.values(bindings)) if (value) expect(log).not.toContain(value);
  });
});

describe('npm run db:migrate', () => {
  let sqld: SqldServer;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sfs-migrate-'));
    sqld = await startSqld({ dbPath: path.join(dir, 'db'), port: await freePort() });
  });
  afterAll(async () => {
    await sqld?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('applies every migration to a libSQL server, then finds nothing to do', async () => {
    const first = await runScript('db-migrate.ts', [], { env: { DATABASE_URL: sqld.url } });
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(/^Applied [1-9]\d* migration\(s\) to http:\/\/127\.0\.0\.1:\d+\.$/m);
    const client = createClient({ url: sqld.url });
    try {
      const tables = await client.execute("select name from sqlite_master where type = 'table' order by name");
      expect(tables.rows.map((r) => r.name)).toEqual(expect.arrayContaining(['users', 'files', 'file_grants', 'downloads']));
    } finally {
      client.close();
    }
    const second = await runScript('db-migrate.ts', [], { env: { DATABASE_URL: sqld.url } });
    expect(second.stdout).toMatch(/is up to date/);
  });

  it('says in one line when the database cannot be reached', async () => {
    const result = await runScript('db-migrate.ts', [], { env: { DATABASE_URL: `http://127.0.0.1:${await freePort()}` } });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^Could not migrate/);
  });
});
