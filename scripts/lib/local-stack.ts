import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertPortFree, createNodeDeps, listenApi } from '../../runtime/node';
import type { Clock } from '../../shared/clock';
import { type Config, loadConfig } from '../../shared/config';
import { ensureDataDir, type LocalSecrets, migrateDatabase } from './data-dir';
import { startStorageServer } from './storage-server';

/**
 * The local default: everything `npm start` needs, on loopback, with nothing to configure.
 * Also used by the tests to start the same stack in a temporary folder on free ports.
 */

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const LOOPBACK = '127.0.0.1';

const pick = (record: Record<string, string>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, record[k] as string]));

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
