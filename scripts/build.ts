/**
 * `npm run build`: the worker bundle (dist/worker) and its static assets (dist/public), offline,
 * exactly as `wrangler deploy` would upload them. Fails when the bundle outgrows its budget.
 */
import path from 'node:path';
import { ASSETS_DIR, BUNDLE_BUDGET_BYTES, buildWorker } from './lib/build';
import { PROJECT_ROOT } from './lib/local-stack';

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const { bytes, gzipBytes, script } = await buildWorker(path.join(PROJECT_ROOT, 'dist', 'worker'));
console.log(
  `worker  ${path.relative(PROJECT_ROOT, script)}  ${kib(bytes)} minified, ${kib(gzipBytes)} gzip (budget ${kib(BUNDLE_BUDGET_BYTES)})`,
);
console.log(`assets  ${path.relative(PROJECT_ROOT, ASSETS_DIR)}/`);
if (gzipBytes > BUNDLE_BUDGET_BYTES) {
  console.error(`The worker bundle is ${kib(gzipBytes - BUNDLE_BUDGET_BYTES)} over its budget.`);
  process.exit(1);
}
