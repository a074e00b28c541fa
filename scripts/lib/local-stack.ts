import cluster, { type Worker } from 'node:cluster';
import { type AddressInfo, createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertPortFree, createNodeDeps, listenApi, PortInUseError } from '../../runtime/node';
import type { Clock } from '../../shared/clock';
import { type Config, loadConfig } from '../../shared/config';
import { ensureDataDir, type LocalSecrets, migrateDatabase } from './data-dir';
import { type MailServer, startMailServer } from './mail-server';
import { startStorageServer } from './storage-server';

/**
 * The local default: everything `npm start` needs, on loopback, with nothing to configure.
 * Also used by the tests to start the same stack in a temporary folder on free ports.
 */

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const LOOPBACK = '127.0.0.1';

const pick = (record: Record<string, string>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, record[k] as string]));

/** The configuration of the local default, given its secrets and where its servers listen. */
export function localEnv(options: {
  dataDir: string;
  secrets: LocalSecrets;
  storageUrl: string;
  mailUrl: string;
  apiPort: number;
  bucket?: string;
}): Record<string, string> {
  return {
    ENVIRONMENT: 'development',
    PUBLIC_URL: `http://${LOOPBACK}:${options.apiPort}`,
    DATABASE_URL: `file:${path.join(options.dataDir, 'app.db')}`,
    S3_ENDPOINT: options.storageUrl,
    S3_BUCKET: options.bucket ?? 'files',
    S3_REGION: 'us-east-1',
    S3_ACCESS_KEY_ID: options.secrets.storageAccessKeyId,
    S3_SECRET_ACCESS_KEY: options.secrets.storageSecretAccessKey,
    JWT_SECRET: options.secrets.jwtSecret,
    LINK_SECRET: options.secrets.linkSecret,
    MAIL_FROM: 'Secure File Share <no-reply@localhost>',
    SES_ENDPOINT: options.mailUrl,
    SES_REGION: 'us-east-1',
    // The local mail server checks that a request is signed, not with which key: the storage
    // credentials, generated with the data folder, serve rather than a second pair to keep.
    SES_ACCESS_KEY_ID: options.secrets.storageAccessKeyId,
    SES_SECRET_ACCESS_KEY: options.secrets.storageSecretAccessKey,
  };
}

/** The local configuration with the caller's overrides, except that what the stack owns is kept. */
function stackEnv(local: Parameters<typeof localEnv>[0], extra: Record<string, string | undefined> | undefined) {
  const own = localEnv(local);
  return {
    ...own,
    ...extra,
    ...pick(own, [
      'DATABASE_URL',
      'S3_ENDPOINT',
      'S3_BUCKET',
      'S3_REGION',
      'S3_ACCESS_KEY_ID',
      'S3_SECRET_ACCESS_KEY',
      'JWT_SECRET',
      'LINK_SECRET',
      'SES_ENDPOINT',
      'SES_REGION',
      'SES_ACCESS_KEY_ID',
      'SES_SECRET_ACCESS_KEY',
    ]),
  };
}

export interface LocalStackOptions {
  dataDir: string;
  apiPort: number;
  storagePort: number;
  mailPort: number;
  /** Extra configuration (e.g. BCRYPT_COST, ACCESS_TOKEN_TTL_SECONDS); secrets are generated. */
  env?: Record<string, string | undefined>;
  /** Tests move time with this instead of sleeping. */
  clock?: Clock;
}

export interface LocalStack {
  config: Config;
  apiUrl: string;
  storageUrl: string;
  /** The local SES server the API sends through; a person reads its web inbox at `mailUrl/`. */
  mailUrl: string;
  secrets: LocalSecrets;
  databaseUrl: string;
  /** Bytes the API process has read from its clients so far. */
  apiBytesReceived(): number;
  /** Takes the storage server down and brings it back on the same port: for fault tests. */
  stopStorage(): Promise<void>;
  restartStorage(): Promise<void>;
  /** The same for the mail server (its messages are kept: they live in this process). */
  stopMail(): Promise<void>;
  restartMail(): Promise<void>;
  /** Stops the API once the work it left running after its responses (mail delivery) is done. */
  stop(): Promise<void>;
}

