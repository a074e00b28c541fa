import { eq, getTableColumns, or } from 'drizzle-orm';
import type { Database } from './db/client';
import { param, preparedSelect, type SqlRunner } from './db/prepared';
import { type Role, type UserRow, users } from './db/schema';
import { causes } from './error-chain';
import { ApiError } from './errors';

export interface PublicUser {
  id: string;
  username: string;
  email: string;
  role: Role;
  createdAt: string;
}

export const toPublicUser = (row: UserRow): PublicUser => ({
  id: row.id,
  username: row.username,
  email: row.email,
  role: row.role,
  createdAt: row.createdAt.toISOString(),
});

const userById = preparedSelect('userById', getTableColumns(users), (q) => q.from(users).where(eq(users.id, param('id'))));

/** The user behind an access token: read on every authenticated request, so it is prepared once. */
export function findUserById(runner: SqlRunner, id: string): Promise<UserRow | undefined> {
  return userById.first(runner, { id });
}

/** `login` is a username or an email; both are stored lower-case. */
export async function findUserByLogin(db: Database, login: string): Promise<UserRow | undefined> {
  const value = login.trim().toLowerCase();
  return db.query.users.findFirst({ where: or(eq(users.username, value), eq(users.email, value)) });
}

/**
 * Inserts a user. Uniqueness is the database's job (unique indexes), so two racing sign-ups
 * give one row and one 409, never two rows.
 */
export async function createUser(
  db: Database,
  input: { username: string; email: string; passwordHash: string; role: Role; now: Date },
): Promise<UserRow> {
  const row: UserRow = {
    id: crypto.randomUUID(),
    username: input.username,
    email: input.email,
    passwordHash: input.passwordHash,
    role: input.role,
    tokensValidAfter: input.now,
    createdAt: input.now,
  };
  try {
    await db.insert(users).values(row);
  } catch (error) {
    const taken = uniqueViolation(error);
    if (taken === 'username') throw new ApiError(409, 'username_taken', 'That username is already taken.');
    if (taken === 'email') throw new ApiError(409, 'email_taken', 'An account with that email already exists.');
    throw error;
  }
  return row;
}

export async function updatePasswordHash(db: Database, userId: string, passwordHash: string): Promise<void> {
  await db.update(users).set({ passwordHash }).where(eq(users.id, userId));
}

/** Every access token issued to the user before `now` stops working. */
export async function revokeAccessTokens(db: Database, userId: string, now: Date): Promise<void> {
  await db.update(users).set({ tokensValidAfter: now }).where(eq(users.id, userId));
}

function uniqueViolation(error: unknown): 'username' | 'email' | null {
  // drizzle wraps the driver's error; the SQLite message names the column.
  for (const e of causes(error)) {
    if (/UNIQUE constraint failed: users\.username/.test(e.message)) return 'username';
    if (/UNIQUE constraint failed: users\.email/.test(e.message)) return 'email';
  }
  return null;
}
