import { mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Client, createClient } from '@libsql/client';
import { afterAll, beforeAll } from 'vitest';
import type { LocalSecrets } from '../../scripts/lib/data-dir';
import { type LocalStack, startLocalStack } from '../../scripts/lib/local-stack';
import type { Clock } from '../../shared/clock';
import type { Config } from '../../shared/config';
import { type ApiClient, apiClient } from './api';

/**
 * What a black-box test needs from the service it talks to, whichever runtime serves it: the API
 * over real HTTP, the real libSQL database and the real S3-protocol server behind it.
 */
export interface ApiStack {
  runtime: 'node' | 'workerd';
  apiUrl: string;
  storageUrl: string;
  /** The local SES server the service sends through; test/helpers/mailbox.ts reads what it got. */
  mailUrl: string;
  /** Takes the mail server down and brings it back on the same port (what it received is kept). */
  stopMail(): Promise<void>;
  restartMail(): Promise<void>;
  secrets: LocalSecrets;
  config: Config;
  /** Direct access to the same database, for arranging what no endpoint can (an ops user). */
  sql: Client;
  /** workerd only: runs the worker's cron handler once, as the platform would. */
  runScheduled?: () => Promise<void>;
  close(): Promise<void>;
}

/** The Node stack, with what only Node-side tests use (the data folder the operator tools read). */
export interface TestStack extends ApiStack, Omit<LocalStack, 'stop'> {
  runtime: 'node';
  dataDir: string;
}

/** The real stack on the runtime this test project runs (TEST_RUNTIME=workerd, or Node), with these settings. */
export async function startApiStack(env: Record<string, string> = {}): Promise<ApiStack> {
  if (process.env.TEST_RUNTIME === 'workerd') {
    const { startWorkerStack } = await import('./worker-stack');
    return startWorkerStack(env);
  }
  return startTestStack(env);
}

/** The Node stack (libSQL file, S3-protocol server, mail server, API) in a temporary folder on free ports. */
export async function startTestStack(env: Record<string, string> = {}, clock?: Clock): Promise<TestStack> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'sfs-test-'));
  const stack = await startLocalStack({
    dataDir,
    apiPort: 0,
    storagePort: 0,
    mailPort: 0,
    // Behind a "proxy": the tests say which address each request comes from (see helpers/api.ts).
    env: { ENVIRONMENT: 'test', BCRYPT_COST: '10', TRUSTED_PROXY_HEADER: 'x-forwarded-for', LOG_LEVEL: 'warn', ...env },
    clock,
  });
  const sql = createClient({ url: stack.databaseUrl });
  return {
    ...stack,
    runtime: 'node',
    dataDir,
    sql,
    async close() {
      sql.close();
      await stack.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

let counter = 0;
/** A username no other test uses: tests run in any order and in parallel. */
export const uniqueName = (prefix = 'user') =>
  `${prefix}-${process.pid.toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/**
 * Starts a stack before the enclosing suite's tests and closes it after them, handing it (and a
 * client for its API) to `bind`, so each suite keeps its own variable names.
 */
export function useStack<T extends ApiStack>(start: () => Promise<T>, bind: (stack: T, api: ApiClient) => void): void {
  let started: T | undefined;
  beforeAll(async () => {
    started = await start();
    bind(started, apiClient(started.apiUrl, { sql: started.sql }));
  });
  afterAll(() => started?.close());
}