/**
 * What every local stack does first, whether one process serves the API or several: the data
 * folder and its secrets, the migrations, a check that the API port is free, where the storage
 * server keeps its objects and which credentials it accepts, and where the mail server listens.
 */
async function prepareLocalStack(options: LocalStackOptions) {
  const dataDir = path.resolve(options.dataDir);
  const secrets = await ensureDataDir(dataDir);
  const databaseUrl = `file:${path.join(dataDir, 'app.db')}`;
  await migrateDatabase(databaseUrl);
  await assertPortFree(LOOPBACK, options.apiPort, 'API');
  const bucket = options.env?.S3_BUCKET ?? 'files';
  const storageOptions = {
    directory: path.join(dataDir, 'objects'),
    host: LOOPBACK,
    port: options.storagePort,
    bucket,
    accessKeyId: secrets.storageAccessKeyId,
    secretAccessKey: secrets.storageSecretAccessKey,
  };
  return { dataDir, secrets, databaseUrl, bucket, storageOptions, mailOptions: { host: LOOPBACK, port: options.mailPort } };
}

/** Starts the storage and mail servers; if one cannot start, the other is stopped again. */
async function startServices(storageOptions: Parameters<typeof startStorageServer>[0], mailOptions: Parameters<typeof startMailServer>[0]) {
  const storage = await startStorageServer(storageOptions);
  let mail: MailServer;
  try {
    mail = await startMailServer(mailOptions);
  } catch (error) {
    await storage.close();
    throw error;
  }
  return { storage, mail };
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const { dataDir, secrets, databaseUrl, bucket, storageOptions, mailOptions } = await prepareLocalStack(options);
  const services = await startServices(storageOptions, mailOptions);
  let { storage, mail } = services;
  let storageUp = true;
  let mailUp = true;
  try {
    const env = stackEnv({ dataDir, secrets, storageUrl: storage.url, mailUrl: mail.url, apiPort: options.apiPort, bucket }, options.env);
    let config = loadConfig(env);
    let deps = createNodeDeps(config, options.clock);
    let api = await listenApi(deps, LOOPBACK, options.apiPort);
    if (options.apiPort === 0 && !options.env?.PUBLIC_URL) {
      // A free port was picked: the public URL can only be known now.
      await api.close();
      deps.close();
      config = loadConfig({ ...env, PUBLIC_URL: `http://${LOOPBACK}:${api.port}` });
      deps = createNodeDeps(config, options.clock);
      api = await listenApi(deps, LOOPBACK, api.port);
    }
    const running = { api, deps };
    return {
      config,
      apiUrl: api.url,
      storageUrl: storage.url,
      mailUrl: mail.url,
      secrets,
      databaseUrl,
      apiBytesReceived: () => running.api.bytesReceived?.() ?? 0,
      async stopStorage() {
        if (storageUp) await storage.close();
        storageUp = false;
      },
      async restartStorage() {
        if (!storageUp) storage = await startStorageServer({ ...storageOptions, port: storage.port });
        storageUp = true;
      },
      async stopMail() {
        if (mailUp) await mail.close();
        mailUp = false;
      },
      async restartMail() {
        if (!mailUp) mail = await startMailServer({ ...mailOptions, port: mail.port });
        mailUp = true;
      },
      async stop() {
        await running.api.close();
        // Mail a request handed over for after its response goes out (or stays queued) first.
        await running.deps.settled();
        running.deps.close();
        if (storageUp) await storage.close();
        if (mailUp) await mail.close();
      },
    };
  } catch (error) {
    await storage.close();
    await mail.close();
    throw error;
  }
}

/** What an API process answers about itself (the benchmark's witness that each one served). */
export interface ApiProcessStats {
  pid: number;
  rss: number;
  bytesReceived: number;
}

export interface ClusteredStack
  extends Omit<LocalStack, 'apiBytesReceived' | 'stopStorage' | 'restartStorage' | 'stopMail' | 'restartMail'> {
  /** The API processes' ids, in the order they started. */
  apiPids(): number[];
  apiStats(): Promise<ApiProcessStats[]>;
}

/** The messages between the primary and an API process (scripts/lib/api-process.ts). */
export type ToApiProcess =
  | { type: 'start'; env: Record<string, string | undefined>; host: string; port: number }
  | { type: 'stats' }
  | { type: 'stop' };
