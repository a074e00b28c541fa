import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * A database that lived through earlier versions keeps its data through every later migration:
 * here, one at the last release before accounts had a status (0004), with users, files, grants
 * and downloads, migrated to now. The accounts migration rebuilds the users table, which files
 * and grants reference; nothing may be lost or left dangling.
 */
const MIGRATIONS = path.resolve(import.meta.dirname, '..', 'migrations');
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function migrationsUpTo(tag: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sfs-migrations-'));
  dirs.push(dir);
  await cp(MIGRATIONS, dir, { recursive: true });
  const journalFile = path.join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(await readFile(journalFile, 'utf8')) as { entries: Array<{ tag: string }> };
  const end = journal.entries.findIndex((e) => e.tag === tag);
  expect(end).toBeGreaterThanOrEqual(0);
  journal.entries = journal.entries.slice(0, end + 1);
  await writeFile(journalFile, JSON.stringify(journal));
  return dir;
}

describe('migrations over existing data', () => {
  it('from 0004 to now: accounts stay, active; ops become administrators; files, grants and downloads stay', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sfs-migrate-db-'));
    dirs.push(dir);
    const client = createClient({ url: `file:${path.join(dir, 'app.db')}` });
    try {
      await migrate(drizzle(client), { migrationsFolder: await migrationsUpTo('0004_outbox') });
      await client.batch(
        [
          "insert into users (id, username, email, password_hash, role, tokens_valid_after, created_at) values ('o', 'ops1', 'o@example.com', 'h', 'ops', 0, 0)",
          "insert into users (id, username, email, password_hash, role, tokens_valid_after, created_at) values ('c', 'client1', 'c@example.com', 'h', 'client', 0, 0)",
          "insert into files (id, filename, content_type, size, storage_key, status, shared_with_all_clients, uploaded_by, upload_expires_at, created_at, ready_at) values ('f', 'a.docx', 'x', 1, 'files/k', 'ready', 0, 'o', 0, 1, 1)",
          "insert into file_grants (file_id, user_id, file_created_at) values ('f', 'c', 1)",
          "insert into downloads (id, file_id, user_id, at) values ('d', 'f', 'c', 2)",
        ],
        'write',
      );
      await migrate(drizzle(client), { migrationsFolder: MIGRATIONS });
      const users = (await client.execute('select id, status, admin from users order by id')).rows.map((r) => ({ ...r }));
      expect(users).toEqual([
        { id: 'c', status: 'active', admin: 0 },
        { id: 'o', status: 'active', admin: 1 },
      ]);
      expect((await client.execute('select count(*) as n from file_grants')).rows[0]?.n).toBe(1);
      expect((await client.execute('select count(*) as n from files')).rows[0]?.n).toBe(1);
      expect((await client.execute('select count(*) as n from downloads')).rows[0]?.n).toBe(1);
      expect((await client.execute('pragma foreign_key_check')).rows).toEqual([]);
      expect((await client.execute('pragma integrity_check')).rows[0]?.integrity_check).toBe('ok');
    } finally {
      client.close();
    }
  });

  it('from 0005 to now: grants stay, with no end and no limit; files have no expiry; no group exists; notices are on', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sfs-migrate-db-'));
    dirs.push(dir);
    const client = createClient({ url: `file:${path.join(dir, 'app.db')}` });
    try {
      await migrate(drizzle(client), { migrationsFolder: await migrationsUpTo('0005_accounts') });
      await client.batch(
        [
          "insert into users (id, username, email, password_hash, role, tokens_valid_after, created_at, status, admin) values ('o', 'ops1', 'o@example.com', 'h', 'ops', 0, 0, 'active', 1)",
          "insert into users (id, username, email, password_hash, role, tokens_valid_after, created_at, status, admin) values ('c', 'client1', 'c@example.com', 'h', 'client', 0, 0, 'active', 0)",
          "insert into files (id, filename, content_type, size, storage_key, status, shared_with_all_clients, uploaded_by, upload_expires_at, created_at, ready_at) values ('f', 'a.docx', 'x', 1, 'files/k', 'ready', 1, 'o', 0, 1, 1)",
          "insert into file_grants (file_id, user_id, file_created_at) values ('f', 'c', 1)",
          "insert into downloads (id, file_id, user_id, at) values ('d', 'f', 'c', 2)",
        ],
        'write',
      );
      await migrate(drizzle(client), { migrationsFolder: MIGRATIONS });
      const grants = (await client.execute('select file_id, user_id, expires_at, max_downloads from file_grants')).rows.map((r) => ({
        ...r,
      }));
      expect(grants).toEqual([{ file_id: 'f', user_id: 'c', expires_at: null, max_downloads: null }]);
      const file = {
        ...(
          await client.execute('select shared_with_all_clients, expires_at, all_clients_expires_at, all_clients_max_downloads from files')
        ).rows[0],
      };
      expect(file).toEqual({ shared_with_all_clients: 1, expires_at: null, all_clients_expires_at: null, all_clients_max_downloads: null });
      expect((await client.execute('select count(*) as n from client_groups')).rows[0]?.n).toBe(0);
      // Share notices are on for every existing account until its owner turns them off.
      expect((await client.execute('select id, notify_shares from users order by id')).rows.map((r) => ({ ...r }))).toEqual([
        { id: 'c', notify_shares: 1 },
        { id: 'o', notify_shares: 1 },
      ]);
      expect((await client.execute('select count(*) as n from downloads')).rows[0]?.n).toBe(1);
      expect((await client.execute('pragma foreign_key_check')).rows).toEqual([]);
      expect((await client.execute('pragma integrity_check')).rows[0]?.integrity_check).toBe('ok');
    } finally {
      client.close();
    }
  });
});
