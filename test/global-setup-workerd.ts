import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildWorker } from '../scripts/lib/build';

/** Builds the worker bundle once for every workerd test file; building it is itself a test of the build. */
export default async function setup(project: TestProject) {
  const dir = await mkdtemp(path.join(tmpdir(), 'sfs-bundle-'));
  // The assets were built by `npm test` before vitest started; building them again here could race the Node suites reading them.
  await buildWorker(path.join(dir, 'bundle'), { assets: false });
  project.provide('workerBundle', path.join(dir, 'bundle'));
  return () => rm(dir, { recursive: true, force: true });
}
