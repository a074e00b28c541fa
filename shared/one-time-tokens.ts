import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Database } from './db/client';
import { type OneTimePurpose, oneTimeTokens, type UserRow, users } from './db/schema';
import { hashSecret, newSecret, secretPattern } from './secret-tokens';

/**
 * Links sent by email to do one thing once: reset a password (30 minutes), verify an email
 * address (2 days). Stored as the SHA-256 of the token; a new one voids the older unused ones of
 * the same purpose, so only the latest mail works.
 */
export const ONE_TIME_TTL_SECONDS: Record<OneTimePurpose, number> = {
  password_reset: 30 * 60,
  email_verification: 2 * 24 * 3600,
};
const KIND = { password_reset: 'pwr', email_verification: 'eml' } as const;

/** The statements that void older tokens and store a new one (for the caller's batch), and the token. */
export async function oneTimeTokenStart(db: Database, userId: string, purpose: OneTimePurpose, now: Date) {
  const token = newSecret(KIND[purpose]);
  return {
    token,
    statements: [
      db
        .update(oneTimeTokens)
        .set({ usedAt: now })
        .where(and(eq(oneTimeTokens.userId, userId), eq(oneTimeTokens.purpose, purpose), isNull(oneTimeTokens.usedAt))),
      db.insert(oneTimeTokens).values({
        hash: await hashSecret(token),
        userId,
        purpose,
        createdAt: now,
        expiresAt: new Date(now.getTime() + ONE_TIME_TTL_SECONDS[purpose] * 1000),
      }),
    ] as const,
  };
}

/** The account a still-usable token of that purpose belongs to, or undefined. Changes nothing. */
export async function findOneTimeToken(
  db: Database,
  token: string,
  purpose: OneTimePurpose,
  now: Date,
): Promise<{ hash: string; user: UserRow } | undefined> {
  if (!secretPattern(KIND[purpose]).test(token)) return undefined;
  const hash = await hashSecret(token);
  const [row] = await db
    .select({ user: users })
    .from(oneTimeTokens)
    .innerJoin(users, eq(users.id, oneTimeTokens.userId))
    .where(
      and(eq(oneTimeTokens.hash, hash), eq(oneTimeTokens.purpose, purpose), isNull(oneTimeTokens.usedAt), gt(oneTimeTokens.expiresAt, now)),
    );
  return row ? { hash, user: row.user } : undefined;
}

/**
 * Uses the token up, if it is still usable: the first statement of the batch that does what it
 * allows. Every later statement of that batch must be made conditional on it (`whileTokenUsedNow`),
 * so a token used twice, even at once, does its thing once.
 */
export const useOneTimeToken = (db: Database, hash: string, now: Date) =>
  db
    .update(oneTimeTokens)
    .set({ usedAt: now })
    .where(and(eq(oneTimeTokens.hash, hash), isNull(oneTimeTokens.usedAt), gt(oneTimeTokens.expiresAt, now)));

/** A condition true only inside the batch that used the token up at `now`. */
export const whileTokenUsedNow = (hash: string, now: Date) =>
  sql`exists (select 1 from ${oneTimeTokens} where ${oneTimeTokens.hash} = ${hash} and ${oneTimeTokens.usedAt} = ${now.getTime()})`;
