import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import Module, { createRequire } from 'node:module';
import { type AddressInfo, createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { z } from 'zod';
import type { Clock } from '../../shared/clock';
import { type Config, ConfigError, loadConfig } from '../../shared/config';
import { createNodeDeps, listenApi, PortInUseError, protectDatabaseFile, type RunningServer } from './node-runtime';

/**
 * The local default: everything `npm start` needs, on loopback, with nothing to configure.
 * Also used by the tests to start the same stack in a temporary folder on free ports.
 */

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MIGRATIONS_FOLDER = path.join(PROJECT_ROOT, 'migrations');
export const LOOPBACK = '127.0.0.1';

export interface LocalSecrets {
  jwtSecret: string;
  linkSecret: string;
  storageAccessKeyId: string;
  storageSecretAccessKey: string;
}

const randomSecret = () => randomBytes(32).toString('base64url');

const localSecretsSchema = z.object({
  jwtSecret: z.string().min(32),
  linkSecret: z.string().min(32),
  storageAccessKeyId: z.string().min(1),
  storageSecretAccessKey: z.string().min(32),
});

const pick = (record: Record<string, string>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, record[k] as string]));

const parseJsonOrUndefined = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** Creates the data folder (0700) and, on first use, its secrets file (0600). */
export async function ensureDataDir(dataDir: string): Promise<LocalSecrets> {
  // mkdir's mode applies only to a folder it creates: an existing folder (DATA_DIR=. say) is left as it is.
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, 'secrets.json');
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text !== undefined) {
    const parsed = localSecretsSchema.safeParse(parseJsonOrUndefined(text));
    if (!parsed.success) {
      throw new ConfigError([`${file} is damaged; move it away to generate new secrets (existing sessions end).`]);
    }
    if ((await stat(file)).mode & 0o077) await chmod(file, 0o600);
    return parsed.data;
  }
  const secrets: LocalSecrets = {
    jwtSecret: randomSecret(),
    linkSecret: randomSecret(),
    storageAccessKeyId: `local-${randomBytes(8).toString('hex')}`,
    storageSecretAccessKey: randomSecret(),
  };
  await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return secrets;
}

/** Applies every migration in migrations/ that the database has not seen; safe to repeat. */
export async function migrateDatabase(url: string, authToken?: string): Promise<void> {
  protectDatabaseFile(url);
  const client = createClient({ url, authToken });
  try {
    // The embedded file: write-ahead log (readers never wait for the writer; one sync per
    // checkpoint, not per write). Persistent, so every later connection uses it too.
    if (url.startsWith('file:')) await client.execute('pragma journal_mode = wal');
    await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    client.close();
  }
}

async function assertPortFree(host: string, port: number, what: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(host, port, what) : error),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/**
 * @20minutes/s3rver 4.0.4's authentication middleware is looser than S3 and R2 in two ways. Its
 * module is loaded once from its source with both corrected, so the server checks requests
 * exactly as real S3 does: stricter, never looser.
 *
 * - It lets a request carrying no signature at all through, as if every bucket were public
 *   (`if (mechanismCount === 0) return next()`). S3 and R2 answer an anonymous request to a
 *   private bucket 403 AccessDenied. Left as it was, code that forgot to sign, or a test that
 *   reads storage without credentials, would pass here and fail in production, and anyone who
 *   can reach the local port could list, read, overwrite and delete every file. Now a request
 *   with no Authorization header and neither a SigV4 (X-Amz-Algorithm…X-Amz-Signature) nor a V2
 *   (Signature) query is refused 403 AccessDenied in S3's XML error format. CORS preflights
 *   (OPTIONS) are unsigned by nature, and the middleware lets them through before that point,
 *   as S3 does: the portal PUTs uploads and GETs downloads cross-origin.
 * - It canonicalises SigV4 query strings with encodeURIComponent, which leaves !'()* unencoded;
 *   SigV4 (and S3, R2, aws4fetch) encode them per RFC 3986. Every presigned GET whose
 *   response-content-disposition carries RFC 5987's `filename*=UTF-8''…` would be refused. The
 *   RFC 3986 encoder the module already ships is used instead.
 *
 * The first correction is a security property, so a module it does not recognise (another
 * release), or one loaded before the correction, stops the server from starting rather than
 * running it open. The second is dropped quietly by a release that fixed it.
 */
