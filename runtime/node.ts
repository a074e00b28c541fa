import { chmodSync, closeSync, constants, openSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAdaptorServer } from '@hono/node-server';
import { createClient } from '@libsql/client';
import { type AssetFetcher, createApp, DOCS_SCRIPT_ASSET } from '../functions/app';
import type { Deps } from '../shared/api/context';
import { afterResponseVia, createDeps, createServices } from '../shared/api/deps';
import { type Clock, systemClock } from '../shared/clock';
import { COMMON_PASSWORDS_ASSET } from '../shared/common-passwords';
import type { Config } from '../shared/config';
import { nativeRunner } from './node-sql';

/** The dependencies on Node, with what only the process that made them may do. */
export interface NodeDeps extends Deps {
  /** Resolves once every task handed to `afterResponse` has finished: the server waits for it on stop. */
  settled(): Promise<void>;
  close(): void;
}

/**
 * The Node entry: builds the dependencies for Node (embedded libSQL file, or a libSQL server
 * URL) and hands them to the one app factory. The Workers entry is runtime/worker.ts, beside it.
 */
export function createNodeDeps(config: Config, clock: Clock = systemClock): NodeDeps {
  protectDatabaseFile(config.database.url);
  const embedded = config.database.url.startsWith('file:');
  const file = databaseFilePath(config.database.url);
  const client = createClient({
    url: config.database.url,
    authToken: config.database.authToken,
    // The embedded client opens a new connection whenever two calls overlap, and a pragma set
    // on one connection does not reach the next. Its calls run synchronously, so one connection
    // loses nothing, and every statement then runs under the pragmas below. The busy timeout is
    // also given to the client, which applies it to any connection it opens.
    ...(embedded ? { concurrency: 1, timeout: 5000 } : {}),
  });
  if (embedded) {
    // In WAL mode NORMAL stays durable across crashes of the process; and a writer (npm run
    // sweep, ops:create) makes others wait briefly instead of failing.
    void client.executeMultiple('pragma synchronous = normal; pragma busy_timeout = 5000;').catch(() => undefined);
  }
  const services = createServices(config, {
    clock,
    readCommonPasswords: () => readFile(path.join(ASSETS_ROOT, COMMON_PASSWORDS_ASSET), 'utf8'),
    clientAddress: (c) => {
      // Behind a reverse proxy, its header (the right-most entry: the one the proxy itself added).
      if (config.trustedProxyHeader) {
        const value = c.req.header(config.trustedProxyHeader);
        const last = value?.split(',').pop()?.trim();
        if (last) return last;
      }
      const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
      return env?.incoming?.socket?.remoteAddress ?? 'unknown';
    },
  });
  // The prepared hot queries run on native statements held by a second connection to the file;
  // for a libSQL server they go through the client, as on Workers.
  const runner = embedded && file ? nativeRunner(file, { busyTimeoutMs: 5000 }) : undefined;
  // Work after the response (mail delivery) is a promise this process keeps until it settles.
  const pending = new Set<Promise<void>>();
  const afterResponse = afterResponseVia(services.log, (task) => {
    pending.add(task);
    void task.finally(() => pending.delete(task));
  });
  return {
    ...createDeps(services, client, afterResponse, runner),
    async settled() {
      // A task may start another: wait until none is left.
      while (pending.size > 0) await Promise.all(pending);
    },
    close: () => {
      runner?.close();
      client.close();
    },
  };
}

/** The file a `file:` database URL names (as @libsql/core parses it), or undefined for any other URL. */
function databaseFilePath(url: string): string | undefined {
  const match = /^file:(?:\/\/[^/?#]*)?([^?#]*)/i.exec(url);
  let file: string | undefined;
  try {
    file = match?.[1] ? decodeURIComponent(match[1]) : undefined;
  } catch {
    return undefined; // malformed: libSQL refuses the URL itself
  }
  return file && file !== ':memory:' ? file : undefined;
}

/**
 * The embedded database holds password hashes and who may read what: owner-only (0600), like
 * secrets.json, whatever the umask and the data folder's mode. The folder is made 0700 only when
 * it is created, so an existing one (DATA_DIR=., or one an operator made 0755) would otherwise get
 * app.db 0644 under the usual umask 022. So the file is created 0600 before libSQL opens it
 * (SQLite then creates its -wal and -shm with the database file's mode), and an existing file
 * looser than that, from before this rule or copied in, is tightened along with its companions.
 * Any URL other than `file:` is left alone.
 */
export function protectDatabaseFile(url: string): void {
  const file = databaseFilePath(url);
  if (!file) return;
  try {
    // Only a file that is not there yet is opened (O_EXCL). Closing any descriptor of a file drops
    // every POSIX lock this process holds on it, so opening a live database here, where another
    // connection may have it open, would let SQLite delete a WAL still in use.
    closeSync(openSync(file, constants.O_RDONLY | constants.O_CREAT | constants.O_EXCL, 0o600));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return; // no such folder: libSQL says so
    if (code !== 'EEXIST') throw error;
  }
  // By path (stat, chmod), never through a descriptor, for the reason above.
  for (const companion of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) {
    let mode: number;
    try {
      mode = statSync(companion).mode;
    } catch {
      continue; // not there (yet)
    }
    if (mode & 0o077) chmodSync(companion, 0o600);
  }
}

const require = createRequire(import.meta.url);
const ASSETS_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'public');

/**
 * On Node the static assets come from the build folder (`npm start` builds it), as the worker's
 * come from its ASSETS binding; the docs script falls back to the installed package.
 */
export function nodeAssets(root: string): AssetFetcher {
  return {
    async fetch(request) {
      const pathname = new URL(request.url).pathname;
      const file = path.join(root, path.normalize(pathname).replace(/^(\.\.[/\\])+/, ''));
      if (!file.startsWith(root + path.sep)) return new Response(null, { status: 404 });
      try {
        return new Response(await readFile(file));
      } catch {
        if (pathname === DOCS_SCRIPT_ASSET)
          return new Response(await readFile(require.resolve('@scalar/api-reference/browser/standalone.js')));
        return new Response(null, { status: 404 });
      }
    },
  };
}

export class PortInUseError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
    what: string,
  ) {
    super(`Port ${port} on ${host} is already in use, so the ${what} cannot start. Free it or choose another port.`);
    this.name = 'PortInUseError';
  }
}

/** Fails with a PortInUseError if host:port is taken, before anything is started on it (0 always passes). */
export async function assertPortFree(host: string, port: number, what: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(host, port, what) : error),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

export interface RunningServer {
  url: string;
  port: number;
  /** Bytes this server has read from its sockets, all requests together (the benchmark's witness). */
  bytesReceived?(): number;
  close(): Promise<void>;
}

/** Listens on host:port (0 picks a free port); a port in use is a PortInUseError, not a crash. */
export async function listenApi(deps: Deps, host: string, port: number): Promise<RunningServer> {
  const app = createApp(deps, { assets: nodeAssets(ASSETS_ROOT) });
  const server = createAdaptorServer({ fetch: app.fetch, hostname: host });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(host, port, 'API') : error),
    );
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  const sockets = new Set<Socket>();
  let closedBytes = 0;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => {
      closedBytes += socket.bytesRead;
      sockets.delete(socket);
    });
  });
  return {
    url: `http://${host}:${actual}`,
    port: actual,
    bytesReceived: () => closedBytes + [...sockets].reduce((n, s) => n + s.bytesRead, 0),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
