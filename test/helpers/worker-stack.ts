import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Miniflare } from 'miniflare';
import { ensureDataDir, migrateDatabase, PROJECT_ROOT, startStorageServer } from '../../scripts/lib/local-stack';
import { startSqld } from '../../scripts/lib/sqld';
import { freePort } from './stack';

/**
 * The worker exactly as `wrangler deploy` bundles it, running in workerd (miniflare), against a
 * real libSQL server (sqld) over HTTP and the real S3-protocol server.
 */
export interface WorkerStack {
  apiUrl: string;
  /** The sqld server the worker uses, for arranging what no endpoint can (an ops user). */
  databaseUrl: string;
  secrets: Awaited<ReturnType<typeof ensureDataDir>>;
  close(): Promise<void>;
}

export async function startWorkerStack(): Promise<WorkerStack> {
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

    const outdir = path.join(dir, 'bundle');
    await promisify(execFile)(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'wrangler'), ['deploy', '--dry-run', '--outdir', outdir], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_LOG_PATH: path.join(dir, 'wrangler-logs') },
    });

    const port = await freePort();
    const mf = new Miniflare({
      // The bundle is one module. Listing it (instead of letting miniflare trace imports) matters:
      // zip.js keeps an import() of a configurable codec URL that we never configure.
      modules: [{ type: 'ESModule', path: path.join(outdir, 'worker.js'), contents: await readFile(path.join(outdir, 'worker.js'), 'utf8') }],
      modulesRoot: outdir,
      compatibilityDate: '2026-04-01',
      host: '127.0.0.1',
      port,
      bindings: {
        ENVIRONMENT: 'test',
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        JWT_SECRET: secrets.jwtSecret,
        LINK_SECRET: secrets.linkSecret,
        BCRYPT_COST: '10',
        DATABASE_URL: sqld.url,
        S3_ENDPOINT: storage.url,
        S3_BUCKET: 'files',
        S3_REGION: 'us-east-1',
        S3_ACCESS_KEY_ID: secrets.storageAccessKeyId,
        S3_SECRET_ACCESS_KEY: secrets.storageSecretAccessKey,
      },
    });
    cleanups.push(() => mf.dispose());
    const url = await mf.ready;
    return { apiUrl: url.origin, databaseUrl: sqld.url, secrets, close };
  } catch (error) {
    await close();
    throw error;
  }
}
