import { and, asc, count, desc, eq, gt, gte, inArray, lt, notInArray, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { AuditEntry } from './audit';
import type { Database } from './db/client';
import { type ClientGroupRow, clientGroups, files, groupGrants, groupMembers, type UserStatus, users } from './db/schema';
import { causes } from './error-chain';
import { ApiError, type FieldProblem, notFound } from './errors';
import { UserStatus as UserStatusSchema } from './schemas';
import { noticesBeforeJoining } from './share-notices';
import { auditWhere } from './user-admin';
import type { PublicUser } from './users';

/**
 * Client groups: named sets of clients that ops share files with (sharing.ts grants a file to a
 * group; files.ts reads membership on every request). Members may be clients in any status;
 * only the active ones see anything. Every change is written with its audit record in one
 * batch, the record only if the change happens.
 */

export interface PublicGroup {
  id: string;
  name: string;
  /** Every member, and those of them who are active (who see the group's files). */
  members: number;
  activeMembers: number;
  createdAt: string;
}

/** Names compare without case: this is the key the unique index holds. */
export const groupNameKey = (name: string) => name.toLowerCase();

const nameTaken = (name: string) => new ApiError(409, 'group_name_taken', `A group called "${name}" already exists (names ignore case).`);

function nameConflict(error: unknown, name: string): unknown {
  for (const e of causes(error)) {
    if (/UNIQUE constraint failed: client_groups\.name_key/.test(e.message)) return nameTaken(name);
  }
  return error;
}

/** The group exists (the condition of a record written with a change to it). */
const groupExists = (id: string): SQL => sql`exists (select 1 from ${clientGroups} where ${clientGroups.id} = ${id})`;
const isMember = (groupId: string, userId: string): SQL =>
  sql`exists (select 1 from ${groupMembers} where ${groupMembers.groupId} = ${groupId} and ${groupMembers.userId} = ${userId})`;

const target = (group: Pick<ClientGroupRow, 'id' | 'name'>) => ({ id: group.id, name: group.name });

export async function findGroup(db: Database, id: string): Promise<ClientGroupRow | undefined> {
  const [row] = await db.select().from(clientGroups).where(eq(clientGroups.id, id));
  return row;
}

/** Groups by name (any case), each with its id: what a share names them by. */
export async function groupsByName(db: Database, names: string[]): Promise<Map<string, Pick<ClientGroupRow, 'id' | 'name'>>> {
  const keys = [...new Set(names.map(groupNameKey))];
  if (keys.length === 0) return new Map();
  const rows = await db
    .select({ id: clientGroups.id, name: clientGroups.name, nameKey: clientGroups.nameKey })
    .from(clientGroups)
    .where(inArray(clientGroups.nameKey, keys));
  return new Map(rows.map((r) => [r.nameKey, { id: r.id, name: r.name }]));
}

export async function createGroup(db: Database, name: string, actor: PublicUser, now: Date): Promise<PublicGroup> {
  const row: ClientGroupRow = { id: crypto.randomUUID(), name, nameKey: groupNameKey(name), createdAt: now };
  try {
    await db.batch([
      db.insert(clientGroups).values(row),
      auditWhere(db, { action: 'group.created', actor, target: target(row), at: now }, groupExists(row.id)),
    ]);
  } catch (error) {
    throw nameConflict(error, name);
  }
  return { id: row.id, name, members: 0, activeMembers: 0, createdAt: now.toISOString() };
}

export async function renameGroup(db: Database, group: ClientGroupRow, name: string, actor: PublicUser, now: Date): Promise<void> {
  let renamed: { rowsAffected: number };
  try {
    [, renamed] = await db.batch([
      auditWhere(
        db,
        { action: 'group.renamed', actor, target: { id: group.id, name }, details: { from: group.name }, at: now },
        groupExists(group.id),
      ),
      db
        .update(clientGroups)
        .set({ name, nameKey: groupNameKey(name) })
        .where(eq(clientGroups.id, group.id)),
    ]);
  } catch (error) {
    throw nameConflict(error, name);
  }
  if (renamed.rowsAffected !== 1) throw notFound('No such group.');
}

/**
 * The group, its memberships and its grants go in one batch: every member stops seeing the
 * files shared only through it at once, links included.
 */
export async function deleteGroup(db: Database, group: ClientGroupRow, actor: PublicUser, now: Date): Promise<void> {
  const [, , , deleted] = await db.batch([
    auditWhere(db, { action: 'group.deleted', actor, target: target(group), at: now }, groupExists(group.id)),
    db.delete(groupGrants).where(eq(groupGrants.groupId, group.id)),
    db.delete(groupMembers).where(eq(groupMembers.groupId, group.id)),
    db.delete(clientGroups).where(eq(clientGroups.id, group.id)),
  ]);
  if (deleted.rowsAffected !== 1) throw notFound('No such group.');
}

/** The text values that start with `prefix`, as a range of the column's index. */
const startsWith = (column: typeof clientGroups.nameKey, prefix: string) => and(gte(column, prefix), lt(column, `${prefix}\u{10ffff}`));

/**
 * By name (without case), keyset-paginated on it; `q` is the start of a name. Member counts come
 * in the same statement (a group's members by the primary key).
 */
export async function listGroups(
  db: Database,
  search: { q?: string | undefined; limit: number; after?: string | undefined },
): Promise<{ items: PublicGroup[]; next: string | null }> {
  const rows = await db
    .select({
      id: clientGroups.id,
      name: clientGroups.name,
      nameKey: clientGroups.nameKey,
      createdAt: clientGroups.createdAt,
      members: count(groupMembers.userId),
      activeMembers: sql<number>`coalesce(sum(${users.status} = 'active'), 0)`,
    })
    .from(clientGroups)
    .leftJoin(groupMembers, eq(groupMembers.groupId, clientGroups.id))
    .leftJoin(users, eq(users.id, groupMembers.userId))
    .where(
      and(
        search.q ? startsWith(clientGroups.nameKey, groupNameKey(search.q)) : undefined,
        search.after !== undefined ? gt(clientGroups.nameKey, search.after) : undefined,
      ),
    )
    .groupBy(clientGroups.id)
    .orderBy(asc(clientGroups.nameKey))
    .limit(search.limit + 1);
  const page = rows.slice(0, search.limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => ({
      id: r.id,
      name: r.name,
      members: r.members,
      activeMembers: Number(r.activeMembers),
      createdAt: r.createdAt.toISOString(),
    })),
    next: rows.length > search.limit && last ? last.nameKey : null,
  };
}

