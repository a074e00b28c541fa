import { and, asc, eq, gt, inArray, type SQL, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import { z } from 'zod';
import type { Database } from './db/client';
import { clientGroups, downloads, type FileRow, fileGrants, files, groupGrants, groupMembers, type UserStatus, users } from './db/schema';
import { ApiError, type FieldProblem, notFound } from './errors';
import { combinedTerms, downloadsBy, earliest, grantsInForce, inForce } from './files';
import { groupNameKey, groupsByName } from './groups';
import { noticesBeforeShare } from './share-notices';
import { auditWhere, isForeignKeyViolation } from './user-admin';
import type { PublicUser } from './users';

/**
 * Who a file is shared with, on what terms (the grant set, which ops write as a whole), and who
 * can see it now because of it (its audience). Which files a client sees is decided by the one
 * rule in files.ts; this module only writes and reads the grants it reads.
 *
 * A grant goes to all clients, to a client by name, or to a group. Each may carry an end
 * (`expiresAt`) and a download limit per client (`maxDownloads`).
 */

export interface GrantTerms {
  expiresAt: Date | null;
  maxDownloads: number | null;
}

/** A grant's terms as a request gives them: left out, as the grant has them now (none, for a new grant); null, none. */
export interface TermsInput {
  expiresAt?: string | null | undefined;
  maxDownloads?: number | null | undefined;
}

export interface SharingInput {
  allClients: boolean | TermsInput;
  clients: Array<string | ({ username: string } & TermsInput)>;
  /** Left out: the file's group grants stay as they are (a caller that predates groups never removes one). */
  groups?: Array<string | ({ name: string } & TermsInput)> | undefined;
  /** False: nobody is emailed about this share. */
  notify?: boolean | undefined;
}

type PublicTerms = { expiresAt: string | null; maxDownloads: number | null };

export interface Sharing {
  allClients: false | PublicTerms;
  clients: Array<{ id: string; username: string } & PublicTerms>;
  groups: Array<{ id: string; name: string } & PublicTerms>;
}

export const MAX_RECIPIENTS = 1000;

const publicTerms = (t: GrantTerms): PublicTerms => ({ expiresAt: t.expiresAt?.toISOString() ?? null, maxDownloads: t.maxDownloads });
const isInForce = (t: { expiresAt: Date | null }, now: Date) => t.expiresAt === null || t.expiresAt > now;
const at = (now: Date) => sql`${now.getTime()}`;

/** Code-unit order, the same as SQLite's default collation, so both sharing routes agree. */
const byKey =
  <T>(key: (item: T) => string) =>
  (a: T, b: T) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
const byUsername = byKey((c: { username: string }) => c.username);
const byName = byKey((g: { name: string }) => groupNameKey(g.name));

/** The grant set in force: ended grants are left out (the sweep removes them). */
export async function getSharing(db: Database, file: FileRow, now: Date): Promise<Sharing> {
  const [clients, groups] = await Promise.all([
    db
      .select({ id: users.id, username: users.username, expiresAt: fileGrants.expiresAt, maxDownloads: fileGrants.maxDownloads })
      .from(fileGrants)
      .innerJoin(users, eq(users.id, fileGrants.userId))
      .where(and(eq(fileGrants.fileId, file.id), inForce(fileGrants.expiresAt, at(now))))
      .orderBy(asc(users.username)),
    db
      .select({ id: clientGroups.id, name: clientGroups.name, expiresAt: groupGrants.expiresAt, maxDownloads: groupGrants.maxDownloads })
      .from(groupGrants)
      .innerJoin(clientGroups, eq(clientGroups.id, groupGrants.groupId))
      .where(and(eq(groupGrants.fileId, file.id), inForce(groupGrants.expiresAt, at(now))))
      .orderBy(asc(clientGroups.nameKey)),
  ]);
  const everyone = { expiresAt: file.allClientsExpiresAt, maxDownloads: file.allClientsMaxDownloads };
  return {
    allClients: file.sharedWithAllClients && isInForce(everyone, now) ? publicTerms(everyone) : false,
    clients: clients.map((c) => ({ id: c.id, username: c.username, ...publicTerms(c) })).sort(byUsername),
    groups: groups.map((g) => ({ id: g.id, name: g.name, ...publicTerms(g) })).sort(byName),
  };
}

// ---------------------------------------------------------------------------------------------
// Reading a request

interface Entry {
  key: string;
  name: string;
  index: number;
  terms: { expiresAt?: Date | null; maxDownloads?: number | null };
}

/** The terms a request gives, checked against the clock: an end must be in the future. */
function termsOf(input: TermsInput, path: string, now: Date, errors: FieldProblem[]): Entry['terms'] {
  const terms: Entry['terms'] = {};
  if (input.expiresAt !== undefined) {
    const end = input.expiresAt === null ? null : new Date(input.expiresAt);
    if (end && end <= now) errors.push({ path: `${path}.expiresAt`, message: `must be in the future (it is now ${now.toISOString()})` });
    terms.expiresAt = end;
  }
  if (input.maxDownloads !== undefined) terms.maxDownloads = input.maxDownloads;
  return terms;
}

const sameEnd = (a: Date | null | undefined, b: Date | null | undefined) =>
  a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : a === b;
const sameTerms = (a: Entry['terms'], b: Entry['terms']) => sameEnd(a.expiresAt, b.expiresAt) && a.maxDownloads === b.maxDownloads;

/**
 * A list of recipients as entries, each once: a name given twice is one recipient, unless the
 * two give different terms, which is refused.
 */
function entriesOf<T extends string | TermsInput>(
  list: T[],
  path: string,
  nameOf: (item: Exclude<T, string>) => string,
  keyOf: (name: string) => string,
  now: Date,
  errors: FieldProblem[],
): Entry[] {
  const seen = new Map<string, Entry>();
  list.forEach((item, index) => {
    const name = typeof item === 'string' ? item : nameOf(item as Exclude<T, string>);
    const terms = typeof item === 'string' ? {} : termsOf(item as TermsInput, `${path}.${index}`, now, errors);
    const key = keyOf(name);
    const earlier = seen.get(key);
    if (!earlier) seen.set(key, { key, name, index, terms });
    else if (!sameTerms(earlier.terms, terms)) {
      errors.push({
        path: `${path}.${index}`,
        message: `"${name}" is listed twice (also at ${path}.${earlier.index}) with different terms`,
      });
    }
  });
  return [...seen.values()];
}

const NOT_ACTIVE: Record<Exclude<UserStatus, 'active'>, string> = {
  pending: 'is waiting for approval',
  unverified: 'has not confirmed its email yet',
  disabled: 'is disabled',
};

/**
 * The client each username names, with its grant on this file if it has one. Every username must
 * name an active client, or one that already holds a grant on this file (kept, so that a grant
 * set read back and written again with one more name still goes through while a grantee is
 * disabled); otherwise its position is named in `errors`.
 */
async function resolveClients(db: Database, fileId: string, entries: Entry[], errors: FieldProblem[]) {
  const found = entries.length
    ? await db
        .select({
          id: users.id,
          username: users.username,
          role: users.role,
          status: users.status,
          granted: fileGrants.fileId,
          expiresAt: fileGrants.expiresAt,
          maxDownloads: fileGrants.maxDownloads,
        })
        .from(users)
        .leftJoin(fileGrants, and(eq(fileGrants.userId, users.id), eq(fileGrants.fileId, fileId)))
        .where(
          inArray(
            users.username,
            entries.map((e) => e.key),
          ),
        )
    : [];
  const byName = new Map(found.map((u) => [u.username, u]));
  for (const { name, index } of entries) {
    const user = byName.get(name);
    const path = `clients.${index}`;
    if (!user) errors.push({ path, message: `no client is called "${name}"` });
    else if (user.role !== 'client') errors.push({ path, message: `"${name}" is not a client; only clients can be granted files` });
    else if (user.status !== 'active' && user.granted === null) {
      errors.push({ path, message: `"${name}" ${NOT_ACTIVE[user.status]}; only active clients can be granted files` });
    }
  }
  return byName;
}

/** The terms given, the rest as the grant in force has them (none when there is none). */
const merged = (given: Entry['terms'], current: GrantTerms | undefined): GrantTerms => ({
  expiresAt: given.expiresAt !== undefined ? given.expiresAt : (current?.expiresAt ?? null),
  maxDownloads: given.maxDownloads !== undefined ? given.maxDownloads : (current?.maxDownloads ?? null),
});

/**
 * Replaces the grant set in one atomic batch, with its audit record. Every recipient must exist
 * (clients active, or already granted the file; groups by name, any case) and every end must be
 * in the future; otherwise nothing changes and the answer lists each problem by its field.
 * Within an entry, a term left out keeps what the grant in force has, and `null` removes it.
 */
export async function replaceSharing(
  db: Database,
  file: FileRow,
  input: SharingInput,
  context: { actor: PublicUser; now: Date },
): Promise<Sharing> {
  const { actor, now } = context;
  const errors: FieldProblem[] = [];
  const everyoneGiven = typeof input.allClients === 'object' ? termsOf(input.allClients, 'allClients', now, errors) : {};
  const clientEntries = entriesOf(
    input.clients,
    'clients',
    (c) => c.username,
    (name) => name,
    now,
    errors,
  );
  const groupEntries = input.groups ? entriesOf(input.groups, 'groups', (g) => g.name, groupNameKey, now, errors) : undefined;

  const [clientRows, groupRows, currentGroupGrants] = await Promise.all([
    resolveClients(db, file.id, clientEntries, errors),
    groupEntries
      ? groupsByName(
          db,
          groupEntries.map((e) => e.name),
        )
      : Promise.resolve(new Map<string, { id: string; name: string }>()),
    groupEntries
      ? db
          .select({ groupId: groupGrants.groupId, expiresAt: groupGrants.expiresAt, maxDownloads: groupGrants.maxDownloads })
          .from(groupGrants)
          .where(eq(groupGrants.fileId, file.id))
      : Promise.resolve([]),
  ]);
  for (const { key, name, index } of groupEntries ?? []) {
    if (!groupRows.has(key)) errors.push({ path: `groups.${index}`, message: `no group is called "${name}"` });
  }
  if (errors.length > 0) {
    errors.sort((a, b) => a.path.localeCompare(b.path, 'en', { numeric: true }));
    throw new ApiError(400, 'validation_failed', 'Some recipients or terms are not valid; nothing was changed.', { errors });
  }

  const inForceOrNone = (t: GrantTerms | undefined) => (t && isInForce(t, now) ? t : undefined);
  const everyoneNow = { expiresAt: file.allClientsExpiresAt, maxDownloads: file.allClientsMaxDownloads };
  const everyone =
    input.allClients === false ? null : merged(everyoneGiven, file.sharedWithAllClients ? inForceOrNone(everyoneNow) : undefined);

  const clients = clientEntries.map((entry) => {
    const row = clientRows.get(entry.key) as NonNullable<ReturnType<typeof clientRows.get>>;
    const current = row.granted === null ? undefined : inForceOrNone({ expiresAt: row.expiresAt, maxDownloads: row.maxDownloads });
    return { id: row.id, username: row.username, ...merged(entry.terms, current) };
  });
  const groupsNow = new Map(currentGroupGrants.map((g) => [g.groupId, g]));
  const groups = groupEntries?.map((entry) => {
    const group = groupRows.get(entry.key) as { id: string; name: string };
    return { id: group.id, name: group.name, ...merged(entry.terms, inForceOrNone(groupsNow.get(group.id))) };
  });

  const details = {
    allClients: everyone !== null,
    clients: clients.length,
    groups: groups ? groups.length : 'unchanged',
    notify: input.notify !== false,
  };
  // Who this share reaches: told, before the change, if they could not see the file until now.
  const reached = { clientIds: clients.map((c) => c.id), groupIds: groups?.map((g) => g.id) ?? [], allClients: everyone !== null };
  const reachesAnyone = reached.clientIds.length + reached.groupIds.length > 0 || reached.allClients;
  const notices = input.notify !== false && reachesAnyone ? [noticesBeforeShare(db, file.id, reached, now)] : [];
  try {
    await db.batch([
      auditWhere(
        db,
        { action: 'file.sharing_replaced', actor, target: { id: file.id, name: file.filename }, details, at: now },
        sql`exists (select 1 from ${files} where ${files.id} = ${file.id})`,
      ),
      ...notices,
      db
        .update(files)
        .set({
          sharedWithAllClients: everyone !== null,
          allClientsExpiresAt: everyone?.expiresAt ?? null,
          allClientsMaxDownloads: everyone?.maxDownloads ?? null,
        })
        .where(eq(files.id, file.id)),
      db.delete(fileGrants).where(eq(fileGrants.fileId, file.id)),
      ...(clients.length
        ? [
            db.insert(fileGrants).values(
              clients.map((c) => ({
                fileId: file.id,
                userId: c.id,
                fileCreatedAt: file.createdAt,
                expiresAt: c.expiresAt,
                maxDownloads: c.maxDownloads,
              })),
            ),
          ]
        : []),
      ...(groups ? [db.delete(groupGrants).where(eq(groupGrants.fileId, file.id))] : []),
      ...(groups?.length
        ? [
            db.insert(groupGrants).values(
              groups.map((g) => ({
                fileId: file.id,
                groupId: g.id,
                fileCreatedAt: file.createdAt,
                expiresAt: g.expiresAt,
                maxDownloads: g.maxDownloads,
              })),
            ),
          ]
        : []),
    ]);
  } catch (error) {
    // The file, a client or a group was deleted between the checks and the batch: nothing was written.
    if (isForeignKeyViolation(error)) throw notFound('The file, or a client or group named, was deleted meanwhile; nothing was changed.');
    throw error;
  }
  return {
    allClients: everyone ? publicTerms(everyone) : false,
    clients: clients.map((c) => ({ id: c.id, username: c.username, ...publicTerms(c) })).sort(byUsername),
    groups: groups
      ? groups.map((g) => ({ id: g.id, name: g.name, ...publicTerms(g) })).sort(byName)
      : (await getSharing(db, file, now)).groups,
  };
}

/** Sets (or, with null, removes) a file's own end, with its audit record; false when there is no such file. */
export async function setFileExpiry(
  db: Database,
  file: Pick<FileRow, 'id' | 'filename'>,
  expiresAt: Date | null,
  actor: { id: string; username: string },
  now: Date,
): Promise<boolean> {
  const [, updated] = await db.batch([
    auditWhere(
      db,
      {
        action: 'file.expiry_set',
        actor,
        target: { id: file.id, name: file.filename },
        details: { expiresAt: expiresAt?.toISOString() ?? null },
        at: now,
      },
      sql`exists (select 1 from ${files} where ${files.id} = ${file.id})`,
    ),
    db.update(files).set({ expiresAt }).where(eq(files.id, file.id)),
  ]);
  return updated.rowsAffected === 1;
}

// ---------------------------------------------------------------------------------------------
// Who can see a file now, and why

export type GrantKind = 'all_clients' | 'direct' | 'group';

export interface AudienceMember {
  client: { id: string; username: string };
  via: Array<{ kind: GrantKind; group: { id: string; name: string } | null } & PublicTerms>;
  /** The grants combined (files.ts), and the file's own end if sooner. */
  expiresAt: string | null;
  maxDownloads: number | null;
  downloadsUsed: number;
  downloadsRemaining: number | null;
  lastDownloadAt: string | null;
}

const KIND_ORDER: Record<GrantKind, number> = { direct: 0, group: 1, all_clients: 2 };

/**
 * The active clients who can see the file now, by username, a page at a time, each with every
 * grant in force that reaches it and what they add up to: the rule's own grants and combination
 * (files.ts), computed for each client of the page in the statement that lists them. With "all
 * clients" in force that is every active client (a walk of users_role_status_idx); otherwise the
 * clients its grants and its groups' members name.
 */
export async function audienceOf(
  db: Database,
  file: FileRow,
  now: Date,
  page: { limit: number; after?: string | undefined },
): Promise<{ items: AudienceMember[]; next: string | null }> {
  const available = file.status === 'ready' && (file.expiresAt === null || file.expiresAt > now);
  if (!available) return { items: [], next: null };
  const everyone = file.sharedWithAllClients && isInForce({ expiresAt: file.allClientsExpiresAt }, now);
  const grants = grantsInForce((id) => sql`${id} = ${file.id}`, users.id, at(now));
  const g = alias(fileGrants, 'wg');
  const gg = alias(groupGrants, 'wgg');
  const gm = alias(groupMembers, 'wgm');
  const d = alias(downloads, 'wd');
  const named: SQL | undefined = everyone
    ? undefined
    : sql`${users.id} in (
        select ${g.userId} from ${fileGrants} ${g} where ${g.fileId} = ${file.id} and ${inForce(g.expiresAt, at(now))}
        union
        select ${gm.userId} from ${groupGrants} ${gg} join ${groupMembers} ${gm} on ${gm.groupId} = ${gg.groupId}
        where ${gg.fileId} = ${file.id} and ${inForce(gg.expiresAt, at(now))})`;
  // One statement written out, not through the select builder: with a single table the builder
  // leaves columns unqualified, and inside the correlated subqueries below `id` would then name
  // the inner table's column instead of the client's.
  const rows = await db.all<{
    id: string;
    username: string;
    grants: string;
    expires_at: number | null;
    max_downloads: number | null;
    used: number;
    last_download_at: number | null;
  }>(sql`
    select ${users.id} as id, ${users.username} as username,
      (select json_group_array(json_array(kind, group_id, expires_at, max_downloads)) from (${grants})) as grants,
      (select expires_at from (${combinedTerms(grants)})) as expires_at,
      (select max_downloads from (${combinedTerms(grants)})) as max_downloads,
      ${downloadsBy(sql`${file.id}`, users.id)} as used,
      (select max(${d.at}) from ${downloads} ${d} where ${d.fileId} = ${file.id} and ${d.userId} = ${users.id}) as last_download_at
    from ${users}
    where ${and(eq(users.role, 'client'), eq(users.status, 'active'), named, page.after !== undefined ? gt(users.username, page.after) : undefined)}
    order by ${users.username} limit ${page.limit + 1}`);

  const pageRows = rows.slice(0, page.limit);
  const parsed = pageRows.map((r) => ({
    ...r,
    grants: JSON.parse(r.grants) as Array<[GrantKind, string | null, number | null, number | null]>,
  }));
  const groupIds = [...new Set(parsed.flatMap((r) => r.grants.flatMap(([, groupId]) => (groupId ? [groupId] : []))))];
  const names = new Map(
    groupIds.length
      ? (
          await db.select({ id: clientGroups.id, name: clientGroups.name }).from(clientGroups).where(inArray(clientGroups.id, groupIds))
        ).map((n) => [n.id, n.name])
      : [],
  );
  const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());
  const items = parsed.map((r): AudienceMember => {
    const grantEnd = r.expires_at === null ? null : new Date(Number(r.expires_at));
    const end = earliest(grantEnd, file.expiresAt);
    const maxDownloads = r.max_downloads === null ? null : Number(r.max_downloads);
    const used = Number(r.used);
    return {
      client: { id: r.id, username: r.username },
      via: r.grants
        .map(([kind, groupId, expiresAt, max]) => ({
          kind,
          group: groupId ? { id: groupId, name: names.get(groupId) ?? '' } : null,
          expiresAt: iso(expiresAt),
          maxDownloads: max,
        }))
        .sort(
          (a, b) =>
            KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || groupNameKey(a.group?.name ?? '').localeCompare(groupNameKey(b.group?.name ?? '')),
        ),
      expiresAt: end?.toISOString() ?? null,
      maxDownloads,
      downloadsUsed: used,
      downloadsRemaining: maxDownloads === null ? null : Math.max(0, maxDownloads - used),
      lastDownloadAt: iso(r.last_download_at),
    };
  });
  const last = pageRows.at(-1);
  return { items, next: rows.length > page.limit && last ? last.username : null };
}