const CONFORMING = Symbol.for('secure-file-share.s3rver-conforming-authentication');

function loadConformingAuthentication(require: NodeJS.Require): void {
  const file = require.resolve('@20minutes/s3rver/lib/middleware/authentication');
  const cached = require.cache[file] as (NodeJS.Module & { [CONFORMING]?: true }) | undefined;
  if (cached?.[CONFORMING]) return;
  if (cached) throw new Error('@20minutes/s3rver was loaded before its authentication was corrected: it would accept unsigned requests.');
  let source = readFileSync(file, 'utf8');
  const anonymous = /if \(mechanismCount === 0\) \{\s*return next\(\);\s*\}/;
  if (!anonymous.test(source)) {
    throw new Error(
      `${file} is not the release this project corrects: check that it refuses unsigned requests, then update loadConformingAuthentication.`,
    );
  }
  source = source.replace(anonymous, "if (mechanismCount === 0) {\n      throw new S3Error('AccessDenied', 'Access Denied');\n    }");
  source = source.replace('[param, value].map(encodeURIComponent)', '[param, value].map(encodeURIComponentRFC3986)');
  const mod = new Module(file, undefined) as NodeJS.Module & { [CONFORMING]?: true };
  mod.filename = file;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(file));
  (mod as unknown as { _compile(code: string, filename: string): void })._compile(source, file);
  mod.loaded = true;
  mod[CONFORMING] = true;
  require.cache[file] = mod;
}

/**
 * The local bucket's CORS rule. Any origin, because the presigned URL itself is the credential
 * and the local ports vary; a production bucket allows only the service's own origin (README).
 */
const LOCAL_CORS = `<CORSConfiguration><CORSRule>
  <AllowedOrigin>*</AllowedOrigin>
  <AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>
  <AllowedHeader>*</AllowedHeader>
  <ExposeHeader>ETag</ExposeHeader>
  <MaxAgeSeconds>600</MaxAgeSeconds>
</CORSRule></CORSConfiguration>`;

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
interface S3rverModule {
  new (options: Record<string, unknown>): S3rverInstance;
}
interface AccountModule {
  DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void; revokeAccessKey(id: string): void };
}

/**
 * A real S3-protocol server that verifies SigV4 signatures and URL expiry (@20minutes/s3rver;
 * the original s3rver checks nothing). Its built-in S3RVER/S3RVER key is revoked and replaced by
 * the generated credentials, so only this stack's signatures are accepted.
 */
export async function startStorageServer(options: {
  directory: string;
  host: string;
  port: number;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}): Promise<RunningServer> {
  await assertPortFree(options.host, options.port, 'object storage');
  await mkdir(options.directory, { recursive: true, mode: 0o700 });
  const require = createRequire(import.meta.url);
  loadConformingAuthentication(require);
  const S3rver = require('@20minutes/s3rver') as S3rverModule;
  const accounts = require('@20minutes/s3rver/lib/models/account') as AccountModule;
  accounts.DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
  accounts.DUMMY_ACCOUNT.createKeyPair(options.accessKeyId, options.secretAccessKey);
  const server = new S3rver({
    address: options.host,
    port: options.port,
    directory: options.directory,
    silent: true,
    vhostBuckets: false,
    // Browsers PUT uploads and GET downloads straight to storage: cross-origin from the portal.
    configureBuckets: [{ name: options.bucket, configs: [LOCAL_CORS] }],
  });
  const address = await server.run();
  return {
    url: `http://${options.host}:${address.port}`,
    port: address.port,
    close: () => server.close(),
  };
}

