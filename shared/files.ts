import { type AnyColumn, and, eq, getTableColumns, inArray, type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import { type Cursor, encodeCursor } from './cursor';
import type { Database } from './db/client';
import { param, preparedSelect, preparedSelectSql, type SqlRunner } from './db/prepared';
import { type FileRow, type FileStatus, fileGrants, files, type Role, type UserStatus, users } from './db/schema';

/**
 * File rows, the queries the endpoints need, and the one rule for which files a viewer may see.
 * Who a file is shared with is in sharing.ts; the list's cursor in cursor.ts.
 */

export interface PublicFile {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  status: FileStatus;
  rejectionReason: string | null;
  sharedWithAllClients: boolean;
  uploadedBy: { id: string; username: string };
  createdAt: string;
  readyAt: string | null;
}

export interface Viewer {
  id: string;
  role: Role;
  status: UserStatus;
}

type FileWithUploader = FileRow & { uploaderUsername: string };

export const toPublicFile = (row: FileWithUploader): PublicFile => ({
  id: row.id,
  filename: row.filename,
  contentType: row.contentType,
  size: row.size,
  status: row.status,
  rejectionReason: row.rejectionReason,
  sharedWithAllClients: row.sharedWithAllClients,
  uploadedBy: { id: row.uploadedBy, username: row.uploaderUsername },
  createdAt: row.createdAt.toISOString(),
  readyAt: row.readyAt ? row.readyAt.toISOString() : null,
});

const withUploader = { ...getTableColumns(files), uploaderUsername: users.username };

/*
 * Which files a viewer may see: the one rule that listing, showing and link redemption all go
 * through. Ops see every file. An active client sees a file only when it is ready and shared with
 * it, directly or with all clients; a client that is not active (pending approval, unverified,
 * disabled) sees none. Any other file is, to a client, one that does not exist (→ 404).
 *
 * A client's half is built from the parts below, over any alias of `files` and `file_grants`, so
 * the check of one file (`visibleTo`) and a page of the list (`clientPageQuery`, which walks each
 * way of sharing by its own index) cannot come to disagree.
 */
const seesEveryFile = (viewer: Viewer) => viewer.role === 'ops';
const seesNoFile = (viewer: Viewer) => viewer.role !== 'ops' && viewer.status !== 'active';
const isReady = (file: { status: AnyColumn }) => sql`${file.status} = 'ready'`;
const isSharedWithAllClients = (file: { sharedWithAllClients: AnyColumn }) => sql`${file.sharedWithAllClients} = 1`;
const isGrantedTo = (grant: { userId: AnyColumn }, clientId: SQLWrapper) => sql`${grant.userId} = ${clientId}`;

/** The rule as a condition on `files` for a client, whose id is the `viewerId` parameter. */
const visibleToClient = (): SQL =>
  sql`${isReady(files)} and (${isSharedWithAllClients(files)} or exists (select 1 from ${fileGrants} where ${fileGrants.fileId} = ${files.id} and ${isGrantedTo(fileGrants, param('viewerId'))}))`;

export async function insertPendingFile(
  db: Database,
  row: Omit<FileRow, 'status' | 'rejectionReason' | 'readyAt' | 'sharedWithAllClients'>,
): Promise<FileRow> {
  const full: FileRow = { ...row, status: 'pending', rejectionReason: null, readyAt: null, sharedWithAllClients: false };
  await db.insert(files).values(full);
  return full;
}

/*
 * The queries every file request runs, prepared once (db/prepared.ts): the same SQL on both
 * runtimes, run by the runtime's SqlRunner.
 */
const fileById = preparedSelect('fileById', withUploader, (q) =>
  q
    .from(files)
    .innerJoin(users, eq(users.id, files.uploadedBy))
    .where(eq(files.id, param('id'))),
);
const visibleFileById = preparedSelect('visibleFileById', withUploader, (q) =>
  q
    .from(files)
    .innerJoin(users, eq(users.id, files.uploadedBy))
    .where(and(eq(files.id, param('id')), visibleToClient())),
);

/** Any file, for ops. */
export function findFile(runner: SqlRunner, id: string): Promise<FileWithUploader | undefined> {
  return fileById.first(runner, { id });
}

/** The file as the viewer may see it; undefined (→ 404) for anything a client may not see. */
export async function findVisibleFile(runner: SqlRunner, id: string, viewer: Viewer): Promise<FileWithUploader | undefined> {
  if (seesNoFile(viewer)) return undefined;
  return seesEveryFile(viewer) ? fileById.first(runner, { id }) : visibleFileById.first(runner, { id, viewerId: viewer.id });
}

/**
 * Newest first, keyset-paginated on (createdAt, id): a page never repeats or skips a row, even
 * while files are added. A client's list is the union of two index-ordered branches (files
 * shared with all clients; files granted to it), each limited, then merged.
 */
export async function listFiles(
  runner: SqlRunner,
  viewer: Viewer,
  options: { limit: number; cursor?: Cursor },
): Promise<{ items: FileWithUploader[]; nextCursor: string | null }> {
  if (seesNoFile(viewer)) return { items: [], nextCursor: null };
  const take = options.limit + 1;
  const c = options.cursor;
  const cursor = c ? { cursorAt: c.createdAt, cursorId: c.id } : {};
  const rows = seesEveryFile(viewer)
    ? await (c ? opsPageAfter : opsPage).all(runner, { take, ...cursor } as never)
    : await (c ? clientPageAfter : clientPage).all(runner, { take, viewerId: viewer.id, ...cursor } as never);
  const page = rows.slice(0, options.limit);
  const last = page[page.length - 1];
  return {
    items: page,
    nextCursor: rows.length > options.limit && last ? encodeCursor({ createdAt: last.createdAt.getTime(), id: last.id }) : null,
  };
}

const f = alias(files, 'f');
const g = alias(fileGrants, 'g');
const before = (createdAt: AnyColumn, id: AnyColumn) => sql`(${createdAt}, ${id}) < (${param('cursorAt')}, ${param('cursorId')})`;

/** Ops' page: every file, walking the (created_at, id) index. */
const opsPageQuery = (afterCursor: boolean) =>
  preparedSelect(afterCursor ? 'opsPageAfter' : 'opsPage', withUploader, (q) =>
    q
      .from(files)
      .innerJoin(users, eq(users.id, files.uploadedBy))
      .where(afterCursor ? before(files.createdAt, files.id) : undefined)
      .orderBy(sql`${files.createdAt} desc, ${files.id} desc`)
      .limit(param('take') as unknown as number),
  );

/**
 * A client's page, one statement: the union of two index-ordered branches (shared with all
 * clients; granted to this client), each limited, merged, then joined to the rows. Its query plan
 * is tested: neither branch may scan a table.
 */
const clientPageQuery = (afterCursor: boolean) =>
  preparedSelectSql(afterCursor ? 'clientPageAfter' : 'clientPage', withUploader, (list) => {
    const after = (createdAt: AnyColumn, id: AnyColumn) => (afterCursor ? sql`and ${before(createdAt, id)}` : sql``);
    // The grant branch takes only files not shared with all clients, so none is listed twice.
    return sql`
    select ${list} from (
      select id, created_at from (
        select ${f.id} as id, ${f.createdAt} as created_at from ${files} ${f}
        where ${isReady(f)} and ${isSharedWithAllClients(f)} ${after(f.createdAt, f.id)}
        order by ${f.createdAt} desc, ${f.id} desc limit ${param('take')}
      )
      union all
      select id, created_at from (
        select ${g.fileId} as id, ${g.fileCreatedAt} as created_at from ${fileGrants} ${g}
        join ${files} ${f} on ${f.id} = ${g.fileId}
        where ${isGrantedTo(g, param('viewerId'))} and ${isReady(f)} and ${f.sharedWithAllClients} = 0 ${after(g.fileCreatedAt, g.fileId)}
        order by ${g.fileCreatedAt} desc, ${g.fileId} desc limit ${param('take')}
      )
      order by created_at desc, id desc limit ${param('take')}
    ) page
    join ${files} on ${files.id} = page.id
    join ${users} on ${users.id} = ${files.uploadedBy}
    order by page.created_at desc, page.id desc`;
  });

const opsPage = opsPageQuery(false);
const opsPageAfter = opsPageQuery(true);
const clientPage = clientPageQuery(false);
const clientPageAfter = clientPageQuery(true);

/**
 * How long after its upload URL expires a pending file may still be completed; the sweep only
 * removes pending files older than that, so the two never act on the same file.
 */
export const UPLOAD_GRACE_SECONDS = 300;

/**
 * pending → ready with the verified copy's key, only if still pending and not yet due for the
 * sweep: of two racing completions, or a completion racing the sweep, exactly one wins.
 */
export async function markReady(db: Database, id: string, storageKey: string, now: Date): Promise<boolean> {
  const sweepCutoff = now.getTime() - UPLOAD_GRACE_SECONDS * 1000;
  const result = await db
    .update(files)
    .set({ status: 'ready', readyAt: now, storageKey })
    .where(and(eq(files.id, id), eq(files.status, 'pending'), sql`${files.uploadExpiresAt} >= ${sweepCutoff}`));
  return result.rowsAffected === 1;
}

export async function markRejected(db: Database, id: string, reason: string): Promise<boolean> {
  const result = await db
    .update(files)
    .set({ status: 'rejected', rejectionReason: reason })
    .where(and(eq(files.id, id), eq(files.status, 'pending')));
  return result.rowsAffected === 1;
}

/** Deletes the row and its grants in one batch (so every link dies at once); returns its storage key. */
export async function deleteFileRow(db: Database, id: string): Promise<string | null> {
  const [row] = await db.select({ storageKey: files.storageKey }).from(files).where(eq(files.id, id)).limit(1);
  if (!row) return null;
  await db.batch([db.delete(fileGrants).where(eq(fileGrants.fileId, id)), db.delete(files).where(eq(files.id, id))]);
  return row.storageKey;
}

/**
 * Deletes pending files whose upload URL expired more than the grace period before `now`, and
 * returns their storage keys. Rows go first, in one statement that re-checks `pending`, so a
 * completion that won the race keeps its file; the objects are deleted after.
 */
export async function deleteExpiredPendingFiles(db: Database, now: Date, limit: number): Promise<string[]> {
  const cutoff = now.getTime() - UPLOAD_GRACE_SECONDS * 1000;
  const rows = await db.all<{ storage_key: string }>(sql`
    delete from ${files}
    where ${files.id} in (select ${files.id} from ${files} where ${files.status} = 'pending' and ${files.uploadExpiresAt} < ${cutoff} limit ${limit})
      and ${files.status} = 'pending'
    returning ${files.storageKey}`);
  return rows.map((r) => r.storage_key);
}

/** The storage keys among `keys` that a pending or ready row still owns. */
export async function ownedStorageKeys(db: Database, keys: string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await db
    .select({ storageKey: files.storageKey })
    .from(files)
    .where(and(inArray(files.storageKey, keys), inArray(files.status, ['pending', 'ready'])));
  return new Set(rows.map((r) => r.storageKey));
}