// ---------------------------------------------------------------------------------------------
// Schemas of the answers

const TermsOut = {
  expiresAt: z.iso.datetime().nullable().meta({ description: 'When the grant ends; null: never.' }),
  maxDownloads: z.number().int().nullable().meta({ description: 'Downloads each client may make under it; null: no limit.' }),
};

export const SharingSchema = z
  .object({
    allClients: z
      .union([z.literal(false), z.object(TermsOut).meta({ id: 'AllClientsGrant' })])
      .meta({ description: '`false`, or the terms on which every active client sees the file.' }),
    clients: z.array(z.object({ id: z.string(), username: z.string(), ...TermsOut })).meta({ description: 'By username.' }),
    groups: z.array(z.object({ id: z.string(), name: z.string(), ...TermsOut })).meta({ description: 'By name.' }),
  })
  .meta({
    id: 'Sharing',
    description:
      'The grants in force (ended ones are left out). Each is the object form of what `PUT …/sharing` takes, with ids; write it back as it is, or with bare names.',
  });

const Via = z.object({
  kind: z.enum(['direct', 'group', 'all_clients']),
  group: z.object({ id: z.string(), name: z.string() }).nullable().meta({ description: 'The group, for `kind: group`.' }),
  ...TermsOut,
});

export const AudiencePage = z
  .object({
    items: z.array(
      z.object({
        client: z.object({ id: z.string(), username: z.string() }),
        via: z
          .array(Via)
          .meta({ description: 'Every grant in force that reaches the client: by name, through each of its groups, to all clients.' }),
        expiresAt: z.iso
          .datetime()
          .nullable()
          .meta({ description: 'When the client’s access ends (the grants combined, or the file’s own end if sooner); null: no end.' }),
        maxDownloads: z.number().int().nullable().meta({ description: 'The grants combined: the most generous counts; null: no limit.' }),
        downloadsUsed: z
          .number()
          .int()
          .meta({ description: 'Completed downloads of this file by the client, whichever grant allowed them.' }),
        downloadsRemaining: z.number().int().nullable(),
        lastDownloadAt: z.iso.datetime().nullable(),
      }),
    ),
    nextCursor: z.string().nullable().meta({ description: 'Null on the last page.' }),
  })
  .meta({ id: 'AudiencePage' });
