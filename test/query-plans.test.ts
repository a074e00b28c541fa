import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Client, createClient } from '@libsql/client';
import { asc, eq, getTableColumns, lte, or, type SQL, sql } from 'drizzle-orm';
import { SQLiteAsyncDialect } from 'drizzle-orm/sqlite-core';
import Engine from 'libsql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeRunner } from '../runtime/node-sql';
import { migrateDatabase } from '../scripts/lib/data-dir';
import { createDatabase, type Database } from '../shared/db/client';
import { clientRunner, type PreparedSelect, preparedQueries } from '../shared/db/prepared';
import {
  clientGroups,
  downloads,
  fileGrants,
  files,
  groupGrants,
  groupMembers,
  rateLimits,
  shareNotices,
  users,
} from '../shared/db/schema';
import { recordDownload } from '../shared/downloads';
import { findVisibleFile, listFiles } from '../shared/files';
import { claimQuery } from '../shared/outbox';
import { noticesBeforeJoining, noticesBeforeShare, noticesOnceReady } from '../shared/share-notices';
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
  const values: Record<string, unknown> = {
    take: 51,
    cursorAt: Date.now(),
    at: Date.now(),
    now: Date.now(),
    maxDownloads: 3,
    ids: JSON.stringify(['x', 'y']),
  };
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
    // `access` is the combined terms of one file, or of a page's files: one row per file.
    .filter((line) => line !== 'SCAN page' && line !== 'SCAN access')
    // A list of ids handed over as one JSON array (json_each): the list itself, not a table.
    .filter((line) => !/^SCAN \w+ VIRTUAL TABLE/.test(line))
    // The clients a share reaches, gathered from its lists and its groups' members first.
    .filter((line) => line !== 'SCAN reached')
    // The one row an `insert … select` without a table makes.
    .filter((line) => line !== 'SCAN CONSTANT ROW')
    .filter((line) => /^SCAN \w+$/.test(line) || /^SCAN \w+ (?!USING)/.test(line));