/** The configuration of the local default, given its secrets and where its servers listen. */
export function localEnv(options: {
  dataDir: string;
  secrets: LocalSecrets;
  storageUrl: string;
  apiPort: number;
  bucket?: string;
}): Record<string, string> {
  return {
    ENVIRONMENT: 'development',
    PUBLIC_URL: `http://${LOOPBACK}:${options.apiPort}`,
    DATABASE_URL: `file:${path.join(options.dataDir, 'app.db')}`,
    S3_ENDPOINT: options.storageUrl,
    S3_BUCKET: options.bucket ?? 'files',
    S3_REGION: 'us-east-1',
    S3_ACCESS_KEY_ID: options.secrets.storageAccessKeyId,
    S3_SECRET_ACCESS_KEY: options.secrets.storageSecretAccessKey,
    JWT_SECRET: options.secrets.jwtSecret,
    LINK_SECRET: options.secrets.linkSecret,
  };
}

export interface LocalStackOptions {
  dataDir: string;
  apiPort: number;
  storagePort: number;
  /** Extra configuration (e.g. BCRYPT_COST, ACCESS_TOKEN_TTL_SECONDS); secrets are generated. */
  env?: Record<string, string | undefined>;
  /** Tests move time with this instead of sleeping. */
  clock?: Clock;
}

export interface LocalStack {
  config: Config;
  apiUrl: string;
  storageUrl: string;
  secrets: LocalSecrets;
  databaseUrl: string;
  /** Bytes the API process has read from its clients so far. */
  apiBytesReceived(): number;
  /** Takes the storage server down and brings it back on the same port: for fault tests. */
  stopStorage(): Promise<void>;
  restartStorage(): Promise<void>;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const dataDir = path.resolve(options.dataDir);
  const secrets = await ensureDataDir(dataDir);
  const databaseUrl = `file:${path.join(dataDir, 'app.db')}`;
  await migrateDatabase(databaseUrl);
  await assertPortFree(LOOPBACK, options.apiPort, 'API');

  const bucket = options.env?.S3_BUCKET ?? 'files';
  const storageOptions = {
    directory: path.join(dataDir, 'objects'),
    host: LOOPBACK,
    port: options.storagePort,
    bucket,
    accessKeyId: secrets.storageAccessKeyId,
    secretAccessKey: secrets.storageSecretAccessKey,
  };
  let storage = await startStorageServer(storageOptions);
  let storageUp = true;
  try {
    const local = localEnv({ dataDir, secrets, storageUrl: storage.url, apiPort: options.apiPort, bucket });
    const env = {
      ...local,
      ...options.env,
      ...pick(local, [
        'DATABASE_URL',
        'S3_ENDPOINT',
        'S3_BUCKET',
        'S3_REGION',
        'S3_ACCESS_KEY_ID',
        'S3_SECRET_ACCESS_KEY',
        'JWT_SECRET',
        'LINK_SECRET',
      ]),
    };
    let config = loadConfig(env);
    let deps = createNodeDeps(config, options.clock);
    let api = await listenApi(deps, LOOPBACK, options.apiPort);
    if (options.apiPort === 0 && !options.env?.PUBLIC_URL) {
      // A free port was picked: the public URL can only be known now.
      await api.close();
      deps.close();
      config = loadConfig({ ...env, PUBLIC_URL: `http://${LOOPBACK}:${api.port}` });
      deps = createNodeDeps(config, options.clock);
      api = await listenApi(deps, LOOPBACK, api.port);
    }
    const running = { api, deps };
    return {
      config,
      apiUrl: api.url,
      storageUrl: storage.url,
      secrets,
      databaseUrl,
      apiBytesReceived: () => running.api.bytesReceived?.() ?? 0,
      async stopStorage() {
        if (storageUp) await storage.close();
        storageUp = false;
      },
      async restartStorage() {
        if (!storageUp)
          storage = await startStorageServer({
            ...storageOptions,
            port: new URL(storage.url).port ? Number(new URL(storage.url).port) : options.storagePort,
          });
        storageUp = true;
      },
      async stop() {
        await running.api.close();
        running.deps.close();
        if (storageUp) await storage.close();
      },
    };
  } catch (error) {
    await storage.close();
    throw error;
  }
}
