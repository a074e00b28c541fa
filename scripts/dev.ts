/**
 * `npm run dev`: the worker itself, in workerd through `wrangler dev`, against the local
 * services: the same data folder, generated secrets, S3-protocol server and mail server as
 * `npm start`, and a libSQL server (sqld), since workerd speaks to libSQL over HTTP as it does to
 * Turso. Use it instead of `npm start` (both use the storage and mail ports) to try the exact
 * code that deploys.
 *
 * Environment overrides: PORT (default 8787), STORAGE_PORT (9000), MAIL_PORT (8005), DEV_DB_PORT (9001), DATA_DIR.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PortInUseError } from '../runtime/node';
import { buildAssets } from './lib/build';
import { ensureDataDir, migrateDatabase } from './lib/data-dir';
import { LOOPBACK, localEnv, PROJECT_ROOT } from './lib/local-stack';
import { startMailServer } from './lib/mail-server';
import { startSqld } from './lib/sqld';
import { startStorageServer } from './lib/storage-server';

const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const dataDir = path.resolve(PROJECT_ROOT, process.env.DATA_DIR ?? '.data');
const apiPort = port('PORT', 8787);

try {
  const secrets = await ensureDataDir(dataDir);
  const sqld = await startSqld({ dbPath: path.join(dataDir, 'sqld'), port: port('DEV_DB_PORT', 9001) });
  await migrateDatabase(sqld.url);
  const storage = await startStorageServer({
    directory: path.join(dataDir, 'objects'),
    host: LOOPBACK,
    port: port('STORAGE_PORT', 9000),
    bucket: 'files',
    accessKeyId: secrets.storageAccessKeyId,
    secretAccessKey: secrets.storageSecretAccessKey,
  });
  const mail = await startMailServer({ host: LOOPBACK, port: port('MAIL_PORT', 8005) });
  await buildAssets();

  // Secrets go to wrangler in a file inside the data folder (mode 0600), never on a command line.
  const envFile = path.join(dataDir, 'dev.vars');
  // What `npm start` configures, but the database is the libSQL server.
  const vars: Record<string, string> = {
    ...localEnv({ dataDir, secrets, storageUrl: storage.url, mailUrl: mail.url, apiPort }),
    DATABASE_URL: sqld.url,
  };
  await writeFile(
    envFile,
    `${Object.entries(vars)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join('\n')}\n`,
    { mode: 0o600 },
  );

  const wrangler = spawn(
    path.join(PROJECT_ROOT, 'node_modules', '.bin', 'wrangler'),
    ['dev', '--local', '--ip', LOOPBACK, '--port', String(apiPort), '--env-file', envFile, '--persist-to', path.join(dataDir, 'wrangler')],
    { cwd: PROJECT_ROOT, stdio: 'inherit', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
  );
  console.log(
    `Local services: libSQL ${sqld.url}, object storage ${storage.url}, mail inbox ${mail.inboxUrl}. The worker starts on http://${LOOPBACK}:${apiPort}/api`,
  );
  const stop = async () => {
    wrangler.kill('SIGTERM');
    await storage.close();
    await mail.close();
    await sqld.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  wrangler.on('exit', async (code) => {
    await storage.close();
    await mail.close();
    await sqld.stop();
    process.exit(code ?? 0);
  });
} catch (error) {
  if (error instanceof PortInUseError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