describe('query plans of the hot paths', () => {
  it('the control: a lookup by an unindexed column is reported as a full scan', async () => {
    expect(fullScans(await plan(db.select().from(files).where(eq(files.filename, 'x'))))).toEqual(['SCAN files']);
  });

  it("a client's page: all three branches walk an index, with or without a cursor, and the rows come by primary key", async () => {
    for (const name of ['clientPage', 'clientPageAfter']) {
      const p = await planPrepared(name);
      expect(p).toContain('files_shared_all_idx');
      expect(p).toContain('file_grants_user_idx');
      // The group branch starts from the client's memberships, then each group's grants in file order.
      expect(p).toMatch(
        /SEARCH gm USING COVERING INDEX group_members_user_idx \(user_id=\?\)\nSEARCH gg USING INDEX group_grants_group_idx/,
      );
      expect(fullScans(p)).toEqual([]);
    }
    const after = await planPrepared('clientPageAfter');
    expect(after).toContain('group_grants_group_idx (group_id=? AND (file_created_at,file_id)<(?,?))');
  });

  it("one file for a client, and a page's terms: every way of sharing by primary key, downloads counted by their index", async () => {
    const one = await planPrepared('visibleFileById');
    expect(one).toContain('SEARCH af USING INDEX sqlite_autoindex_files_1 (id=?)');
    expect(one).toContain('SEARCH ag USING INDEX sqlite_autoindex_file_grants_1 (file_id=? AND user_id=?)');
    expect(one).toContain('sqlite_autoindex_group_members_1 (group_id=? AND user_id=?)');
    expect(one).toContain('SEARCH files USING INDEX sqlite_autoindex_files_1 (id=?)');
    expect(one).toContain('downloads_file_user_idx (file_id=? AND user_id=?)');
    expect(fullScans(one)).toEqual([]);
    const page = await planPrepared('accessOfFiles');
    expect(page).toContain('SEARCH agm USING COVERING INDEX group_members_user_idx (user_id=?)');
    expect(page).toContain('sqlite_autoindex_group_grants_1 (file_id=? AND group_id=?)');
    expect(page).toContain('downloads_file_user_idx (file_id=? AND user_id=?)');
    expect(fullScans(page)).toEqual([]);
  });

  it('a redemption counts the downloads of one client and file by their index, in the statement that records it', async () => {
    const p = await planPrepared('insertDownload');
    expect(p).toContain('downloads_file_user_idx (file_id=? AND user_id=?)');
    expect(fullScans(p)).toEqual([]);
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
      'accessOfFiles',
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

  it('share notices start from the clients a change reaches, and the sweep finds the due ones by their index', async () => {
    const now = new Date();
    const raw = (q: unknown) =>
      explain(...(Object.values((q as { getQuery(): { sql: string; params: unknown[] } }).getQuery()) as [string, unknown[]]));
    const named = raw(noticesBeforeShare(db, 'f', { clientIds: ['a'], groupIds: ['g'], allClients: false }, now));
    expect(named).toContain('SEARCH users USING INDEX sqlite_autoindex_users_1 (id=?)');
    expect(named).not.toContain('users_role_status_idx');
    expect(fullScans(named)).toEqual([]);
    // "All clients" reaches every active client: that walk is the point, by its index.
    expect(raw(noticesBeforeShare(db, 'f', { clientIds: [], groupIds: [], allClients: true }, now))).toContain(
      'users_role_status_idx (role=? AND status=?)',
    );
    const joining = raw(noticesBeforeJoining(db, 'g', ['a'], now));
    expect(joining).toContain('group_grants_group_idx (group_id=?)');
    expect(fullScans(joining)).toEqual([]);
    const ready = raw(noticesOnceReady(db, 'f', now));
    expect(ready).toContain('sqlite_autoindex_file_grants_1 (file_id=?)');
    expect(fullScans(ready)).toEqual([]);
    const due = await plan(
      db
        .select({ userId: shareNotices.userId })
        .from(shareNotices)
        .where(lte(shareNotices.createdAt, now))
        .orderBy(asc(shareNotices.createdAt))
        .limit(1000),
    );
    expect(due).toContain('share_notices_created_idx (created_at<?)');
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
        const access = { expiresAt: null, maxDownloads: null, used: 0 };
        expect(await findVisibleFile(runner, fileId, viewer, new Date())).toEqual({ ...expectedFile, access });
        expect((await listFiles(runner, viewer, { limit: 10, now: new Date() })).items).toEqual([{ ...expectedFile, access }]);
        const opsViewer = { id: ops, role: 'ops' as const, status: 'active' as const };
        expect((await listFiles(runner, opsViewer, { limit: 10, now: new Date() })).items).toEqual([expectedFile]);
      }
      expect(expectedFile?.sharedWithAllClients).toBe(true);
      expect(expectedFile?.createdAt).toEqual(now);
    } finally {
      native.close();
    }
  });
});

