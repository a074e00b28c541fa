import { and, asc, count, desc, eq, getTableColumns, gt, gte, inArray, isNull, lt, or, type SQL, sql } from 'drizzle-orm';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { z } from 'zod';
import type { AuditEntry } from './audit';
import type { Database } from './db/client';
import {
  auditEvents,
  clientGroups,
  deletedUsers,
  downloads,
  fileGrants,
  files,
  groupGrants,
  groupMembers,
  invitations,
  oneTimeTokens,
  outbox,
  type Role,
  refreshTokens,
  sessions,
  shareNotices,
  type UserRow,
  type UserStatus,
  users,
} from './db/schema';
import { causes } from './error-chain';
import { ApiError } from './errors';
import { inForce, isAvailable } from './files';
import type { OutboxMessage } from './outbox';
import { Role as RoleSchema, User } from './schemas';
import type { SessionLimits } from './sessions';
import type { PublicUser } from './users';

/**
 * What ops do to accounts (users/*) and invitations (invitations/*): the rules of who may act on
 * whom, the queries behind the listings, and the statements that change an account together
 * with its audit record and mail, in one batch.
 */

// ---------------------------------------------------------------------------------------------
// Who may act on whom

/**
 * Ops manage accounts; an account of ops (an administrator's included) only an administrator
 * does. Nobody disables or deletes their own account (`self: 'refuse'`): an administrator
 * therefore always remains, and nobody locks themselves out by mistake.
 */
export function assertMayManage(actor: PublicUser, target: Pick<UserRow, 'id' | 'role'>, options: { self?: 'refuse' } = {}): void {
  if (options.self === 'refuse' && actor.id === target.id) {
    throw new ApiError(409, 'cannot_change_self', 'You cannot do this to your own account; ask another member of ops.');
  }
  if (target.role === 'ops' && !actor.admin) {
    throw new ApiError(403, 'admin_required', 'Only an administrator may act on an ops account.');
  }
}

// ---------------------------------------------------------------------------------------------
// Statements that happen only while a condition holds, for a batch

/**
 * The insert of `row` into `table`, made only if `condition` holds when it runs. In a batch (one
 * transaction) placed before the change it records, with the condition the change needs, it
 * makes the record exactly when the change happens: two ops approving one account at once give
 * one audit entry and one mail, not two.
 */
export function insertWhere<T extends SQLiteTable>(db: Database, table: T, row: Partial<T['$inferInsert']>, condition: SQL) {
  const columns = getTableColumns(table) as Record<string, SQLiteColumn>;
  const values = row as Record<string, unknown>;
  const keys = Object.keys(values).filter((k) => columns[k] && values[k] !== undefined);
  const names = keys.map((k) => sql.identifier((columns[k] as SQLiteColumn).name));
  const params = keys.map((k) => (values[k] === null ? sql`null` : sql`${(columns[k] as SQLiteColumn).mapToDriverValue(values[k])}`));
  return db.run(sql`insert into ${table} (${sql.join(names, sql`, `)}) select ${sql.join(params, sql`, `)} where ${condition}`);
}

/** `auditInsert`, made only if `condition` holds. */
export const auditWhere = (db: Database, entry: AuditEntry, condition: SQL) =>
  insertWhere(
    db,
    auditEvents,
    {
      id: crypto.randomUUID(),
      at: entry.at,
      actorId: entry.actor?.id ?? null,
      actorName: entry.actor?.username ?? null,
      action: entry.action,
      targetId: entry.target?.id ?? null,
      targetName: entry.target?.name ?? null,
      details: JSON.stringify(entry.details ?? {}),
    },
    condition,
  );

/** `outboxInsert`, made only if `condition` holds; give the message an id to deliver it after the batch. */
export const outboxWhere = (db: Database, message: OutboxMessage & { id: string }, now: Date, condition: SQL) =>
  insertWhere(
    db,
    outbox,
    {
      id: message.id,
      recipient: message.to,
      subject: message.subject,
      textBody: message.text,
      htmlBody: message.html,
      kind: message.kind,
      createdAt: now,
      attempts: 0,
      nextAttemptAt: now,
    },
    condition,
  );

/** The account exists and, when given, has one of `statuses`: the condition of a status change. */
export const userIs = (id: string, statuses?: readonly UserStatus[]): SQL =>
  sql`exists (select 1 from ${users} where ${and(eq(users.id, id), statuses ? inArray(users.status, [...statuses]) : undefined)})`;

