import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Client, createClient } from '@libsql/client';
import { and, eq, or, type SQL, sql } from 'drizzle-orm';
import { SQLiteAsyncDialect } from 'drizzle-orm/sqlite-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../scripts/lib/data-dir';
import { createDatabase, type Database } from '../shared/db/client';
import { downloads, files, rateLimits, users } from '../shared/db/schema';
import { clientPageQuery } from '../shared/files';

/**
 * The hot queries' plans, from SQLite itself: each must be served by an index, never a scan of
 * a table that grows with use. Plans do not flake; timings belong in `npm run bench`.
 */
let dir: string;
let client: Client;
let db: Database;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sfs-plans-'));
  const url = `file:${path.join(dir, 'plans.db')}`;
  await migrateDatabase(url);
  client = createClient({ url });
  db = createDatabase(client);
  await client.execute('analyze');
});
afterAll(async () => {
  client?.close();
  await rm(dir, { recursive: true, force: true });
});

async function plan(query: SQL | { toSQL(): { sql: string; params: unknown[] } }): Promise<string> {
  const { sql: text, params } = 'toSQL' in query ? query.toSQL() : new SQLiteAsyncDialect().sqlToQuery(query);
  const rows = await client.execute({ sql: `explain query plan ${text}`, args: params as never[] });
  return rows.rows.map((r) => String(r.detail)).join('\n');
}

/** A full scan reads as `SCAN <table>` with no index after it. */
const fullScans = (p: string) => p.split('\n').filter((line) => /^SCAN \w+$/.test(line.trim()) || /^SCAN \w+ (?!USING)/.test(line.trim()));

describe('query plans of the hot paths', () => {
  it('the control: a lookup by an unindexed column is reported as a full scan', async () => {
    expect(fullScans(await plan(db.select().from(files).where(eq(files.filename, 'x'))))).toEqual(['SCAN files']);
  });

  it("a client's page: both branches walk an index, with or without a cursor", async () => {
    for (const cursor of [undefined, { createdAt: Date.now(), id: 'x' }]) {
      const p = await plan(clientPageQuery('someone', 51, cursor));
      expect(p).toContain('files_shared_all_idx');
      expect(p).toContain('file_grants_user_idx');
      expect(fullScans(p)).toEqual([]);
    }
  });

  it("ops' page walks the (created_at, id) index", async () => {
    const p = await plan(
      db
        .select()
        .from(files)
        .where(sql`(${files.createdAt}, ${files.id}) < (${1}, ${'x'})`)
        .orderBy(sql`${files.createdAt} desc, ${files.id} desc`)
        .limit(51),
    );
    expect(p).toContain('files_created_idx');
    expect(fullScans(p)).toEqual([]);
  });

  it('every request: the access guard reads the user by primary key', async () => {
    const p = await plan(db.select().from(users).where(eq(users.id, 'x')));
    expect(p).toMatch(/USING INDEX sqlite_autoindex_users_1|USING PRIMARY KEY|INTEGER PRIMARY KEY/);
    expect(fullScans(p)).toEqual([]);
  });

  it('login by username or email uses both unique indexes', async () => {
    const p = await plan(
      db
        .select()
        .from(users)
        .where(or(eq(users.username, 'x'), eq(users.email, 'x'))),
    );
    expect(p).toContain('users_username_unique');
    expect(p).toContain('users_email_unique');
    expect(fullScans(p)).toEqual([]);
  });

  it('a visible file, the audit, the throttle counters', async () => {
    const visible = await plan(
      db
        .select()
        .from(files)
        .where(
          and(
            eq(files.id, 'x'),
            eq(files.status, 'ready'),
            sql`(${files.sharedWithAllClients} = 1 or exists (select 1 from file_grants where file_id = ${files.id} and user_id = ${'u'}))`,
          ),
        ),
    );
    expect(fullScans(visible)).toEqual([]);
    const audit = await plan(db.select().from(downloads).where(eq(downloads.fileId, 'x')).orderBy(sql`${downloads.at} desc`).limit(1000));
    expect(audit).toContain('downloads_file_at_idx');
    expect(fullScans(audit)).toEqual([]);
    const throttle = await plan(db.select().from(rateLimits).where(eq(rateLimits.key, 'x')));
    expect(fullScans(throttle)).toEqual([]);
  });
});
