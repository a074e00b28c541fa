import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { z } from 'zod';
import { protectDatabaseFile } from '../../runtime/node';
import { ConfigError } from '../../shared/config';

/** The local data folder: the secrets generated on first use, and the database's migrations. */

export const MIGRATIONS_FOLDER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');

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
