/**
 * The service as `npm start` runs it (Node entry, embedded libSQL file, the S3-protocol server),
 * in its own process so the load generator does not share its CPU. Reports its URLs and the ids
 * of the processes that serve the API, and on request their memory and the bytes their API
 * sockets have read, over the IPC channel.
 *
 * BENCH_PROCESSES=N (default 1) runs it as `NODE_WORKERS=N npm start` does: this process
 * prepares the data folder and runs the storage server, N node:cluster processes serve the API.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startClusteredStack, startLocalStack } from './lib/local-stack';

const processes = Number(process.env.BENCH_PROCESSES ?? 1);
const dataDir = await mkdtemp(path.join(tmpdir(), 'sfs-bench-'));
const options = {
  dataDir,
  apiPort: 0,
  storagePort: 0,
  mailPort: 0,
  env: { ENVIRONMENT: 'test', LOG_LEVEL: 'error', TRUSTED_PROXY_HEADER: 'x-forwarded-for', MAX_UPLOAD_BYTES: String(200 * 1024 * 1024) },
};
const stack = processes > 1 ? await startClusteredStack({ ...options, workers: processes }) : await startLocalStack(options);
process.send?.({
  apiUrl: stack.apiUrl,
  storageUrl: stack.storageUrl,
  databaseUrl: stack.databaseUrl,
  secrets: stack.secrets,
  dataDir,
  bucket: stack.config.storage.bucket,
  bcryptCost: stack.config.bcryptCost,
  // The API's processes: for one, this process; for a cluster, the primary (which accepts the
  // connections and hands them out) and the workers.
  pids: 'apiPids' in stack ? [process.pid, ...stack.apiPids()] : [process.pid],
});
process.on('message', async (message) => {
  if (message !== 'stats') return;
  const own = { pid: process.pid, rss: process.memoryUsage().rss };
  if ('apiStats' in stack) process.send?.({ ...own, apiBytesReceived: 0, processes: await stack.apiStats() });
  else process.send?.({ ...own, apiBytesReceived: stack.apiBytesReceived(), processes: [] });
});
process.on('disconnect', () => {
  stack.stop().then(() => process.exit(0));
});
