import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from '@libsql/client';
import { Miniflare } from 'miniflare';
import { inject } from 'vitest';
import { ASSETS_DIR, buildWorker } from '../../scripts/lib/build';
import { ensureDataDir, migrateDatabase, startStorageServer } from '../../scripts/lib/local-stack';
import { startSqld } from '../../scripts/lib/sqld';
import { loadConfig } from '../../shared/config';
import { type ApiStack, freePort } from './stack';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Folder of the worker bundle built once for the whole run (test/global-setup-workerd.ts). */
    workerBundle: string;
  }
}

/**
 * The worker bundle running in workerd (miniflare), against a real libSQL server (sqld) over
 * HTTP and the real S3-protocol server: the same black-box tests as on Node.
 */
export async function startWorkerStack(bindings: Record<string, string | undefined> = {}): Promise<ApiStack> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sfs-worker-'));
  const cleanups: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const secrets = await ensureDataDir(path.join(dir, 'data'));
    const sqld = await startSqld({ dbPath: path.join(dir, 'sqld'), port: await freePort() });
    cleanups.push(() => sqld.stop());
    await migrateDatabase(sqld.url);

    const storage = await startStorageServer({
      directory: path.join(dir, 'objects'),
      host: '127.0.0.1',
      port: 0,
      bucket: 'files',
      accessKeyId: secrets.storageAccessKeyId,
      secretAccessKey: secrets.storageSecretAccessKey,
    });
    cleanups.push(() => storage.close());

    let bundleDir: string | undefined;
    try {
      bundleDir = inject('workerBundle');
    } catch {
      bundleDir = undefined;
    }
    const script = bundleDir ? path.join(bundleDir, 'worker.js') : (await buildWorker(path.join(dir, 'bundle'), { assets: false })).script;

    const port = await freePort();
    const env: Record<string, string> = {
      ENVIRONMENT: 'test',
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      JWT_SECRET: secrets.jwtSecret,
      LINK_SECRET: secrets.linkSecret,
      BCRYPT_COST: '10',
      LOG_LEVEL: 'warn',
      DATABASE_URL: sqld.url,
      S3_ENDPOINT: storage.url,
      S3_BUCKET: 'files',
      S3_REGION: 'us-east-1',
      S3_ACCESS_KEY_ID: secrets.storageAccessKeyId,
      S3_SECRET_ACCESS_KEY: secrets.storageSecretAccessKey,
    };
    // A binding given as undefined is left out, as a deployment that forgot it would.
    for (const [name, value] of Object.entries(bindings)) {
      if (value === undefined) delete env[name];
      else env[name] = value;
    }
    const mf = new Miniflare({
      // The bundle is one module. Listing it (instead of letting miniflare trace imports) matters:
      // zip.js keeps an import() of a configurable codec URL that we never configure.
      modules: [{ type: 'ESModule', path: script, contents: await readFile(script, 'utf8') }],
      modulesRoot: path.dirname(script),
      compatibilityDate: '2026-04-01',
      // As wrangler.toml: the ASSETS binding, with the worker in front of every request.
      assets: {
        directory: ASSETS_DIR,
        binding: 'ASSETS',
        routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true },
      },
      host: '127.0.0.1',
      port,
      bindings: env,
    });
    cleanups.push(() => mf.dispose());
    const url = await mf.ready;
    const sql = createClient({ url: sqld.url });
    cleanups.push(async () => sql.close());
    return {
      runtime: 'workerd',
      apiUrl: url.origin,
      storageUrl: storage.url,
      secrets,
      // For the test's convenience (public URL, bucket): the stack's own secrets, whatever the worker was given.
      config: loadConfig({ ...env, ENVIRONMENT: 'test', JWT_SECRET: secrets.jwtSecret, LINK_SECRET: secrets.linkSecret }),
      sql,
      runScheduled: async () => {
        // The Fetcher's scheduled() (workers-types), which miniflare's own typings leave out.
        const worker = (await mf.getWorker()) as unknown as { scheduled(options: { cron: string }): Promise<unknown> };
        await worker.scheduled({ cron: '*/15 * * * *' });
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
