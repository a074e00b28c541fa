import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../scripts/lib/local-stack';

/** The layout rules of CONVENTIONS.md, checked so a slip fails the build instead of the edge deploy. */
async function sources(folder: string): Promise<Array<{ file: string; text: string }>> {
  const entries = await readdir(path.join(PROJECT_ROOT, folder), { recursive: true, withFileTypes: true });
  return Promise.all(
    entries
      .filter((e) => e.isFile() && e.name.endsWith('.ts'))
      .map(async (e) => {
        const file = path.relative(PROJECT_ROOT, path.join(e.parentPath, e.name));
        return { file, text: await readFile(path.join(PROJECT_ROOT, file), 'utf8') };
      }),
  );
}

const imports = (text: string) => [...text.matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1] ?? '');

describe('architecture', () => {
  it('functions/, shared/ and the typed client (which the portal bundles) use Web-standard APIs only', async () => {
    const files = [
      ...(await sources('functions')),
      ...(await sources('shared')),
      ...(await sources('api-client')),
      ...(await sources('runtime')).filter(({ file }) => file.endsWith('worker.ts')),
    ];
    expect(files.length).toBeGreaterThan(10);
    const offenders = files.flatMap(({ file, text }) =>
      imports(text)
        .filter(
          (m) =>
            m.startsWith('node:') ||
            m === '@libsql/client' ||
            m === '@hono/node-server' ||
            /^(fs|path|os|crypto|http|net|child_process)$/.test(m),
        )
        .map((m) => `${file} imports ${m}`),
    );
    expect(offenders).toEqual([]);
  });

  it('the typed client takes only types from the API, so no server code reaches a browser', async () => {
    const offenders = (await sources('api-client')).flatMap(({ file, text }) =>
      [...text.matchAll(/^\s*import\s+(?!type\b)[^'"]*from\s+['"]([^'"]+)['"]/gm)]
        .map((m) => m[1] ?? '')
        .filter((m) => m.startsWith('.'))
        .map((m) => `${file} imports values from ${m}`),
    );
    expect(offenders).toEqual([]);
  });

  it('shared/ never imports from functions/', async () => {
    const offenders = (await sources('shared')).flatMap(({ file, text }) =>
      imports(text)
        .filter((m) => m.includes('functions/'))
        .map((m) => `${file} imports ${m}`),
    );
    expect(offenders).toEqual([]);
  });

  it('every endpoint module under functions/ is registered, and exports its guarded route and its handler', async () => {
    const { createApi } = await import('../functions/routes');
    const registered = new Set(createApi().routes.map((r) => `${r.method} ${r.path}`));
    const modules = (await sources('functions')).filter(({ file }) => file.split(path.sep).length === 3);
    expect(registered.size).toBe(modules.length);
    for (const { file } of modules) {
      const endpoint = (await import(path.resolve(file))) as {
        route: { method: string; path: string; security?: unknown[]; middleware?: unknown[] };
        handler: unknown;
      };
      expect(typeof endpoint.handler, file).toBe('function');
      expect(endpoint.route.path.startsWith('/api/'), file).toBe(true);
      expect(registered, file).toContain(`${endpoint.route.method.toUpperCase()} ${endpoint.route.path.replace(/\{(\w+)\}/g, ':$1')}`);
      // Who may call it is stated, and enforced by a guard before anything else runs.
      expect(Array.isArray(endpoint.route.security), file).toBe(true);
      expect(endpoint.route.middleware?.length, file).toBeGreaterThan(0);
    }
  });
});
