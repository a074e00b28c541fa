import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from './db/client';
import { type FileRow, type FileStatus, fileGrants, files, type Role, users } from './db/schema';
import { causes } from './error-chain';
import { ApiError } from './errors';

/** Files, their grants and the queries the endpoints need; every visibility rule lives here. */

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

const withUploader = { ...getFileColumns(), uploaderUsername: users.username };
function getFileColumns() {
  return {
    id: files.id,
    filename: files.filename,
    contentType: files.contentType,
    size: files.size,
    storageKey: files.storageKey,
    status: files.status,
    rejectionReason: files.rejectionReason,
    sharedWithAllClients: files.sharedWithAllClients,
    uploadedBy: files.uploadedBy,
    uploadExpiresAt: files.uploadExpiresAt,
    createdAt: files.createdAt,
    readyAt: files.readyAt,
  };
}

export async function insertPendingFile(
  db: Database,
  row: Omit<FileRow, 'status' | 'rejectionReason' | 'readyAt' | 'sharedWithAllClients'>,
): Promise<FileRow> {
  const full: FileRow = { ...row, status: 'pending', rejectionReason: null, readyAt: null, sharedWithAllClients: false };
  await db.insert(files).values(full);
  return full;
}

/** Any file, for ops. */
export async function findFile(db: Database, id: string): Promise<FileWithUploader | undefined> {
  const [row] = await db.select(withUploader).from(files).innerJoin(users, eq(users.id, files.uploadedBy)).where(eq(files.id, id)).limit(1);
  return row;
}

/** A client sees a file only when it is ready and shared with it, directly or with all clients. */
const visibleToClient = (clientId: string) =>
  and(
    eq(files.status, 'ready'),
    sql`(${files.sharedWithAllClients} = 1 or exists (select 1 from ${fileGrants} where ${fileGrants.fileId} = ${files.id} and ${fileGrants.userId} = ${clientId}))`,
  );

/** The file as the viewer may see it; undefined (→ 404) for anything a client may not see. */
export async function findVisibleFile(db: Database, id: string, viewer: Viewer): Promise<FileWithUploader | undefined> {
  if (viewer.role === 'ops') return findFile(db, id);
  const [row] = await db
    .select(withUploader)
    .from(files)
    .innerJoin(users, eq(users.id, files.uploadedBy))
    .where(and(eq(files.id, id), visibleToClient(viewer.id)))
    .limit(1);
  return row;
}

export interface Cursor {
  createdAt: number;
  id: string;
}

export const encodeCursor = (c: Cursor) =>
  btoa(JSON.stringify([c.createdAt, c.id]))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

export function decodeCursor(value: string): Cursor {
  const invalid = () =>
    new ApiError(400, 'validation_failed', 'The cursor is not one this API issued.', {
      errors: [{ path: 'cursor', message: 'is invalid' }],
    });
  try {
    const parsed: unknown = JSON.parse(atob(value.replace(/-/g, '+').replace(/_/g, '/')));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      Number.isSafeInteger(parsed[0]) &&
      typeof parsed[1] === 'string' &&
      parsed[1].length <= 64
    ) {
      return { createdAt: parsed[0] as number, id: parsed[1] };
    }
  } catch {
    // fall through
  }
  throw invalid();
}

/**
 * Newest first, keyset-paginated on (createdAt, id): a page never repeats or skips a row, even
 * while files are added. A client's list is the union of two index-ordered branches (files
 * shared with all clients; files granted to it), each limited, then merged.
 */
export async function listFiles(
  db: Database,
  viewer: Viewer,
  options: { limit: number; cursor?: Cursor },
): Promise<{ items: FileWithUploader[]; nextCursor: string | null }> {
  const take = options.limit + 1;
  const c = options.cursor;
  let rows: FileWithUploader[];
  if (viewer.role === 'ops') {
    rows = await db
      .select(withUploader)
      .from(files)
      .innerJoin(users, eq(users.id, files.uploadedBy))
      .where(c ? sql`(${files.createdAt}, ${files.id}) < (${c.createdAt}, ${c.id})` : undefined)
      .orderBy(sql`${files.createdAt} desc, ${files.id} desc`)
      .limit(take);
  } else {
    const ids = await db.all<{ id: string }>(clientPageQuery(viewer.id, take, c));
    const wanted = ids.map((r) => r.id);
    const found = wanted.length
      ? await db.select(withUploader).from(files).innerJoin(users, eq(users.id, files.uploadedBy)).where(inArray(files.id, wanted))
      : [];
    const byId = new Map(found.map((r) => [r.id, r]));
    rows = wanted.map((id) => byId.get(id)).filter((r): r is FileWithUploader => r !== undefined);
  }
  const page = rows.slice(0, options.limit);
  const last = page[page.length - 1];
  return {
    items: page,
    nextCursor: rows.length > options.limit && last ? encodeCursor({ createdAt: last.createdAt.getTime(), id: last.id }) : null,
  };
}

