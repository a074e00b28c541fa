import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Database } from './db/client';
import { type FileRow, fileGrants, files, type UserStatus, users } from './db/schema';
import { causes } from './error-chain';
import { ApiError, type FieldProblem, notFound } from './errors';

/** Who a file is shared with: all clients, and the clients granted it by name. */

export interface Sharing {
  allClients: boolean;
  clients: Array<{ id: string; username: string }>;
}

/** Code-unit order, the same as SQLite's default collation, so both sharing routes agree. */
const byUsername = (a: { username: string }, b: { username: string }) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0);

function isForeignKeyViolation(error: unknown): boolean {
  for (const e of causes(error)) {
    if (/FOREIGN KEY constraint failed/i.test(e.message)) return true;
  }
  return false;
}

export async function getSharing(db: Database, file: Pick<FileRow, 'id' | 'sharedWithAllClients'>): Promise<Sharing> {
  const clients = await db
    .select({ id: users.id, username: users.username })
    .from(fileGrants)
    .innerJoin(users, eq(users.id, fileGrants.userId))
    .where(eq(fileGrants.fileId, file.id))
    .orderBy(asc(users.username));
  return { allClients: file.sharedWithAllClients, clients: clients.sort(byUsername) };
}

const unknownUsername = (name: string, index: number): FieldProblem => ({
  path: `clients.${index}`,
  message: `no client is called "${name}"`,
});

const notAClient = (name: string, index: number): FieldProblem => ({
  path: `clients.${index}`,
  message: `"${name}" is not a client; only clients can be granted files`,
});

const NOT_ACTIVE: Record<Exclude<UserStatus, 'active'>, string> = {
  pending: 'is waiting for approval',
  unverified: 'has not confirmed its email yet',
  disabled: 'is disabled',
};

const notActive = (name: string, status: Exclude<UserStatus, 'active'>, index: number): FieldProblem => ({
  path: `clients.${index}`,
  message: `"${name}" ${NOT_ACTIVE[status]}; only active clients can be granted files`,
});

/**
 * The client each username names, by username. Every username must name an active client, or
 * one that already holds a grant on this file (kept, so that a grant set read back and written
 * again with one more name still goes through while a grantee is disabled); otherwise this
 * throws, listing (by position in `usernames`) each one that does not.
 */
async function resolveClients(db: Database, fileId: string, usernames: string[]): Promise<Map<string, { id: string; username: string }>> {
  const distinct = [...new Set(usernames)];
  const found = distinct.length
    ? await db
        .select({ id: users.id, username: users.username, role: users.role, status: users.status, granted: fileGrants.fileId })
        .from(users)
        .leftJoin(fileGrants, and(eq(fileGrants.userId, users.id), eq(fileGrants.fileId, fileId)))
        .where(inArray(users.username, distinct))
    : [];
  const byName = new Map(found.map((u) => [u.username, u]));
  const errors = usernames.flatMap((name, index) => {
    const user = byName.get(name);
    if (!user) return [unknownUsername(name, index)];
    if (user.role !== 'client') return [notAClient(name, index)];
    if (user.status !== 'active' && user.granted === null) return [notActive(name, user.status, index)];
    return [];
  });
  if (errors.length > 0) {
    throw new ApiError(400, 'validation_failed', 'Some usernames are not active clients; nothing was changed.', { errors });
  }
  return new Map(found.map((u) => [u.username, { id: u.id, username: u.username }]));
}

/**
 * Replaces the whole grant set in one atomic batch. Every username must name an active client
 * (or one already granted the file); otherwise nothing changes and the answer lists the ones
 * that do not.
 */
export async function replaceSharing(
  db: Database,
  file: Pick<FileRow, 'id' | 'createdAt'>,
  input: { allClients: boolean; clients: string[] },
): Promise<Sharing> {
  const byName = await resolveClients(db, file.id, input.clients);
  const clients = [...new Set(input.clients)].map((name) => byName.get(name) as { id: string; username: string });
  const grants = clients.map((client) => ({ fileId: file.id, userId: client.id, fileCreatedAt: file.createdAt }));
  try {
    await db.batch([
      db.update(files).set({ sharedWithAllClients: input.allClients }).where(eq(files.id, file.id)),
      db.delete(fileGrants).where(eq(fileGrants.fileId, file.id)),
      ...(grants.length ? [db.insert(fileGrants).values(grants)] : []),
    ]);
  } catch (error) {
    // The file (or a client) was deleted between the checks and the batch: nothing was written.
    if (isForeignKeyViolation(error)) throw notFound();
    throw error;
  }
  return { allClients: input.allClients, clients: clients.sort(byUsername) };
}
