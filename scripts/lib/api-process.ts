/**
 * One API process of the local default with NODE_WORKERS > 1 (see startClusteredStack): a
 * node:cluster worker. The primary has prepared the data folder, migrated the database and
 * started the storage and mail servers; it sends this process its configuration over the IPC channel (the
 * generated secrets stay out of the environment), and this process builds its own dependencies
 * and listens on the shared port.
 */
import { createNodeDeps, listenApi, PortInUseError, type RunningServer } from '../../runtime/node';
import { loadConfig } from '../../shared/config';
import type { FromApiProcess, ToApiProcess } from './local-stack';

process.umask(0o077);

const send = (message: FromApiProcess) => process.send?.(message);
let running: { api: RunningServer; settled(): Promise<void>; close(): void } | undefined;
let stopping = false;

const stop = async () => {
  if (stopping) return;
  stopping = true;
  await running?.api.close();
  await running?.settled(); // mail handed over for after a response still goes out
  running?.close();
  process.exit(0);
};

process.on('message', async (message: ToApiProcess) => {
  if (message.type === 'start' && !running) {
    try {
      const deps = createNodeDeps(loadConfig(message.env));
      running = { api: await listenApi(deps, message.host, message.port), settled: deps.settled, close: deps.close };
      send({ type: 'listening', port: running.api.port });
    } catch (error) {
      const failed: FromApiProcess = { type: 'failed', message: String(error), portInUse: error instanceof PortInUseError };
      process.send?.(failed, () => process.exit(1));
    }
  } else if (message.type === 'stats') {
    send({ type: 'stats', pid: process.pid, rss: process.memoryUsage().rss, bytesReceived: running?.api.bytesReceived?.() ?? 0 });
  } else if (message.type === 'stop') {
    await stop();
  }
});
// Ctrl+C reaches every process of the terminal's group: the primary stops the API processes.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', stop);
// The primary is gone (killed): nothing would stop this process otherwise.
process.on('disconnect', stop);
send({ type: 'hello' });
