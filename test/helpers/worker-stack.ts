import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from '@libsql/client';
import { Miniflare, type MiniflareOptions } from 'miniflare';
import { inject } from 'vitest';
import { ASSETS_DIR, buildWorker } from '../../scripts/lib/build';
import { ensureDataDir, migrateDatabase } from '../../scripts/lib/data-dir';
import { type MailServer, startMailServer } from '../../scripts/lib/mail-server';
import { startSqld } from '../../scripts/lib/sqld';
import { startStorageServer } from '../../scripts/lib/storage-server';
import { loadConfig } from '../../shared/config';
import { type ApiStack, freePort } from './stack';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Folder of the worker bundle built once for the whole run (test/global-setup-workerd.ts). */
    workerBundle: string;
  }
}

export interface WorkerStack extends ApiStack {
  runtime: 'workerd';
  /**
   * Restarts the worker on new bindings (over the same defaults as startWorkerStack's), against
   * the same database and storage, as a redeploy would: the new isolate reads its configuration anew.
   */
  reconfigure(bindings: Record<string, string | undefined>): Promise<void>;
}

/**
 * The worker bundle running in workerd (miniflare), against a real libSQL server (sqld) over
 * HTTP, the real S3-protocol server and the local SES server: the same black-box tests as on Node. The bundle is the
 * one built for the run (test/global-setup-workerd.ts), else `options.script`, else built here.
 */
export async function startWorkerStack(
  bindings: Record<string, string | undefined> = {},
  options: { script?: string } = {},
): Promise<WorkerStack> {
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

    let mail: MailServer | undefined = await startMailServer({ host: '127.0.0.1', port: 0 });
    const mailPort = mail.port;
    const mailUrl = mail.url;
    cleanups.push(async () => mail?.close());

    let bundleDir: string | undefined;
    try {
      bundleDir = inject('workerBundle');
    } catch {
      bundleDir = undefined;
    }
    const script = bundleDir
      ? path.join(bundleDir, 'worker.js')
      : (options.script ?? (await buildWorker(path.join(dir, 'bundle'), { assets: false })).script);
    const contents = await readFile(script, 'utf8');

    const port = await freePort();
    const defaults: Record<string, string> = {
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
      MAIL_FROM: 'Secure File Share <no-reply@localhost>',
      SES_REGION: 'us-east-1',
      SES_ENDPOINT: mailUrl,
      SES_ACCESS_KEY_ID: secrets.storageAccessKeyId,
      SES_SECRET_ACCESS_KEY: secrets.storageSecretAccessKey,
    };
    const withBindings = (overrides: Record<string, string | undefined>) => {
      const env = { ...defaults };
      // A binding given as undefined is left out, as a deployment that forgot it would.
      for (const [name, value] of Object.entries(overrides)) {
        if (value === undefined) delete env[name];
        else env[name] = value;
      }
      return env;
    };
    const env = withBindings(bindings);
    const miniflareOptions = (vars: Record<string, string>): MiniflareOptions => ({
      // The bundle is one module. Listing it (instead of letting miniflare trace imports) matters:
      // zip.js keeps an import() of a configurable codec URL that we never configure.
      modules: [{ type: 'ESModule', path: script, contents }],
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
      bindings: vars,
    });
    const mf = new Miniflare(miniflareOptions(env));
    cleanups.push(() => mf.dispose());
    const url = await mf.ready;
    const sql = createClient({ url: sqld.url });
    cleanups.push(async () => sql.close());
    return {
      runtime: 'workerd',
      apiUrl: url.origin,
      storageUrl: storage.url,
      mailUrl,
      async stopMail() {
        await mail?.close();
        mail = undefined;
      },
      async restartMail() {
        mail ??= await startMailServer({ host: '127.0.0.1', port: mailPort });
      },
      secrets,
      // For the test's convenience (public URL, bucket): the stack's own secrets, whatever the worker was given.
      config: loadConfig({ ...env, ENVIRONMENT: 'test', JWT_SECRET: secrets.jwtSecret, LINK_SECRET: secrets.linkSecret }),
      sql,
      runScheduled: async () => {
        // The Fetcher's scheduled() (workers-types), which miniflare's own typings leave out.
        const worker = (await mf.getWorker()) as unknown as { scheduled(options: { cron: string }): Promise<unknown> };
        await worker.scheduled({ cron: '*/15 * * * *' });
      },
      reconfigure: (overrides) => mf.setOptions(miniflareOptions(withBindings(overrides))),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
