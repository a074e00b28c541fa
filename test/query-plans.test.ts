import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Client, createClient } from '@libsql/client';
import { eq, getTableColumns, or, type SQL, sql } from 'drizzle-orm';
import { SQLiteAsyncDialect } from 'drizzle-orm/sqlite-core';
import Engine from 'libsql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeRunner } from '../runtime/node-sql';
import { migrateDatabase } from '../scripts/lib/data-dir';
import { createDatabase, type Database } from '../shared/db/client';
import { clientRunner, type PreparedSelect, preparedQueries } from '../shared/db/prepared';
import { downloads, files, rateLimits, users } from '../shared/db/schema';
import '../shared/downloads';
import { findVisibleFile, listFiles } from '../shared/files';
import { claimQuery } from '../shared/outbox';
import { findUserById } from '../shared/users';

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

/**
 * SQLite's plan for a statement, from a connection of its own that is closed after: through the
 * shared client, `explain` of a write leaves a write transaction open on its connection (a quirk
 * of the engine), which would hide that connection's later writes from every other connection.
 */
function explain(text: string, args: unknown[]): string {
  const engine = new Engine(path.join(dir, 'plans.db'));
  try {
    const rows = engine.prepare(`explain query plan ${text}`).all(args) as Array<{ detail: string }>;
    return rows.map((r) => String(r.detail)).join('\n');
  } finally {
    engine.close();
  }
}

async function plan(query: SQL | { toSQL(): { sql: string; params: unknown[] } }): Promise<string> {
  const { sql: text, params } = 'toSQL' in query ? query.toSQL() : new SQLiteAsyncDialect().sqlToQuery(query);
  return explain(text, params);
}

/** Values of the right type for a prepared query's parameters. */
const sampleArgs = (params: readonly string[]) => {
  const values: Record<string, unknown> = { take: 51, cursorAt: Date.now(), at: Date.now() };
  return params.map((p) => values[p] ?? 'x') as never[];
};

/** The plan of a prepared hot query, by name, with placeholder values for its parameters. */
async function planPrepared(name: string): Promise<string> {
  const query = preparedQueries().find((q) => q.name === name);
  if (!query) throw new Error(`no prepared query named ${name}`);
  return explain(query.sql, sampleArgs(query.params));
}

/** A full scan reads as `SCAN <table>` with no index after it. */
const fullScans = (p: string) =>
  p
    .split('\n')
    .map((line) => line.trim())
    // `page` is a client's page, already limited to `take` rows: reading it whole is the point.
    .filter((line) => line !== 'SCAN page')
    .filter((line) => /^SCAN \w+$/.test(line) || /^SCAN \w+ (?!USING)/.test(line));

describe('query plans of the hot paths', () => {
  it('the control: a lookup by an unindexed column is reported as a full scan', async () => {
    expect(fullScans(await plan(db.select().from(files).where(eq(files.filename, 'x'))))).toEqual(['SCAN files']);
  });

  it("a client's page: both branches walk an index, with or without a cursor, and the rows come by primary key", async () => {
    for (const name of ['clientPage', 'clientPageAfter']) {
      const p = await planPrepared(name);
      expect(p).toContain('files_shared_all_idx');
      expect(p).toContain('file_grants_user_idx');
      expect(fullScans(p)).toEqual([]);
    }
  });

  it("ops' page walks the (created_at, id) index, with or without a cursor", async () => {
    for (const name of ['opsPage', 'opsPageAfter']) {
      const p = await planPrepared(name);
      expect(p).toContain('files_created_idx');
      expect(fullScans(p)).toEqual([]);
    }
  });

  it('every request: the access guard reads the user and the session by primary key', async () => {
    const p = await planPrepared('principal');
    expect(p).toMatch(/sqlite_autoindex_sessions_1|PRIMARY KEY/);
    expect(p).toMatch(/USING INDEX sqlite_autoindex_users_1|USING PRIMARY KEY|INTEGER PRIMARY KEY/);
    expect(fullScans(p)).toEqual([]);
  });

  it('every prepared select is planned here, and none scans a table', async () => {
    const selects = preparedQueries().filter((q): q is PreparedSelect<string, unknown> => 'columns' in q);
    expect(selects.map((q) => q.name).sort()).toEqual([
      'clientPage',
      'clientPageAfter',
      'fileById',
      'opsPage',
      'opsPageAfter',
      'principal',
      'userById',
      'visibleFileById',
    ]);
    for (const q of selects) expect(fullScans(await planPrepared(q.name)), q.name).toEqual([]);
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
    const visible = await planPrepared('visibleFileById');
    expect(visible).toMatch(/sqlite_autoindex_files_1|PRIMARY KEY/);
    expect(fullScans(visible)).toEqual([]);
    const audit = await plan(db.select().from(downloads).where(eq(downloads.fileId, 'x')).orderBy(sql`${downloads.at} desc`).limit(1000));
    expect(audit).toContain('downloads_file_at_idx');
    expect(fullScans(audit)).toEqual([]);
    const throttle = await plan(db.select().from(rateLimits).where(eq(rateLimits.key, 'x')));
    expect(fullScans(throttle)).toEqual([]);
  });

  it('mail delivery claims due, unsent messages through the partial index, which sent ones leave', async () => {
    const p = await plan(claimQuery(db, new Date()));
    expect(p).toContain('outbox_due_idx');
    expect(fullScans(p)).toEqual([]);
    const only = await plan(claimQuery(db, new Date(), { ids: ['a', 'b'] }));
    expect(fullScans(only)).toEqual([]);
  });
});

