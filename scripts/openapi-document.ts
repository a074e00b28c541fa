/**
 * `npm run lint:api`'s first half: writes the OpenAPI document the API serves at
 * /api/openapi.json to a file (default dist/openapi.json), asking the app in this process,
 * with no server started and nothing connected to: serving the document reads no database or storage.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createApp } from '../functions/app';
import { createNodeDeps } from '../runtime/node';
import { loadConfig } from '../shared/config';
import { PROJECT_ROOT } from './lib/local-stack';

const file = path.resolve(process.argv[2] ?? path.join(PROJECT_ROOT, 'dist', 'openapi.json'));
const secret = () => randomBytes(32).toString('base64url');
const deps = createNodeDeps(
  loadConfig({
    ENVIRONMENT: 'development',
    // Never connected to (a libSQL client over HTTP connects on its first query): no file is created.
    DATABASE_URL: 'http://127.0.0.1:9',
    S3_ACCESS_KEY_ID: 'unused',
    S3_SECRET_ACCESS_KEY: secret(),
    JWT_SECRET: secret(),
    LINK_SECRET: secret(),
    LOG_LEVEL: 'warn',
  }),
);
try {
  const res = await createApp(deps).request('/api/openapi.json');
  if (res.status !== 200) throw new Error(`GET /api/openapi.json answered ${res.status}: ${await res.text()}`);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(await res.json(), null, 2)}\n`);
  console.log(`Wrote ${file}.`);
} finally {
  deps.close();
}
