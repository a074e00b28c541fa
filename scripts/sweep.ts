/**
 * `npm run sweep [-- --orphan-age SECONDS]`: sends the mail that is due in the outbox, removes
 * pending uploads past their expiry, files past their own end, grants past theirs, and stored
 * objects no file owns that are older than --orphan-age (default an hour).
 * Idempotent; the Workers deployment runs the same code on a cron trigger.
 *
 * Locally it uses the data folder of `npm start` (DATA_DIR, default .data), the storage server
 * on STORAGE_PORT (default 9000) and the mail server on MAIL_PORT (default 8005), which must be
 * running. Elsewhere, set DATABASE_URL,
 * S3_* and the secrets as for the service.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createNodeDeps } from '../runtime/node';
import { loadConfig } from '../shared/config';
import { describeError } from '../shared/log';
import { sweep } from '../shared/sweep';
import { ensureDataDir } from './lib/data-dir';
import { LOOPBACK, localEnv, PROJECT_ROOT } from './lib/local-stack';

let env: Record<string, string | undefined> = process.env;
if (!process.env.DATABASE_URL) {
  const dataDir = path.resolve(PROJECT_ROOT, process.env.DATA_DIR ?? '.data');
  const secrets = await ensureDataDir(dataDir);
  env = {
    ...localEnv({
      dataDir,
      secrets,
      storageUrl: `http://${LOOPBACK}:${process.env.STORAGE_PORT ?? 9000}`,
      mailUrl: `http://${LOOPBACK}:${process.env.MAIL_PORT ?? 8005}`,
      apiPort: 3000,
    }),
    ...process.env,
  };
}

const { values } = parseArgs({ options: { 'orphan-age': { type: 'string', default: '3600' } } });
const orphanAgeSeconds = Number(values['orphan-age']);
if (!Number.isInteger(orphanAgeSeconds) || orphanAgeSeconds < 0) {
  console.error('--orphan-age takes a whole number of seconds: objects no file owns are deleted once they are that old.');
  process.exit(1);
}

const deps = createNodeDeps(loadConfig(env));
try {
  const report = await sweep(deps, { orphanAgeSeconds });
  console.log(`Swept ${report.expiredUploads} expired pending upload(s) and ${report.orphanObjects} orphaned object(s).`);
  console.log(`Deleted ${report.expiredFiles} file(s) past their end; removed ${report.endedGrants} ended grant(s).`);
  console.log(
    `Sent ${report.mailSent} queued message(s)${report.mailFailed > 0 ? `; ${report.mailFailed} failed and will be tried again later` : ''}.`,
  );
} catch (error) {
  const { chain, message } = describeError(error);
  console.error(
    `Sweep failed (${chain.map((c) => c.code ?? c.name).join(' < ')}${message ? `: ${message}` : ''}); run it again once the database and storage answer.`,
  );
  process.exitCode = 1;
} finally {
  deps.close();
}