describe('the prepared hot queries against the schema', () => {
  it('every select returns the columns it decodes, in order, and every write compiles', async () => {
    for (const q of preparedQueries()) {
      const args = sampleArgs(q.params);
      if ('columns' in q && q.columns) {
        const result = await client.execute({ sql: q.sql, args });
        expect(result.columns, q.name).toEqual(q.columns);
      } else {
        // Prepared (compiled against the schema), never stepped. (`explain` through the client would
        // leave a write transaction open on its connection: a quirk of the engine.)
        const engine = new Engine(path.join(dir, 'plans.db'));
        try {
          expect(() => engine.prepare(q.sql), q.name).not.toThrow();
        } finally {
          engine.close();
        }
      }
    }
  });

  it('both runners decode a row exactly as drizzle does', async () => {
    const now = new Date(1_700_000_000_123);
    const [ops, someone] = [crypto.randomUUID(), crypto.randomUUID()];
    await db.insert(users).values([
      {
        id: ops,
        username: 'plan-ops',
        email: 'plan-ops@example.com',
        passwordHash: 'h',
        role: 'ops',
        tokensValidAfter: now,
        createdAt: now,
      },
      {
        id: someone,
        username: 'plan-c',
        email: 'plan-c@example.com',
        passwordHash: 'h',
        role: 'client',
        tokensValidAfter: now,
        createdAt: now,
      },
    ]);
    const fileId = crypto.randomUUID();
    await db.insert(files).values({
      id: fileId,
      filename: 'a.docx',
      contentType: 'x',
      size: 5,
      storageKey: `files/${fileId}`,
      status: 'ready',
      rejectionReason: null,
      sharedWithAllClients: true,
      uploadedBy: ops,
      uploadExpiresAt: now,
      createdAt: now,
      readyAt: now,
    });
    const native = nativeRunner(path.join(dir, 'plans.db'), { busyTimeoutMs: 1000 });
    try {
      const expectedUser = await db.query.users.findFirst({ where: eq(users.id, someone) });
      const [expectedFile] = await db
        .select({ ...getTableColumns(files), uploaderUsername: users.username })
        .from(files)
        .innerJoin(users, eq(users.id, files.uploadedBy))
        .where(eq(files.id, fileId));
      for (const runner of [clientRunner(client), native]) {
        expect(await findUserById(runner, someone)).toEqual(expectedUser);
        expect(await findUserById(runner, 'nobody')).toBeUndefined();
        const viewer = { id: someone, role: 'client' as const, status: 'active' as const };
        expect(await findVisibleFile(runner, fileId, viewer)).toEqual(expectedFile);
        expect((await listFiles(runner, viewer, { limit: 10 })).items).toEqual([expectedFile]);
        expect((await listFiles(runner, { id: ops, role: 'ops', status: 'active' }, { limit: 10 })).items).toEqual([expectedFile]);
      }
      expect(expectedFile?.sharedWithAllClients).toBe(true);
      expect(expectedFile?.createdAt).toEqual(now);
    } finally {
      native.close();
    }
  });
});