/**
 * The ids of one page of a client's files: the union of two index-ordered branches (shared with
 * all clients; granted to this client), each limited, then merged. Exported so a test can check
 * its query plan: neither branch may scan a table.
 */
export function clientPageQuery(clientId: string, take: number, c?: Cursor) {
  const before = (createdAt: unknown, id: unknown) => (c ? sql`and (${createdAt}, ${id}) < (${c.createdAt}, ${c.id})` : sql``);
  return sql`
    select id, created_at from (
      select f.id as id, f.created_at as created_at from files f
      where f.status = 'ready' and f.shared_with_all_clients = 1 ${before(sql`f.created_at`, sql`f.id`)}
      order by f.created_at desc, f.id desc limit ${take}
    )
    union all
    select id, created_at from (
      select g.file_id as id, g.file_created_at as created_at from file_grants g
      join files f on f.id = g.file_id
      where g.user_id = ${clientId} and f.status = 'ready' and f.shared_with_all_clients = 0 ${before(sql`g.file_created_at`, sql`g.file_id`)}
      order by g.file_created_at desc, g.file_id desc limit ${take}
    )
    order by created_at desc, id desc limit ${take}`;
}

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

/** Code-unit order, the same as SQLite's default collation, so both sharing routes agree. */
const byUsername = (a: { username: string }, b: { username: string }) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0);

function isForeignKeyViolation(error: unknown): boolean {
  for (const e of causes(error)) {
    if (/FOREIGN KEY constraint failed/i.test(e.message)) return true;
  }
  return false;
}

export interface Sharing {
  allClients: boolean;
  clients: Array<{ id: string; username: string }>;
}

export async function getSharing(db: Database, file: { id: string; sharedWithAllClients: boolean }): Promise<Sharing> {
  const clients = await db
    .select({ id: users.id, username: users.username })
    .from(fileGrants)
    .innerJoin(users, eq(users.id, fileGrants.userId))
    .where(eq(fileGrants.fileId, file.id))
    .orderBy(asc(users.username));
  return { allClients: file.sharedWithAllClients, clients: clients.sort(byUsername) };
}

/**
 * Replaces the whole grant set in one atomic batch. Every username must name an existing
 * client; otherwise nothing changes and the answer lists the ones that do not.
 */
export async function replaceSharing(
  db: Database,
  file: FileRow | FileWithUploader,
  input: { allClients: boolean; clients: string[] },
): Promise<Sharing> {
  const usernames = [...new Set(input.clients)];
  const found = usernames.length
    ? await db.select({ id: users.id, username: users.username, role: users.role }).from(users).where(inArray(users.username, usernames))
    : [];
  const byName = new Map(found.map((u) => [u.username, u]));
  const errors = input.clients.flatMap((name, index) => {
    const user = byName.get(name);
    if (!user) return [{ path: `clients.${index}`, message: `no client is called "${name}"` }];
    if (user.role !== 'client')
      return [{ path: `clients.${index}`, message: `"${name}" is not a client; only clients can be granted files` }];
    return [];
  });
  if (errors.length > 0) {
    throw new ApiError(400, 'validation_failed', 'Some usernames are not clients; nothing was changed.', { errors });
  }
  const grants = usernames.map((name) => ({
    fileId: file.id,
    userId: (byName.get(name) as { id: string }).id,
    fileCreatedAt: file.createdAt,
  }));
  try {
    await db.batch([
      db.update(files).set({ sharedWithAllClients: input.allClients }).where(eq(files.id, file.id)),
      db.delete(fileGrants).where(eq(fileGrants.fileId, file.id)),
      ...(grants.length ? [db.insert(fileGrants).values(grants)] : []),
    ]);
  } catch (error) {
    // The file (or a client) was deleted between the checks and the batch: nothing was written.
    if (isForeignKeyViolation(error)) throw new ApiError(404, 'not_found', 'No such resource.');
    throw error;
  }
  return {
    allClients: input.allClients,
    clients: usernames.map((name) => ({ id: (byName.get(name) as { id: string }).id, username: name })).sort(byUsername),
  };
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