/** The invitation exists (the condition of what is written with a new one, after it). */
export const invitationExists = (id: string): SQL => sql`exists (select 1 from ${invitations} where ${invitations.id} = ${id})`;

/** No account has the address, and no invitation for it can still be used: a new one may be made. */
export const addressFree = (email: string, now: Date): SQL =>
  sql`not exists (select 1 from ${users} where ${users.email} = ${email}) and not exists (select 1 from ${invitations} where ${invitations.email} = ${email} and ${invitations.usedAt} is null and ${invitations.revokedAt} is null and ${invitations.expiresAt} > ${now.getTime()})`;

/** The invitation can still be used or renewed (not used, not revoked; expired is fine). */
export const invitationOpen = (id: string): SQL =>
  sql`exists (select 1 from ${invitations} where ${invitations.id} = ${id} and ${invitations.usedAt} is null and ${invitations.revokedAt} is null)`;

// ---------------------------------------------------------------------------------------------
// Changing an account

/** Moves the account from one of `from` to `to`; rowsAffected is 0 when it was not in `from`. */
export const setStatusStatement = (db: Database, id: string, from: readonly UserStatus[], to: UserStatus, extra: Partial<UserRow> = {}) =>
  db
    .update(users)
    .set({ status: to, ...extra })
    .where(and(eq(users.id, id), inArray(users.status, [...from])));

/**
 * Deleting an account: its tombstone (so the download audit still names it) and its audit entry,
 * then what it holds (grants, group memberships, refresh tokens, sessions, one-time tokens; the foreign keys would
 * cascade, this does not depend on them), then the row. Files an ops account uploaded keep a
 * foreign key to it: the batch then fails as a whole (`isForeignKeyViolation`), nothing changed.
 */
export function deleteUserStatements(db: Database, target: UserRow, actor: PublicUser, now: Date) {
  const exists = userIs(target.id);
  return [
    insertWhere(db, deletedUsers, { id: target.id, username: target.username, deletedAt: now }, exists),
    auditWhere(
      db,
      {
        action: 'user.deleted',
        actor,
        target: { id: target.id, name: target.username },
        details: { role: target.role, status: target.status },
        at: now,
      },
      exists,
    ),
    db.delete(fileGrants).where(eq(fileGrants.userId, target.id)),
    db.delete(groupMembers).where(eq(groupMembers.userId, target.id)),
    db.delete(shareNotices).where(eq(shareNotices.userId, target.id)),
    db
      .delete(refreshTokens)
      .where(inArray(refreshTokens.sessionId, db.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, target.id)))),
    db.delete(sessions).where(eq(sessions.userId, target.id)),
    db.delete(oneTimeTokens).where(eq(oneTimeTokens.userId, target.id)),
    db.delete(users).where(eq(users.id, target.id)),
  ] as const;
}

export function isForeignKeyViolation(error: unknown): boolean {
  for (const e of causes(error)) {
    if (/FOREIGN KEY constraint failed/i.test(e.message)) return true;
  }
  return false;
}

/** How many files the account uploaded (only ops accounts upload). */
export async function uploadedFileCount(db: Database, userId: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(files).where(eq(files.uploadedBy, userId));
  return row?.n ?? 0;
}

// ---------------------------------------------------------------------------------------------
// Listing accounts

export interface UserSearch {
  /** Lower-case; a prefix of the username or of the email. */
  q?: string | undefined;
  role?: Role | undefined;
  status?: UserStatus | undefined;
  limit: number;
  /** The username the previous page ended with. */
  after?: string | undefined;
}

/** The text values that start with `prefix`, as a range: a walk of the column's index, no wildcard to escape. */
const startsWith = (column: SQLiteColumn, prefix: string) => and(gte(column, prefix), lt(column, `${prefix}\u{10ffff}`));

/**
 * By username, keyset-paginated on it (unique, so a page never repeats or skips an account).
 * `q` is a prefix of the username or of the email: both are stored lower-case under a unique
 * index, so each half is a range of its index (SQLite unions the two), where a substring match
 * (`like '%q%'`) would read every account. With no `q`, `role` and `status` walk
 * users_role_status_idx, which is ordered by username within them.
 */