export type FromApiProcess =
  | { type: 'hello' }
  | { type: 'listening'; port: number }
  | { type: 'failed'; message: string; portInUse: boolean }
  | ({ type: 'stats' } & ApiProcessStats);

const API_PROCESS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'api-process.ts');

/** A free port on loopback, for when the API processes must all know it (its public URL) before listening. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, LOOPBACK, () => resolve());
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * The local default with `workers` API processes behind one port (node:cluster, which hands each
 * new connection to the next process). This process, the primary, prepares the data folder, runs
 * the migrations and the storage and mail servers once; each API process builds its own dependencies
 * (its own database connections) and serves the same app. The functions keep no state between
 * requests, so any process may answer any request.
 */
export async function startClusteredStack(options: LocalStackOptions & { workers: number }): Promise<ClusteredStack> {
  if (options.clock) throw new Error('A clock cannot be shared with other processes.');
  const { dataDir, secrets, databaseUrl, bucket, storageOptions, mailOptions } = await prepareLocalStack(options);
  const apiPort = options.apiPort === 0 ? await freePort() : options.apiPort;
  const { storage, mail } = await startServices(storageOptions, mailOptions);
  const workers: Worker[] = [];
  let stopping = false;
  const stopWorkers = () =>
    Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            const kill = setTimeout(() => worker.kill('SIGKILL'), 5000);
            worker.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            if (worker.isConnected()) worker.send({ type: 'stop' } satisfies ToApiProcess);
            else worker.kill('SIGTERM');
          }),
      ),
    );
  try {
    const env = stackEnv({ dataDir, secrets, storageUrl: storage.url, mailUrl: mail.url, apiPort, bucket }, options.env);
    const config = loadConfig(env); // a configuration error is reported once, here
    cluster.setupPrimary({ exec: API_PROCESS, execArgv: process.execArgv });
    const started = (worker: Worker) =>
      new Promise<void>((resolve, reject) => {
        const exited = (code: number | null, signal: string | null) =>
          reject(new Error(`API process ${worker.process.pid} exited (${signal ?? code}) before listening.`));
        worker.once('exit', exited);
        worker.on('message', (message: FromApiProcess) => {
          if (message.type === 'hello') worker.send({ type: 'start', env, host: LOOPBACK, port: apiPort } satisfies ToApiProcess);
          else if (message.type === 'listening') {
            worker.off('exit', exited);
            resolve();
          } else if (message.type === 'failed') {
            worker.off('exit', exited);
            reject(message.portInUse ? new PortInUseError(LOOPBACK, apiPort, 'API') : new Error(message.message));
          }
        });
      });
    for (let i = 0; i < options.workers; i++) workers.push(cluster.fork());
    await Promise.all(workers.map(started));
    for (const worker of workers)
      worker.on('exit', (code, signal) => {
        if (stopping) return;
        const left = workers.filter((w) => !w.isDead()).length;
        console.error(`API process ${worker.process.pid} exited (${signal ?? code}); ${left} of ${options.workers} left.`);
      });
    const apiUrl = `http://${LOOPBACK}:${apiPort}`;
    return {
      config,
      apiUrl,
      storageUrl: storage.url,
      mailUrl: mail.url,
      secrets,
      databaseUrl,
      apiPids: () => workers.map((w) => w.process.pid ?? 0),
      apiStats: () =>
        Promise.all(
          workers
            .filter((w) => !w.isDead())
            .map(
              (worker) =>
                new Promise<ApiProcessStats>((resolve) => {
                  const reply = (message: FromApiProcess) => {
                    if (message.type !== 'stats') return;
                    worker.off('message', reply);
                    resolve({ pid: message.pid, rss: message.rss, bytesReceived: message.bytesReceived });
                  };
                  worker.on('message', reply);
                  worker.send({ type: 'stats' } satisfies ToApiProcess);
                }),
            ),
        ),
      async stop() {
        stopping = true;
        await stopWorkers();
        await storage.close();
        await mail.close();
      },
    };
  } catch (error) {
    stopping = true;
    await stopWorkers();
    await storage.close();
    await mail.close();
    throw error;
  }
}
