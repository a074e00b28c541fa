import { type AnyColumn, and, eq, getTableColumns, inArray, isNotNull, lte, type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import { type Cursor, encodeCursor } from './cursor';
import type { Database } from './db/client';
import { param, preparedSelect, preparedSelectSql, type SqlRunner } from './db/prepared';
import {
  downloads,
  type FileRow,
  type FileStatus,
  fileGrants,
  files,
  groupGrants,
  groupMembers,
  type Role,
  shareNotices,
  type UserStatus,
  users,
} from './db/schema';

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
  expiresAt: string | null;
  /** A client's own terms; absent for ops. */
  access?: { expiresAt: string | null; downloadsRemaining: number | null };
}

export interface Viewer {
  id: string;
  role: Role;
  status: UserStatus;
}

/**
 * What a client's grants in force on one file add up to (see `combinedTerms`), and how many
 * downloads of it the client has made.
 */
export interface Access {
  expiresAt: Date | null;
  maxDownloads: number | null;
  used: number;
}

export type FileWithUploader = FileRow & { uploaderUsername: string };
/** A file as a viewer may see it: for a client, with its terms. */
export type VisibleFile = FileWithUploader & { access?: Access };

/** The sooner of two ends, null being no end. */
export const earliest = (a: Date | null, b: Date | null) => (a && b ? (a < b ? a : b) : (a ?? b));

/** The downloads left under `access` (null: no limit). */
export const downloadsRemaining = (access: Pick<Access, 'maxDownloads' | 'used'>): number | null =>
  access.maxDownloads === null ? null : Math.max(0, access.maxDownloads - access.used);

export const toPublicFile = (row: VisibleFile): PublicFile => ({
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
  expiresAt: row.expiresAt ? row.expiresAt.toISOString() : null,
  ...(row.access
    ? {
        access: {
          // The client's access ends with its grants or with the file, whichever comes first.
          expiresAt: earliest(row.expiresAt, row.access.expiresAt)?.toISOString() ?? null,
          downloadsRemaining: downloadsRemaining(row.access),
        },
      }
    : {}),
});

const withUploader = { ...getTableColumns(files), uploaderUsername: users.username };

/*
 * Which files a viewer may see, and on what terms: the one rule that listing, showing, issuing
 * and redeeming links, the notices and ops' "who has access" all go through. Ops see every
 * file. An active client sees a file only when the file is ready and not past its own expiry,
 * and at least one grant of it is in force (not past its `expires_at`):
 *
 *   - "all clients" on the file;
 *   - a grant to the client by name (file_grants);
 *   - a grant to a group the client is a member of now (group_grants × group_members).
 *
 * A client that is not active (pending approval, unverified, disabled) sees none. Any other file
 * is, to a client, one that does not exist (→ 404). Nothing is cached: membership, grants and
 * the account are read on every request, so a change takes effect on the next one.
 *
 * When several grants are in force, their terms combine, each on its own, to the most generous:
 * no expiry beats any expiry, else the latest wins; no limit beats any limit, else the highest
 * wins. Downloads are counted per client and file, whichever grant allowed them. A grant that
 * ends drops out of the combination, so what is left applies from then on.
 *
 * The rule is built from the parts below, over any alias of the tables, so that the check of one
 * file, a page of the list (which walks each way of sharing by its own index), the terms of a
 * page, and the audience of a notice cannot come to disagree.
 */
const seesEveryFile = (viewer: Viewer) => viewer.role === 'ops';
const seesNoFile = (viewer: Viewer) => viewer.role !== 'ops' && viewer.status !== 'active';
/** A grant (or a file) with this end is in force at `at`. */
export const inForce = (expiresAt: AnyColumn, at: SQLWrapper) => sql`(${expiresAt} is null or ${expiresAt} > ${at})`;
/** A file a client may be shown at all. */
export const isAvailable = (file: { status: AnyColumn; expiresAt: AnyColumn }, at: SQLWrapper) =>
  sql`${file.status} = 'ready' and ${inForce(file.expiresAt, at)}`;
