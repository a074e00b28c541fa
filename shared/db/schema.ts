import { sql } from 'drizzle-orm';
import { check, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** The single source of truth for the database; `npm run db:generate` turns it into migrations/. */

export const ROLES = ['ops', 'client'] as const;
export type Role = (typeof ROLES)[number];

export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    /** Stored lower-case; the unique index is what settles racing sign-ups. */
    username: text('username').notNull(),
    /** Stored lower-case. */
    email: text('email').notNull(),
    passwordHash: text('password_hash').notNull(),
    role: text('role', { enum: ROLES }).notNull(),
    /** Access tokens issued before this instant (ms) are refused: logout, password change. */
    tokensValidAfter: integer('tokens_valid_after', { mode: 'timestamp_ms' }).notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    uniqueIndex('users_username_unique').on(t.username),
    uniqueIndex('users_email_unique').on(t.email),
    check('users_role_check', sql`${t.role} in ('ops', 'client')`),
    check('users_username_lower', sql`${t.username} = lower(${t.username})`),
    check('users_email_lower', sql`${t.email} = lower(${t.email})`),
  ],
);

export type UserRow = typeof users.$inferSelect;