const base64url = (text: string) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(text)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

/** The opaque cursor of the group list: the name key a page ended with. */
export const encodeGroupCursor = (nameKey: string) => base64url(JSON.stringify({ k: nameKey }));

export function decodeGroupCursor(value: string): string {
  try {
    const bytes = Uint8Array.from(atob(value.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
    const k = (JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as { k?: unknown } | null)?.k;
    if (typeof k === 'string' && k.length >= 1 && k.length <= 256) return k;
  } catch {
    // fall through
  }
  throw new ApiError(400, 'validation_failed', 'The cursor is not one this API issued.', {
    errors: [{ path: 'cursor', message: 'is invalid' }],
  });
}

export interface GroupMember {
  id: string;
  username: string;
  email: string;
  status: UserStatus;
  addedAt: string;
}

export const GROUP_FILES_LIMIT = 500;

/** One group in full: its counts, its members by username, and the files shared with it (grants in force, newest first). */
export async function groupDetail(db: Database, group: ClientGroupRow, now: Date) {
  const [members, grants] = await Promise.all([
    db
      .select({ id: users.id, username: users.username, email: users.email, status: users.status, addedAt: groupMembers.addedAt })
      .from(groupMembers)
      .innerJoin(users, eq(users.id, groupMembers.userId))
      .where(eq(groupMembers.groupId, group.id))
      .orderBy(asc(users.username)),
    db
      .select({
        id: files.id,
        filename: files.filename,
        status: files.status,
        expiresAt: groupGrants.expiresAt,
        maxDownloads: groupGrants.maxDownloads,
      })
      .from(groupGrants)
      .innerJoin(files, eq(files.id, groupGrants.fileId))
      .where(and(eq(groupGrants.groupId, group.id), sql`(${groupGrants.expiresAt} is null or ${groupGrants.expiresAt} > ${now.getTime()})`))
      .orderBy(desc(groupGrants.fileCreatedAt), desc(groupGrants.fileId))
      .limit(GROUP_FILES_LIMIT),
  ]);
  return {
    group: {
      id: group.id,
      name: group.name,
      members: members.length,
      activeMembers: members.filter((m) => m.status === 'active').length,
      createdAt: group.createdAt.toISOString(),
    },
    members: members.map((m) => ({ ...m, addedAt: m.addedAt.toISOString() })),
    files: grants.map((g) => ({
      file: { id: g.id, filename: g.filename, status: g.status },
      expiresAt: g.expiresAt?.toISOString() ?? null,
      maxDownloads: g.maxDownloads,
    })),
  };
}

/**
 * The clients each username names. Any client may be a member, whatever its status (only active
 * ones see anything); an unknown name or an ops account is refused, by its position in the list
 * at `path`, and nothing changes.
 */
export async function resolveMembers(db: Database, usernames: string[], path: string): Promise<Map<string, { id: string }>> {
  const distinct = [...new Set(usernames)];
  const found = distinct.length
    ? await db.select({ id: users.id, username: users.username, role: users.role }).from(users).where(inArray(users.username, distinct))
    : [];
  const byName = new Map(found.map((u) => [u.username, u]));
  const errors: FieldProblem[] = usernames.flatMap((name, index) => {
    const user = byName.get(name);
    if (!user) return [{ path: `${path}.${index}`, message: `no client is called "${name}"` }];
    if (user.role !== 'client') return [{ path: `${path}.${index}`, message: `"${name}" is not a client; only clients can be members` }];
    return [];
  });
  if (errors.length > 0) throw new ApiError(400, 'validation_failed', 'Some usernames are not clients; nothing was changed.', { errors });
  return new Map(found.map((u) => [u.username, { id: u.id }]));
}

/** Adds the clients to the group (those already in it keep when they joined), only while the group exists. */
export const addMembersStatement = (db: Database, groupId: string, userIds: string[], now: Date) =>
  db.run(sql`insert into ${groupMembers} (${sql.identifier(groupMembers.groupId.name)}, ${sql.identifier(groupMembers.userId.name)}, ${sql.identifier(groupMembers.addedAt.name)})
    select ${groupId}, value, ${now.getTime()} from json_each(${JSON.stringify(userIds)}) where ${groupExists(groupId)}
    on conflict do nothing`);

/**
 * Makes the group's members exactly these clients, in one batch: those left out stop seeing its
 * files at once; those who stay keep when they joined.
 */
export async function replaceMembers(
  db: Database,
  group: ClientGroupRow,
  userIds: string[],
  actor: PublicUser,
  now: Date,
  options: { notify: boolean },
): Promise<{ added: number; removed: number }> {
  const current = new Set(
    (await db.select({ userId: groupMembers.userId }).from(groupMembers).where(eq(groupMembers.groupId, group.id))).map((m) => m.userId),
  );
  const wanted = new Set(userIds);
  const added = [...wanted].filter((id) => !current.has(id)).length;
  const removed = [...current].filter((id) => !wanted.has(id)).length;
  const entry: AuditEntry = {
    action: 'group.members_replaced',
    actor,
    target: target(group),
    details: { members: wanted.size, added, removed },
    at: now,
  };
  // New members are told about the group's files they could not see; members who stay see them already.
  const notices = options.notify && wanted.size ? [noticesBeforeJoining(db, group.id, [...wanted], now)] : [];
  const [, exists] = await db.batch([
    auditWhere(db, entry, groupExists(group.id)),
    db.select({ id: clientGroups.id }).from(clientGroups).where(eq(clientGroups.id, group.id)),
    ...notices,
    db
      .delete(groupMembers)
      .where(and(eq(groupMembers.groupId, group.id), wanted.size ? notInArray(groupMembers.userId, [...wanted]) : undefined)),
    addMembersStatement(db, group.id, [...wanted], now),
  ]);
  if (exists.length !== 1) throw notFound('No such group.');
  return { added, removed };
}

/** One client into the group; false when it was a member already (nothing written). */
export async function addMember(
  db: Database,
  group: ClientGroupRow,
  client: { id: string; username: string },
  actor: PublicUser,
  now: Date,
): Promise<boolean> {
  const entry: AuditEntry = {
    action: 'group.member_added',
    actor,
    target: { id: client.id, name: client.username },
    details: { groupId: group.id, group: group.name },
    at: now,
  };
  const [, , added] = await db.batch([
    auditWhere(db, entry, sql`${groupExists(group.id)} and not ${isMember(group.id, client.id)}`),
    noticesBeforeJoining(db, group.id, [client.id], now),
    addMembersStatement(db, group.id, [client.id], now),
  ]);
  return added.rowsAffected === 1;
}

/** One client out of the group; false when it was not a member. Its access through the group ends at once. */
export async function removeMember(
  db: Database,
  group: ClientGroupRow,
  client: { id: string; username: string },
  actor: PublicUser,
  now: Date,
): Promise<boolean> {
  const entry: AuditEntry = {
    action: 'group.member_removed',
    actor,
    target: { id: client.id, name: client.username },
    details: { groupId: group.id, group: group.name },
    at: now,
  };
  const [, removed] = await db.batch([
    auditWhere(db, entry, isMember(group.id, client.id)),
    db.delete(groupMembers).where(and(eq(groupMembers.groupId, group.id), eq(groupMembers.userId, client.id))),
  ]);
  return removed.rowsAffected === 1;
}

// ---------------------------------------------------------------------------------------------
// Schemas

export const GroupIdParams = z.object({ id: z.uuid().meta({ description: 'A group id.' }) });
export const GroupMemberParams = z.object({
  id: z.uuid().meta({ description: 'A group id.' }),
  userId: z.uuid().meta({ description: 'A client’s account id.' }),
});

export const Group = z
  .object({
    id: z.string(),
    name: z.string(),
    members: z.number().int().meta({ description: 'Every member, whatever its status.' }),
    activeMembers: z.number().int().meta({ description: 'The members who are active: only they see the group’s files.' }),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Group' });

export const GroupEnvelope = z.object({ group: Group }).meta({ id: 'GroupEnvelope' });

export const GroupPage = z
  .object({ items: z.array(Group), nextCursor: z.string().nullable().meta({ description: 'Null on the last page.' }) })
  .meta({ id: 'GroupPage' });

export const GroupDetail = z
  .object({
    group: Group,
    members: z
      .array(
        z.object({
          id: z.string(),
          username: z.string(),
          email: z.string(),
          status: UserStatusSchema,
          addedAt: z.iso.datetime(),
        }),
      )
      .meta({ description: 'Every member, by username.' }),
    files: z
      .array(
        z.object({
          file: z.object({ id: z.string(), filename: z.string(), status: z.enum(['pending', 'ready', 'rejected']) }),
          expiresAt: z.iso.datetime().nullable().meta({ description: 'When this grant ends; null: never.' }),
          maxDownloads: z.number().int().nullable().meta({ description: 'Downloads each member may make under it; null: no limit.' }),
        }),
      )
      .meta({ description: `The files shared with the group by a grant in force, newest first (at most ${GROUP_FILES_LIMIT}).` }),
  })
  .meta({ id: 'GroupDetail' });