const isSharedWithAllClients = (file: { sharedWithAllClients: AnyColumn; allClientsExpiresAt: AnyColumn }, at: SQLWrapper) =>
  sql`${file.sharedWithAllClients} = 1 and ${inForce(file.allClientsExpiresAt, at)}`;
const isGrantedTo = (grant: { userId: AnyColumn; expiresAt: AnyColumn }, clientId: SQLWrapper, at: SQLWrapper) =>
  sql`${grant.userId} = ${clientId} and ${inForce(grant.expiresAt, at)}`;
const isGrantedToGroupOf = (
  grant: { groupId: AnyColumn; expiresAt: AnyColumn },
  member: { groupId: AnyColumn; userId: AnyColumn },
  clientId: SQLWrapper,
  at: SQLWrapper,
) => sql`${member.groupId} = ${grant.groupId} and ${member.userId} = ${clientId} and ${inForce(grant.expiresAt, at)}`;

/**
 * The rule as a condition on one file, for a client given as any SQL value (a parameter, or a
 * column when many clients are checked at once): available, and a grant in force.
 */
export function visibleToClient(file: typeof files, clientId: SQLWrapper, at: SQLWrapper): SQL {
  const g = alias(fileGrants, 'vg');
  const gg = alias(groupGrants, 'vgg');
  const gm = alias(groupMembers, 'vgm');
  return sql`(${isAvailable(file, at)} and (${isSharedWithAllClients(file, at)}
    or exists (select 1 from ${fileGrants} ${g} where ${g.fileId} = ${file.id} and ${isGrantedTo(g, clientId, at)})
    or exists (select 1 from ${groupGrants} ${gg} join ${groupMembers} ${gm} on ${isGrantedToGroupOf(gg, gm, clientId, at)} where ${gg.fileId} = ${file.id})))`;
}

/**
 * Every grant in force that lets the client see the files `which` picks (by file id), one row
 * each: (file_id, kind, group_id, expires_at, max_downloads), `kind` being 'all_clients',
 * 'direct' or 'group'. It says nothing about the file being available. `clientId` may be a
 * column of an outer query (ops' view of a file's audience computes it for each client).
 */
export function grantsInForce(which: (fileId: AnyColumn) => SQL, clientId: SQLWrapper, at: SQLWrapper): SQL {
  const f = alias(files, 'af');
  const g = alias(fileGrants, 'ag');
  const gg = alias(groupGrants, 'agg');
  const gm = alias(groupMembers, 'agm');
  return sql`
    select ${f.id} as file_id, 'all_clients' as kind, null as group_id, ${f.allClientsExpiresAt} as expires_at, ${f.allClientsMaxDownloads} as max_downloads
    from ${files} ${f} where ${which(f.id)} and ${isSharedWithAllClients(f, at)}
    union all
    select ${g.fileId}, 'direct', null, ${g.expiresAt}, ${g.maxDownloads} from ${fileGrants} ${g} where ${which(g.fileId)} and ${isGrantedTo(g, clientId, at)}
    union all
    select ${gg.fileId}, 'group', ${gg.groupId}, ${gg.expiresAt}, ${gg.maxDownloads}
    from ${groupMembers} ${gm} join ${groupGrants} ${gg} on ${isGrantedToGroupOf(gg, gm, clientId, at)} where ${which(gg.fileId)}`;
}

/** Those grants combined per file, the most generous term of each kind winning (null is "none": it beats any value). */
export const combinedTerms = (grants: SQL) => sql`
  select file_id,
    case when count(*) = count(expires_at) then max(expires_at) end as expires_at,
    case when count(*) = count(max_downloads) then max(max_downloads) end as max_downloads
  from (${grants}) group by file_id`;

const d = alias(downloads, 'd');
/** How many times the client downloaded the file (by downloads_file_user_idx). */
export const downloadsBy = (fileId: SQLWrapper, clientId: SQLWrapper) =>
  sql`(select count(*) from ${downloads} ${d} where ${d.fileId} = ${fileId} and ${d.userId} = ${clientId})`;

