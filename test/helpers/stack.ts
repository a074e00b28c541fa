import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, type Client } from '@libsql/client';
import { type LocalStack, startLocalStack } from '../../scripts/lib/local-stack';
import type { Clock } from '../../shared/clock';

/** The real local stack (libSQL file, S3-protocol server, API) in a temporary folder on free ports. */
export interface TestStack extends LocalStack {
  dataDir: string;
  /** Direct access to the same database file, for arranging what no endpoint can (yet). */
  sql: Client;
  close(): Promise<void>;
}

export async function startTestStack(env: Record<string, string> = {}, clock?: Clock): Promise<TestStack> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'sfs-test-'));
  const stack = await startLocalStack({
    dataDir,
    apiPort: 0,
    storagePort: 0,
    env: { ENVIRONMENT: 'test', BCRYPT_COST: '10', ...env },
    ...(clock ? { clock } : {}),
  });
  const sql = createClient({ url: stack.databaseUrl });
  return {
    ...stack,
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
