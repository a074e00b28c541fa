import { and, eq, getTableColumns, or } from 'drizzle-orm';
import type { Database } from './db/client';
import { param, preparedSelect, type SqlRunner } from './db/prepared';
import { type Role, sessions, type UserRow, type UserStatus, users } from './db/schema';
import { causes } from './error-chain';
import { ApiError } from './errors';

export interface PublicUser {
  id: string;
  username: string;
  email: string;
  role: Role;
  status: UserStatus;
  /** Ops only: may also invite and remove ops accounts. */
  admin: boolean;
  /** Clients: emailed when files are shared with them. */
  notifyShares: boolean;
  createdAt: string;
}

export const toPublicUser = (row: UserRow): PublicUser => ({
  id: row.id,
  username: row.username,
  email: row.email,
  role: row.role,
  status: row.status,
  admin: row.admin,
  notifyShares: row.notifyShares,
  createdAt: row.createdAt.toISOString(),
});

const userById = preparedSelect('userById', getTableColumns(users), (q) => q.from(users).where(eq(users.id, param('id'))));

export function findUserById(runner: SqlRunner, id: string): Promise<UserRow | undefined> {
  return userById.first(runner, { id });
}

const principalQuery = preparedSelect(
  'principal',
  { ...getTableColumns(users), sessionRevokedAt: sessions.revokedAt, sessionExpiresAt: sessions.expiresAt },
  (q) =>
    q
      .from(users)
      .innerJoin(sessions, and(eq(sessions.id, param('sid')), eq(sessions.userId, users.id)))
      .where(eq(users.id, param('id'))),
);

/**
 * The user behind an access token with the state of the token's session: read on every
 * authenticated request (one prepared statement), so revocation takes effect at once.
 */
export function findPrincipal(
  runner: SqlRunner,
  userId: string,
  sessionId: string,
): Promise<(UserRow & { sessionRevokedAt: Date | null; sessionExpiresAt: Date }) | undefined> {
  return principalQuery.first(runner, { id: userId, sid: sessionId });
}

/** `login` is a username or an email; both are stored lower-case. */
export async function findUserByLogin(db: Database, login: string): Promise<UserRow | undefined> {
  const value = login.trim().toLowerCase();
  return db.query.users.findFirst({ where: or(eq(users.username, value), eq(users.email, value)) });
}

export type NewUser = {
  username: string;
  email: string;
  passwordHash: string;
  role: Role;
  now: Date;
  status?: UserStatus;
  admin?: boolean;
};

export const newUserRow = (input: NewUser): UserRow => ({
  id: crypto.randomUUID(),
  username: input.username,
  email: input.email,
  passwordHash: input.passwordHash,
  role: input.role,
  tokensValidAfter: input.now,
  createdAt: input.now,
  status: input.status ?? 'active',
  admin: input.admin ?? false,
  notifyShares: true,
});

/** For a batch that creates the user with what goes with it; map its failure with `userConflict`. */
export const insertUserStatement = (db: Database, row: UserRow) => db.insert(users).values(row);

/**
 * Inserts a user. Uniqueness is the database's job (unique indexes), so two racing sign-ups
 * give one row and one 409, never two rows.
 */
export async function createUser(db: Database, input: NewUser): Promise<UserRow> {
  const row = newUserRow(input);
  try {
    await insertUserStatement(db, row);
  } catch (error) {
    throw userConflict(error);
  }
  return row;
}

/** A unique violation on users as the 409 it means; any other error as it is. */
export function userConflict(error: unknown): unknown {
  const taken = uniqueViolation(error);
  if (taken === 'username') return new ApiError(409, 'username_taken', 'That username is already taken.');
  if (taken === 'email') return new ApiError(409, 'email_taken', 'An account with that email already exists.');
  return error;
}

export async function updatePasswordHash(db: Database, userId: string, passwordHash: string): Promise<void> {
  await db.update(users).set({ passwordHash }).where(eq(users.id, userId));
}

/** Every access token issued to the user before `now` stops working (with its sessions ended too). */
export const revokeAccessTokensStatement = (db: Database, userId: string, now: Date) =>
  db.update(users).set({ tokensValidAfter: now }).where(eq(users.id, userId));

function uniqueViolation(error: unknown): 'username' | 'email' | null {
  // drizzle wraps the driver's error; the SQLite message names the column.
  for (const e of causes(error)) {
    if (/UNIQUE constraint failed: users\.username/.test(e.message)) return 'username';
    if (/UNIQUE constraint failed: users\.email/.test(e.message)) return 'email';
  }
  return null;
}

/** Where to tell ops that something waits for them: every active ops account. */
export async function activeOpsEmails(db: Database): Promise<string[]> {
  const rows = await db
    .select({ email: users.email })
    .from(users)
    .where(and(eq(users.role, 'ops'), eq(users.status, 'active')));
  return rows.map((r) => r.email);
}