const toDate = (value: unknown) => (value === null || value === undefined ? null : new Date(Number(value)));
const toAccess = (row: { accessExpiresAt: unknown; accessMaxDownloads: unknown; downloadsUsed: unknown }): Access => ({
  expiresAt: toDate(row.accessExpiresAt),
  maxDownloads: row.accessMaxDownloads === null || row.accessMaxDownloads === undefined ? null : Number(row.accessMaxDownloads),
  used: Number(row.downloadsUsed ?? 0),
});

export async function insertPendingFile(
  db: Database,
  row: Omit<
    FileRow,
    'status' | 'rejectionReason' | 'readyAt' | 'sharedWithAllClients' | 'allClientsExpiresAt' | 'allClientsMaxDownloads' | 'expiresAt'
  > & { expiresAt?: Date | null },
): Promise<FileRow> {
  const full: FileRow = {
    ...row,
    status: 'pending',
    rejectionReason: null,
    readyAt: null,
    sharedWithAllClients: false,
    allClientsExpiresAt: null,
    allClientsMaxDownloads: null,
    expiresAt: row.expiresAt ?? null,
  };
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

/**
 * One file for a client: its combined terms in force (none: not visible), the file available, and
 * the client's downloads of it. The terms come first (CROSS JOIN keeps that order): each way of
 * sharing is then one primary-key lookup.
 */
const visibleFileById = preparedSelectSql(
  'visibleFileById',
  {
    ...withUploader,
    accessExpiresAt: sql`access.expires_at`.as('access_expires_at'),
    accessMaxDownloads: sql`access.max_downloads`.as('access_max_downloads'),
    downloadsUsed: sql`${downloadsBy(files.id, param('viewerId'))}`.as('downloads_used'),
  },
  (list) => sql`
    select ${list} from (${combinedTerms(grantsInForce((id) => sql`${id} = ${param('id')}`, param('viewerId'), param('now')))}) access
    cross join ${files} on ${files.id} = access.file_id
    join ${users} on ${users.id} = ${files.uploadedBy}
    where ${isAvailable(files, param('now'))}`,
);

/** The terms of a page's files for a client, in one statement: the ids come as one JSON array. */
const accessOfFiles = preparedSelectSql(
  'accessOfFiles',
  {
    fileId: sql`access.file_id`.as('file_id'),
    accessExpiresAt: sql`access.expires_at`.as('access_expires_at'),
    accessMaxDownloads: sql`access.max_downloads`.as('access_max_downloads'),
    downloadsUsed: sql`${downloadsBy(sql`access.file_id`, param('viewerId'))}`.as('downloads_used'),
  },
  (list) => sql`
    select ${list} from (${combinedTerms(
      grantsInForce((id) => sql`${id} in (select value from json_each(${param('ids')}))`, param('viewerId'), param('now')),
    )}) access`,
);

/** Any file, for ops. */
export function findFile(runner: SqlRunner, id: string): Promise<FileWithUploader | undefined> {
  return fileById.first(runner, { id });
}

/**
 * The file as the viewer may see it at `now`; undefined (→ 404) for anything a client may not
 * see. A client's comes with its terms (`access`).
 */
export async function findVisibleFile(runner: SqlRunner, id: string, viewer: Viewer, now: Date): Promise<VisibleFile | undefined> {
  if (seesNoFile(viewer)) return undefined;
  if (seesEveryFile(viewer)) return fileById.first(runner, { id });
  const row = await visibleFileById.first(runner, { id, viewerId: viewer.id, now });
  if (!row) return undefined;
  const { accessExpiresAt, accessMaxDownloads, downloadsUsed, ...file } = row;
  return { ...file, access: toAccess({ accessExpiresAt, accessMaxDownloads, downloadsUsed }) };
}

/**
 * Newest first, keyset-paginated on (createdAt, id): a page never repeats or skips a row, even
 * while files are added. A client's list is the union of three index-ordered branches (files
 * shared with all clients; granted to it; granted to its groups), each limited, then merged; its
 * terms come from one more statement for the page's ids.
 */
export async function listFiles(
  runner: SqlRunner,
  viewer: Viewer,
  options: { limit: number; cursor?: Cursor; now: Date },
): Promise<{ items: VisibleFile[]; nextCursor: string | null }> {
  if (seesNoFile(viewer)) return { items: [], nextCursor: null };
  const take = options.limit + 1;
  const c = options.cursor;
  const cursor = c ? { cursorAt: c.createdAt, cursorId: c.id } : {};
  const rows = seesEveryFile(viewer)
    ? await (c ? opsPageAfter : opsPage).all(runner, { take, ...cursor } as never)
    : await (c ? clientPageAfter : clientPage).all(runner, { take, viewerId: viewer.id, now: options.now, ...cursor } as never);
  const page = rows.slice(0, options.limit);
  const last = page[page.length - 1];
  const nextCursor = rows.length > options.limit && last ? encodeCursor({ createdAt: last.createdAt.getTime(), id: last.id }) : null;
  if (seesEveryFile(viewer) || page.length === 0) return { items: page, nextCursor };
  const terms = await accessOfFiles.all(runner, { ids: JSON.stringify(page.map((f) => f.id)), viewerId: viewer.id, now: options.now });
  const byId = new Map(terms.map((t) => [String(t.fileId), toAccess(t)]));
  // A file whose last grant ended between the two statements is left out, as the next page would.
  const items = page.flatMap((file) => {
    const access = byId.get(file.id);
    return access ? [{ ...file, access }] : [];
  });
  return { items, nextCursor };
}

const f = alias(files, 'f');
const g = alias(fileGrants, 'g');
const gg = alias(groupGrants, 'gg');
const gm = alias(groupMembers, 'gm');
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
 * A client's page, one statement: the union of three index-ordered branches (shared with all
 * clients, by files_shared_all_idx; granted to this client, by file_grants_user_idx; granted to
 * one of its groups, by group_members_user_idx then group_grants_group_idx: CROSS JOIN keeps that
 * order, so the planner never starts from every ready file), each limited, merged
 * without duplicates (a file may reach the client several ways), then joined to the rows. Its
 * query plan is tested: no branch may scan a table.
 */