describe('the rule, on both runners: grants in force combine to the most generous', () => {
  it('group and direct grants and "all clients", each with its end and limit; ended grants drop out', async () => {
    const t0 = new Date(1_800_000_000_000);
    const hour = 3_600_000;
    const at = (h: number) => new Date(t0.getTime() + h * hour);
    const [ops, carol, group] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    const user = (id: string, name: string, role: 'ops' | 'client') => ({
      id,
      username: name,
      email: `${name}@example.com`,
      passwordHash: 'h',
      role,
      tokensValidAfter: t0,
      createdAt: t0,
    });
    await db.insert(users).values([user(ops, 'rule-ops', 'ops'), user(carol, 'rule-carol', 'client')]);
    const file = (id: string, extra: Partial<typeof files.$inferInsert> = {}) => ({
      id,
      filename: `${id}.docx`,
      contentType: 'x',
      size: 5,
      storageKey: `files/${id}`,
      status: 'ready' as const,
      uploadedBy: ops,
      uploadExpiresAt: t0,
      createdAt: t0,
      readyAt: t0,
      ...extra,
    });
    const [viaGroup, viaBoth, viaAll, ended] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    await db
      .insert(files)
      .values([
        file(viaGroup),
        file(viaBoth),
        file(viaAll, { sharedWithAllClients: true, allClientsExpiresAt: at(5), allClientsMaxDownloads: 2 }),
        file(ended, { expiresAt: at(1) }),
      ]);
    await db.insert(clientGroups).values({ id: group, name: 'Rule', nameKey: 'rule', createdAt: t0 });
    await db.insert(groupMembers).values({ groupId: group, userId: carol, addedAt: t0 });
    await db.insert(groupGrants).values([
      { fileId: viaGroup, groupId: group, fileCreatedAt: t0, expiresAt: at(2), maxDownloads: 1 },
      { fileId: viaBoth, groupId: group, fileCreatedAt: t0, expiresAt: null, maxDownloads: 5 },
      { fileId: ended, groupId: group, fileCreatedAt: t0, expiresAt: null, maxDownloads: null },
    ]);
    await db.insert(fileGrants).values({ fileId: viaBoth, userId: carol, fileCreatedAt: t0, expiresAt: at(3), maxDownloads: 9 });

    const native = nativeRunner(path.join(dir, 'plans.db'), { busyTimeoutMs: 1000 });
    try {
      for (const runner of [clientRunner(client), native]) {
        const viewer = { id: carol, role: 'client' as const, status: 'active' as const };
        const access = async (id: string, now: Date) => (await findVisibleFile(runner, id, viewer, now))?.access;
        const mine = new Set<string>([viaGroup, viaBoth, viaAll, ended]);
        const listed = async (now: Date) =>
          Object.fromEntries(
            (await listFiles(runner, viewer, { limit: 10, now })).items.filter((f) => mine.has(f.id)).map((f) => [f.id, f.access]),
          );

        expect(await access(viaGroup, at(0))).toEqual({ expiresAt: at(2), maxDownloads: 1, used: 0 });
        // A direct grant (ends at 3, 9 downloads) and a group grant (no end, 5): no end, 9.
        expect(await access(viaBoth, at(0))).toEqual({ expiresAt: null, maxDownloads: 9, used: 0 });
        expect(await access(viaAll, at(0))).toEqual({ expiresAt: at(5), maxDownloads: 2, used: 0 });
        expect(await access(ended, at(0))).toEqual({ expiresAt: null, maxDownloads: null, used: 0 });
        // The list gives the same terms.
        expect(await listed(at(0))).toEqual({
          [viaGroup]: { expiresAt: at(2), maxDownloads: 1, used: 0 },
          [viaBoth]: { expiresAt: null, maxDownloads: 9, used: 0 },
          [viaAll]: { expiresAt: at(5), maxDownloads: 2, used: 0 },
          [ended]: { expiresAt: null, maxDownloads: null, used: 0 },
        });

        // Hours later: the file's own end, the group grant's end and the direct grant's end have passed.
        expect(await access(ended, at(1))).toBeUndefined();
        expect(await access(viaGroup, at(2))).toBeUndefined();
        expect(await access(viaBoth, at(4))).toEqual({ expiresAt: null, maxDownloads: 5, used: 0 });
        expect(await access(viaAll, at(5))).toBeUndefined();
        expect(Object.keys(await listed(at(6)))).toEqual([viaBoth]);

        // Out of the group: only the direct grant is left, until it ends.
        await db.delete(groupMembers).where(eq(groupMembers.userId, carol));
        expect(await access(viaBoth, at(0))).toEqual({ expiresAt: at(3), maxDownloads: 9, used: 0 });
        expect(await access(viaBoth, at(4))).toBeUndefined();
        await db.insert(groupMembers).values({ groupId: group, userId: carol, addedAt: t0 });
      }

      // The limit is counted in the statement that records a download.
      for (const runner of [clientRunner(client), native]) {
        const results = [];
        for (let i = 0; i < 3; i++)
          results.push(await recordDownload(runner, { fileId: viaAll, userId: carol, at: at(0), maxDownloads: 2 }));
        expect(results).toEqual(runner === native ? [false, false, false] : [true, true, false]);
      }
      const viewer = { id: carol, role: 'client' as const, status: 'active' as const };
      expect((await findVisibleFile(native, viaAll, viewer, at(0)))?.access).toEqual({ expiresAt: at(5), maxDownloads: 2, used: 2 });
    } finally {
      native.close();
    }
  });
});