export async function listUsers(db: Database, search: UserSearch): Promise<{ items: UserRow[]; next: string | null }> {
  const rows = await db
    .select()
    .from(users)
    .where(
      and(
        search.q ? or(startsWith(users.username, search.q), startsWith(users.email, search.q)) : undefined,
        search.role ? eq(users.role, search.role) : undefined,
        search.status ? eq(users.status, search.status) : undefined,
        search.after !== undefined ? gt(users.username, search.after) : undefined,
      ),
    )
    .orderBy(asc(users.username))
    .limit(search.limit + 1);
  const page = rows.slice(0, search.limit);
  const last = page.at(-1);
  return { items: page, next: rows.length > search.limit && last ? last.username : null };
}

const invalidCursor = () =>
  new ApiError(400, 'validation_failed', 'The cursor is not one this API issued.', {
    errors: [{ path: 'cursor', message: 'is invalid' }],
  });

const base64url = (text: string) => btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const unbase64url = (value: string) => atob(value.replace(/-/g, '+').replace(/_/g, '/'));

/** The opaque cursor of the account list: the last username of a page. */
export const encodeUserCursor = (username: string) => base64url(JSON.stringify({ u: username }));

export function decodeUserCursor(value: string): string {
  try {
    const parsed: unknown = JSON.parse(unbase64url(value));
    const u = (parsed as { u?: unknown } | null)?.u;
    if (typeof u === 'string' && /^[a-z0-9._-]{1,32}$/.test(u)) return u;
  } catch {
    // fall through
  }
  throw invalidCursor();
}

// ---------------------------------------------------------------------------------------------
// One account in detail

export interface UserShare {
  file: { id: string; filename: string };
  via: 'direct' | 'group' | 'all_clients';
  groups: Array<{ id: string; name: string }>;
}

export const SHARES_LIMIT = 500;
export const DOWNLOADS_LIMIT = 50;

/**
 * The files a client sees (were it active), newest first: those granted to it (by
 * file_grants_user_idx), to its groups (its memberships, then group_grants_group_idx) and to all
 * clients (by files_shared_all_idx), each at most SHARES_LIMIT, grants in force and files
 * available only. `via` is the most lasting way: by name, else through a group, else "all
 * clients"; `groups` names every group it comes through.
 */
export async function sharesOf(db: Database, userId: string, now: Date): Promise<UserShare[]> {
  const at = sql`${now.getTime()}`;
  const listed = { id: files.id, filename: files.filename, createdAt: files.createdAt };
  const [direct, grouped, everyone] = await Promise.all([
    db
      .select(listed)
      .from(fileGrants)
      .innerJoin(files, eq(files.id, fileGrants.fileId))
      .where(and(eq(fileGrants.userId, userId), inForce(fileGrants.expiresAt, at), isAvailable(files, at)))
      .orderBy(desc(fileGrants.fileCreatedAt), desc(fileGrants.fileId))
      .limit(SHARES_LIMIT),
    db
      .select({ ...listed, groupId: clientGroups.id, groupName: clientGroups.name })
      .from(groupMembers)
      .innerJoin(groupGrants, eq(groupGrants.groupId, groupMembers.groupId))
      .innerJoin(clientGroups, eq(clientGroups.id, groupMembers.groupId))
      .innerJoin(files, eq(files.id, groupGrants.fileId))
      .where(and(eq(groupMembers.userId, userId), inForce(groupGrants.expiresAt, at), isAvailable(files, at)))
      .orderBy(desc(groupGrants.fileCreatedAt), desc(groupGrants.fileId))
      .limit(SHARES_LIMIT),
    db
      .select(listed)
      .from(files)
      .where(
        and(
          eq(files.status, 'ready'),
          eq(files.sharedWithAllClients, true),
          inForce(files.allClientsExpiresAt, at),
          isAvailable(files, at),
        ),
      )
      .orderBy(desc(files.createdAt), desc(files.id))
      .limit(SHARES_LIMIT),
  ]);
  const shares = new Map<string, UserShare & { createdAt: Date }>();
  const add = (f: { id: string; filename: string; createdAt: Date }, via: UserShare['via']) => {
    if (!shares.has(f.id)) shares.set(f.id, { file: { id: f.id, filename: f.filename }, via, groups: [], createdAt: f.createdAt });
    return shares.get(f.id) as UserShare;
  };
  for (const f of direct) add(f, 'direct');
  for (const f of grouped) add(f, 'group').groups.push({ id: f.groupId, name: f.groupName });
  for (const f of everyone) add(f, 'all_clients');
  return [...shares.values()]
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.file.id < b.file.id ? 1 : -1))
    .slice(0, SHARES_LIMIT)
    .map(({ createdAt: _, ...share }) => share);
}