const clientPageQuery = (afterCursor: boolean) =>
  preparedSelectSql(afterCursor ? 'clientPageAfter' : 'clientPage', withUploader, (list) => {
    const after = (createdAt: AnyColumn, id: AnyColumn) => (afterCursor ? sql`and ${before(createdAt, id)}` : sql``);
    const viewer = param('viewerId');
    const now = param('now');
    return sql`
    select ${list} from (
      select id, created_at from (
        select ${f.id} as id, ${f.createdAt} as created_at from ${files} ${f}
        where ${isAvailable(f, now)} and ${isSharedWithAllClients(f, now)} ${after(f.createdAt, f.id)}
        order by ${f.createdAt} desc, ${f.id} desc limit ${param('take')}
      )
      union
      select id, created_at from (
        select ${g.fileId} as id, ${g.fileCreatedAt} as created_at from ${fileGrants} ${g}
        join ${files} ${f} on ${f.id} = ${g.fileId}
        where ${isGrantedTo(g, viewer, now)} and ${isAvailable(f, now)} ${after(g.fileCreatedAt, g.fileId)}
        order by ${g.fileCreatedAt} desc, ${g.fileId} desc limit ${param('take')}
      )
      union
      select id, created_at from (
        select ${gg.fileId} as id, ${gg.fileCreatedAt} as created_at from ${groupMembers} ${gm}
        cross join ${groupGrants} ${gg} on ${isGrantedToGroupOf(gg, gm, viewer, now)}
        cross join ${files} ${f} on ${f.id} = ${gg.fileId}
        where ${isAvailable(f, now)} ${after(gg.fileCreatedAt, gg.fileId)}
        order by ${gg.fileCreatedAt} desc, ${gg.fileId} desc limit ${param('take')}
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
export const markReadyStatement = (db: Database, id: string, storageKey: string, now: Date) =>
  db
    .update(files)
    .set({ status: 'ready', readyAt: now, storageKey })
    .where(
      and(eq(files.id, id), eq(files.status, 'pending'), sql`${files.uploadExpiresAt} >= ${now.getTime() - UPLOAD_GRACE_SECONDS * 1000}`),
    );

export async function markReady(db: Database, id: string, storageKey: string, now: Date): Promise<boolean> {
  return (await markReadyStatement(db, id, storageKey, now)).rowsAffected === 1;
}

export async function markRejected(db: Database, id: string, reason: string): Promise<boolean> {
  const result = await db
    .update(files)
    .set({ status: 'rejected', rejectionReason: reason })
    .where(and(eq(files.id, id), eq(files.status, 'pending')));
  return result.rowsAffected === 1;
}

/** The statements that delete a file's row and its grants (so every link dies at once), for one batch. */
export const deleteFileStatements = (db: Database, id: string) =>
  [
    db.delete(shareNotices).where(eq(shareNotices.fileId, id)),
    db.delete(fileGrants).where(eq(fileGrants.fileId, id)),
    db.delete(groupGrants).where(eq(groupGrants.fileId, id)),
    db.delete(files).where(eq(files.id, id)),
  ] as const;

/** Deletes the row and its grants in one batch; returns its storage key. */
export async function deleteFileRow(db: Database, id: string): Promise<string | null> {
  const [row] = await db.select({ storageKey: files.storageKey }).from(files).where(eq(files.id, id)).limit(1);
  if (!row) return null;
  await db.batch([...deleteFileStatements(db, id)]);
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

/**
 * Deletes up to `limit` files past their own end, with their grants, and returns their storage
 * keys: rows first (each statement re-checks the end, so a file whose end was just moved later
 * keeps its row and its grants), then the caller deletes the objects.
 */
export async function deleteExpiredFiles(db: Database, now: Date, limit: number): Promise<string[]> {
  const ended = and(isNotNull(files.expiresAt), lte(files.expiresAt, now));
  const due = await db.select({ id: files.id, storageKey: files.storageKey }).from(files).where(ended).limit(limit);
  if (due.length === 0) return [];
  const ids = due.map((f) => f.id);
  const stillEnded = db
    .select({ id: files.id })
    .from(files)
    .where(and(inArray(files.id, ids), ended));
  const [, , , gone] = await db.batch([
    db.delete(shareNotices).where(inArray(shareNotices.fileId, stillEnded)),
    db.delete(fileGrants).where(inArray(fileGrants.fileId, stillEnded)),
    db.delete(groupGrants).where(inArray(groupGrants.fileId, stillEnded)),
    db
      .delete(files)
      .where(and(inArray(files.id, ids), ended))
      .returning({ storageKey: files.storageKey }),
  ]);
  return gone.map((f) => f.storageKey);
}

/**
 * Removes the grants that have ended, and turns "all clients" off where its end has passed: they
 * already show nothing (the rule reads the ends), this keeps the tables and the grant set
 * showing only what is in force. Returns how many grants went.
 */
export async function removeEndedGrants(db: Database, now: Date): Promise<number> {
  const [direct, grouped, everyone] = await db.batch([
    db.delete(fileGrants).where(and(isNotNull(fileGrants.expiresAt), lte(fileGrants.expiresAt, now))),
    db.delete(groupGrants).where(and(isNotNull(groupGrants.expiresAt), lte(groupGrants.expiresAt, now))),
    db
      .update(files)
      .set({ sharedWithAllClients: false, allClientsExpiresAt: null, allClientsMaxDownloads: null })
      .where(and(isNotNull(files.allClientsExpiresAt), lte(files.allClientsExpiresAt, now))),
  ]);
  return direct.rowsAffected + grouped.rowsAffected + everyone.rowsAffected;
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
