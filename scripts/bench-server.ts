/**
 * The service as `npm start` runs it (Node entry, embedded libSQL file, the S3-protocol server),
 * in its own process so the load generator does not share its CPU. Reports its URLs, and on
 * request its memory and the bytes its API sockets have read, over the IPC channel.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLocalStack } from './lib/local-stack';

const dataDir = await mkdtemp(path.join(tmpdir(), 'sfs-bench-'));
const stack = await startLocalStack({
  dataDir,
  apiPort: 0,
  storagePort: 0,
  env: { ENVIRONMENT: 'test', LOG_LEVEL: 'error', TRUSTED_PROXY_HEADER: 'x-forwarded-for', MAX_UPLOAD_BYTES: String(200 * 1024 * 1024) },
});
process.send?.({
  apiUrl: stack.apiUrl,
  storageUrl: stack.storageUrl,
  databaseUrl: stack.databaseUrl,
  secrets: stack.secrets,
  dataDir,
  bucket: stack.config.storage.bucket,
  bcryptCost: stack.config.bcryptCost,
});
process.on('message', (message) => {
  if (message === 'stats') process.send?.({ rss: process.memoryUsage().rss, apiBytesReceived: stack.apiBytesReceived() });
});
process.on('disconnect', () => {
  stack.stop().then(() => process.exit(0));
});