/** The account's latest downloads, newest first; a deleted file has no name any more. */
export async function downloadsOf(db: Database, userId: string) {
  const rows = await db
    .select({ fileId: downloads.fileId, filename: files.filename, at: downloads.at })
    .from(downloads)
    .leftJoin(files, eq(files.id, downloads.fileId))
    .where(eq(downloads.userId, userId))
    .orderBy(desc(downloads.at), desc(downloads.id))
    .limit(DOWNLOADS_LIMIT);
  return rows.map((r) => ({ file: { id: r.fileId, filename: r.filename }, at: r.at.toISOString() }));
}

/** Sessions that can still be refreshed: not ended, not past their limit, not idle too long. */
export async function activeSessionCount(db: Database, userId: string, now: Date, limits: SessionLimits): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(sessions)
    .where(
      and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, now),
        gte(sessions.lastUsedAt, new Date(now.getTime() - limits.idleSeconds * 1000)),
      ),
    );
  return row?.n ?? 0;
}

// ---------------------------------------------------------------------------------------------
// Invitations

/** An invitation for this address that can still be used. */
export async function pendingInvitationFor(db: Database, email: string, now: Date) {
  const [row] = await db
    .select({ id: invitations.id })
    .from(invitations)
    .where(and(eq(invitations.email, email), isNull(invitations.usedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, now)))
    .limit(1);
  return row;
}

export async function accountWithEmail(db: Database, email: string) {
  const [row] = await db.select({ id: users.id }).from(users).where(eq(users.email, email));
  return row;
}

// ---------------------------------------------------------------------------------------------
// Schemas of the answers

export const UserIdParams = z.object({ id: z.uuid().meta({ description: 'An account id.' }) });
export const InvitationIdParams = z.object({ id: z.uuid().meta({ description: 'An invitation id.' }) });

export const Invitation = z
  .object({
    id: z.string(),
    email: z.string(),
    role: RoleSchema,
    status: z.enum(['pending', 'used', 'expired', 'revoked']).meta({
      description: '`pending`: can be used until `expiresAt`; `used`: an account was made with it; `expired`; `revoked` by ops.',
    }),
    invitedBy: z.object({
      id: z.string(),
      username: z.string().nullable().meta({ description: 'Null once that account is deleted.' }),
    }),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    usedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Invitation' });

export const InvitationEnvelope = z.object({ invitation: Invitation }).meta({ id: 'InvitationEnvelope' });

export const UserPage = z
  .object({ items: z.array(User), nextCursor: z.string().nullable().meta({ description: 'Null on the last page.' }) })
  .meta({ id: 'UserPage' });

export const UserDetail = z
  .object({
    user: User,
    shares: z
      .array(
        z.object({
          file: z.object({ id: z.string(), filename: z.string() }),
          via: z.enum(['direct', 'group', 'all_clients']),
          groups: z.array(z.object({ id: z.string(), name: z.string() })).meta({ description: 'Every group the file comes through.' }),
        }),
      )
      .meta({
        description: `A client's ready files, newest first (at most ${SHARES_LIMIT}), by grants in force: granted to it by name (\`direct\`), to one of its groups (\`group\`), or to all clients. It sees them while it is active. Empty for ops, who see every file.`,
      }),
    downloads: z
      .array(
        z.object({
          file: z.object({ id: z.string(), filename: z.string().nullable().meta({ description: 'Null once the file is deleted.' }) }),
          at: z.iso.datetime(),
        }),
      )
      .meta({ description: `The latest ${DOWNLOADS_LIMIT} downloads, newest first.` }),
    sessions: z.number().int().meta({ description: 'Sessions that can still be refreshed.' }),
  })
  .meta({ id: 'UserDetail' });

export const AuditEvent = z
  .object({
    id: z.string(),
    at: z.iso.datetime(),
    action: z.string().meta({ description: 'e.g. `user.approved`, `invitation.created`, `session.refresh_reused`.' }),
    actor: z
      .object({ id: z.string(), username: z.string() })
      .nullable()
      .meta({ description: 'Who did it; null when the account itself or the system acted.' }),
    target: z
      .object({ id: z.string(), name: z.string() })
      .nullable()
      .meta({ description: 'The account (its username) or invitation (its email), as named when it happened.' }),
    details: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'AuditEvent' });

export const AuditPage = z
  .object({ items: z.array(AuditEvent), nextCursor: z.string().nullable().meta({ description: 'Null on the last page.' }) })
  .meta({ id: 'AuditPage' });
