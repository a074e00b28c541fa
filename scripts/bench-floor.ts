/**
 * The benchmark's floor: a bare Hono app answering a constant JSON body on the same server
 * adapter (@hono/node-server) as the service. Every figure of `npm run bench` is a ratio to it.
 *
 * BENCH_PROCESSES=N (default 1) serves it from N node:cluster processes behind one port, as
 * `NODE_WORKERS=N npm start` serves the API, for the two-process figures. Reports its URL and the
 * ids of the processes that serve (the primary, then the workers) over the IPC channel.
 */
import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const processes = Number(process.env.BENCH_PROCESSES ?? 1);

const listen = (report: (port: number) => void) => {
  const app = new Hono();
  app.get('/', (c) => c.json({ status: 'ok' }));
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => report(info.port));
  return server;
};

if (processes <= 1) {
  const server = listen((port) => process.send?.({ url: `http://127.0.0.1:${port}`, pids: [process.pid] }));
  process.on('disconnect', () => server.close(() => process.exit(0)));
} else if (cluster.isPrimary) {
  // Every worker listening on port 0 gets the same port: the primary holds it and hands out connections.
  const workers = Array.from({ length: processes }, () => cluster.fork());
  const ports = await Promise.all(workers.map((w) => new Promise<number>((resolve) => w.once('message', resolve))));
  process.send?.({ url: `http://127.0.0.1:${ports[0]}`, pids: [process.pid, ...workers.map((w) => w.process.pid)] });
  process.on('disconnect', () => {
    for (const w of workers) w.kill();
    process.exit(0);
  });
} else {
  listen((port) => process.send?.(port));
}
