import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { DOCS_SCRIPT_ASSET } from '../../functions/app';
import { COMMON_PASSWORDS_ASSET } from '../../shared/common-passwords';
import { PROJECT_ROOT } from './local-stack';

/** Mozilla's list of the 50,000 most common passwords, decoded and lower-cased, one per line. */
export function commonPasswordList(): string[] {
  const require = createRequire(import.meta.url);
  const { Decoder } = (require('incremental-encoder') as { default: { Decoder: new () => { decode(lines: string[]): string[] } } }).default;
  const encoded = require('fxa-common-password-list/src/encoded-passwords') as string;
  return [...new Set(new Decoder().decode(encoded.split('\n')).map((p) => p.toLowerCase()))];
}

/** What the worker serves from its ASSETS binding (wrangler.toml [assets]): built, never committed. */
export const ASSETS_DIR = path.join(PROJECT_ROOT, 'dist', 'public');
/**
 * The worker bundle's budget, gzip-compressed. Workers accept far more (3 MiB on the free plan);
 * the budget is about cold starts, which grow with the script to parse. It was 250 KiB while the
 * worker was the file API alone; accounts brought it to about 247 KiB, and sharing and second
 * factors (a TOTP and a WebAuthn library) are next, so it is 400 KiB: room for those, and a
 * limit that still stops a dependency from dragging in a megabyte unnoticed.
 */
export const BUNDLE_BUDGET_BYTES = 400 * 1024;

export async function buildAssets(): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: path.join(PROJECT_ROOT, 'web', 'vite.config.ts'), logLevel: 'warn' });
  const require = createRequire(import.meta.url);
  const target = path.join(ASSETS_DIR, DOCS_SCRIPT_ASSET);
  await mkdir(path.dirname(target), { recursive: true });
  await copyFile(require.resolve('@scalar/api-reference/browser/standalone.js'), target);
  const list = path.join(ASSETS_DIR, COMMON_PASSWORDS_ASSET);
  await mkdir(path.dirname(list), { recursive: true });
  await writeFile(list, `${commonPasswordList().join('\n')}\n`);
}

/** `wrangler deploy --dry-run`: the worker exactly as it would deploy, bundled offline. */
export async function buildWorker(
  outdir: string,
  options: { assets?: boolean } = {},
): Promise<{ script: string; bytes: number; gzipBytes: number }> {
  if (options.assets !== false) await buildAssets();
  await promisify(execFile)(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'wrangler'), ['deploy', '--dry-run', '--outdir', outdir], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_LOG_PATH: path.join(outdir, '..', 'wrangler-logs') },
  });
  const script = path.join(outdir, 'worker.js');
  const code = await readFile(script);
  return { script, bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length };
}
