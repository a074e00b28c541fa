/**
 * The benchmark's floor: a bare Hono app answering a constant JSON body on the same server
 * adapter (@hono/node-server) as the service. Every figure of `npm run bench` is a ratio to it.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.get('/', (c) => c.json({ status: 'ok' }));
const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
  process.send?.({ url: `http://127.0.0.1:${info.port}` });
});
process.on('disconnect', () => server.close(() => process.exit(0)));
