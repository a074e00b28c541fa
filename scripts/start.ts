/**
 * `npm start`: the whole service on loopback with nothing to configure — data folder with
 * generated secrets, migrations, the S3-protocol server with its bucket, the local SES server
 * with its web inbox, and the API.
 *
 * Environment overrides: PORT (API, default 3000), STORAGE_PORT (default 9000), MAIL_PORT
 * (default 8005), DATA_DIR (default .data), NODE_WORKERS (API processes behind the one port, default 1),
 * SWEEP_INTERVAL_SECONDS (how often the sweep runs in this process: mail retries, expired uploads,
 * ended sessions; default 300, 0 for never), and any setting of shared/config.ts except the
 * generated secrets.
 */
import path from 'node:path';
import { createNodeDeps, PortInUseError } from '../runtime/node';
import { ConfigError } from '../shared/config';
import { describeError } from '../shared/log';
import { sweep } from '../shared/sweep';
import { PROJECT_ROOT, startClusteredStack, startLocalStack } from './lib/local-stack';

// What the service creates (the database and its -wal/-shm, stored objects, secrets) is for this
// user only, whatever the shell's umask; the database file is 0600 even without this.
process.umask(0o077);

const port = (name: string, fallback: number) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    console.error(`${name} must be a port number (0–65535), got "${raw}".`);
    process.exit(1);
  }
  return value;
};

/** NODE_WORKERS: how many API processes share the port (node:cluster); 1 runs the API in this process. */
const workers = (() => {
  const raw = process.env.NODE_WORKERS;
  if (raw === undefined || raw === '') return 1;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 256) {
    console.error(`NODE_WORKERS must be a whole number of API processes (1–256), got "${raw}".`);
    process.exit(1);
  }
  return value;
})();

/** SWEEP_INTERVAL_SECONDS: the sweep on a timer, as the cron runs it on Workers. */
const sweepSeconds = (() => {
  const raw = process.env.SWEEP_INTERVAL_SECONDS;
  if (raw === undefined || raw === '') return 300;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 86_400) {
    console.error(`SWEEP_INTERVAL_SECONDS must be a whole number of seconds (0–86400; 0: never), got "${raw}".`);
    process.exit(1);
  }
  return value;
})();

const dataDir = path.resolve(PROJECT_ROOT, process.env.DATA_DIR ?? '.data');
const {
  PORT: _port,
  STORAGE_PORT: _storagePort,
  MAIL_PORT: _mailPort,
  DATA_DIR: _dataDir,
  NODE_WORKERS: _workers,
  SWEEP_INTERVAL_SECONDS: _sweep,
  ...env
} = process.env;

try {
  const options = {
    dataDir,
    apiPort: port('PORT', 3000),
    storagePort: port('STORAGE_PORT', 9000),
    mailPort: port('MAIL_PORT', 8005),
    env: { ...env, ENVIRONMENT: env.ENVIRONMENT === 'test' ? 'test' : 'development' },
  };
  const stack = workers > 1 ? await startClusteredStack({ ...options, workers }) : await startLocalStack(options);
  const processes =
    'apiPids' in stack ? `\n  API processes   ${workers} behind one port (node:cluster; pids ${stack.apiPids().join(', ')})` : '';
  console.log(`Secure file sharing is running (data in ${path.relative(process.cwd(), dataDir) || '.'}/).

  Web portal      ${stack.apiUrl}/
  API             ${stack.apiUrl}/api
  API reference   ${stack.apiUrl}/api/docs
  Health          ${stack.apiUrl}/api/health
  Object storage  ${stack.storageUrl} (bucket "${stack.config.storage.bucket}", S3 protocol, signatures checked)
  Mail inbox      ${stack.mailUrl}/ (every message the service sends; SES v2 API, nothing leaves this machine)${processes}

Create the first ops user in another terminal:
  npm run ops:create -- --username alice --email alice@example.com

Press Ctrl+C to stop.`);
  // The sweep on a timer: mail that could not go at once is retried, and what crashes and time
  // leave behind is cleared, without anyone running `npm run sweep`.
  const sweepDeps = sweepSeconds > 0 ? createNodeDeps(stack.config) : undefined;
  let sweeping: Promise<unknown> = Promise.resolve();
  const timer = sweepDeps
    ? setInterval(() => {
        sweeping = sweep(sweepDeps).then(
          (report) => {
            if (Object.values(report).some((n) => n > 0)) sweepDeps.log('info', { event: 'sweep', ...report });
          },
          (error: unknown) => sweepDeps.log('error', { event: 'sweep_failed', error: describeError(error) }),
        );
      }, sweepSeconds * 1000)
    : undefined;
  timer?.unref();
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    await sweeping;
    sweepDeps?.close();
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (error) {
  if (error instanceof PortInUseError || error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
