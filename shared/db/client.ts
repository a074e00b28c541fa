import type { Client } from '@libsql/client/web';
import { drizzle } from 'drizzle-orm/libsql/web';
import * as schema from './schema';

/**
 * The drizzle database over whichever libSQL client the runtime built: the embedded file client
 * on Node, the HTTP client (`@libsql/client/web`) on Workers. Nothing here knows which.
 */
export function createDatabase(client: Client) {
  return drizzle(client, { schema });
}

export type Database = ReturnType<typeof createDatabase>;
