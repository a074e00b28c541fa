/**
 * `npm run db:migrate`: applies the migrations in migrations/ that the database has not seen.
 * Safe to repeat. Targets DATABASE_URL (+ DATABASE_AUTH_TOKEN): `libsql://…` for Turso,
 * `http://…` for a libSQL server, `file:…`; without it, the local default's database file.
 */
import path from 'node:path';
import { createClient } from '@libsql/client';
import { describeError } from '../shared/log';
import { migrateDatabase } from './lib/data-dir';
import { PROJECT_ROOT } from './lib/local-stack';

const url = process.env.DATABASE_URL ?? `file:${path.join(path.resolve(PROJECT_ROOT, process.env.DATA_DIR ?? '.data'), 'app.db')}`;
const shown = url.replace(/\/\/[^@/]*@/, '//…@'); // never print credentials embedded in a URL

try {
  const client = createClient({ url, authToken: process.env.DATABASE_AUTH_TOKEN });
  const count = async () => {
    try {
      const rows = await client.execute('select count(*) as n from __drizzle_migrations');
      return Number(rows.rows[0]?.n ?? 0);
    } catch {
      return 0;
    }
  };
  const before = await count();
  await migrateDatabase(url, process.env.DATABASE_AUTH_TOKEN);
  const after = await count();
  client.close();
  console.log(after > before ? `Applied ${after - before} migration(s) to ${shown}.` : `${shown} is up to date (${after} migrations).`);
} catch (error) {
  const { chain, message } = describeError(error);
  console.error(`Could not migrate ${shown} (${chain.map((c) => c.code ?? c.name).join(' < ')}${message ? `: ${message}` : ''}).`);
  process.exitCode = 1;
}
