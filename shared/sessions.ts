import { and, desc, eq, isNull, ne, sql } from 'drizzle-orm';
import type { Database } from './db/client';
import { refreshTokens, sessions, type UserRow, users } from './db/schema';
import { hashSecret, newSecret, secretPattern } from './secret-tokens';

/**
 * Sessions and their refresh tokens. Signing in starts a session and hands out its first refresh
 * token; each refresh uses the token up and hands out the next (rotation); a used token presented
 * again means it was copied, and ends the whole session. A session also ends when it has been
 * idle too long, reaches its absolute limit, or is signed out; access tokens name their session,
 * and the guard refuses those of a session that ended.
 */
export interface SessionLimits {
  idleSeconds: number;
  maxSeconds: number;
}

export type SessionEndReason =
  | 'signed_out'
  | 'signed_out_everywhere'
  | 'password_changed'
  | 'password_reset'
  | 'refresh_reused'
  | 'account_disabled'
  | 'revoked';

const USER_AGENT_MAX = 200;

/** The statements that start a session (for the caller's batch), and the refresh token to hand out. */
export async function sessionStart(db: Database, input: { userId: string; now: Date; userAgent: string; limits: SessionLimits }) {
  const sessionId = crypto.randomUUID();
  const refreshToken = newSecret('rt');
  const { now } = input;
  return {
    sessionId,
    refreshToken,
    statements: [
      db.insert(sessions).values({
        id: sessionId,
        userId: input.userId,
        createdAt: now,
        lastUsedAt: now,
        expiresAt: new Date(now.getTime() + input.limits.maxSeconds * 1000),
        userAgent: input.userAgent.slice(0, USER_AGENT_MAX),
      }),
      db.insert(refreshTokens).values({ hash: await hashSecret(refreshToken), sessionId, createdAt: now }),
    ] as const,
  };
}

export type RefreshOutcome =
  | { ok: true; user: UserRow; sessionId: string; refreshToken: string; sessionExpiresAt: Date }
  /** Not a token of this service, or its session is over (ended, idle, too old, account stopped). */
  | { ok: false; reason: 'invalid' | 'ended' }
  /** A used token presented again: the session has now been ended. */
  | { ok: false; reason: 'reused'; user: UserRow; sessionId: string };

/** Uses a refresh token up and hands out its successor, atomically: of two racing uses, one wins. */
export async function refreshSession(db: Database, token: string, now: Date, limits: SessionLimits): Promise<RefreshOutcome> {
  if (!secretPattern('rt').test(token)) return { ok: false, reason: 'invalid' };
  const hash = await hashSecret(token);
  const [row] = await db
    .select({ usedAt: refreshTokens.usedAt, session: sessions, user: users })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(refreshTokens.hash, hash));
  if (!row) return { ok: false, reason: 'invalid' };
  const { session, user } = row;
  if (session.revokedAt) return { ok: false, reason: 'ended' };
  if (row.usedAt) {
    await endSession(db, session.id, now, 'refresh_reused');
    return { ok: false, reason: 'reused', user, sessionId: session.id };
  }
  const idleFor = now.getTime() - session.lastUsedAt.getTime();
  if (now >= session.expiresAt || idleFor > limits.idleSeconds * 1000 || user.status === 'disabled') {
    return { ok: false, reason: 'ended' };
  }
  const next = newSecret('rt');
  const nextHash = await hashSecret(next);
  const t = now.getTime();
  // The successor is written only if this statement batch is the one that used the token up.
  const [used] = await db.batch([
    db
      .update(refreshTokens)
      .set({ usedAt: now })
      .where(and(eq(refreshTokens.hash, hash), isNull(refreshTokens.usedAt))),
    db.run(sql`insert into ${refreshTokens} (hash, session_id, created_at) select ${nextHash}, ${session.id}, ${t} where changes() = 1`),
    db.update(sessions).set({ lastUsedAt: now }).where(eq(sessions.id, session.id)),
  ]);
  if (used.rowsAffected !== 1) {
    // Another request used it between the read and the write: the same token twice.
    await endSession(db, session.id, now, 'refresh_reused');
    return { ok: false, reason: 'reused', user, sessionId: session.id };
  }
  return { ok: true, user, sessionId: session.id, refreshToken: next, sessionExpiresAt: session.expiresAt };
}

export const endSessionStatement = (db: Database, sessionId: string, now: Date, reason: SessionEndReason) =>
  db
    .update(sessions)
    .set({ revokedAt: now, revokedReason: reason })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));

export async function endSession(db: Database, sessionId: string, now: Date, reason: SessionEndReason): Promise<void> {
  await endSessionStatement(db, sessionId, now, reason);
}

/** Ends every session of the user, or every one but `except` (the caller's own). */
export const endSessionsStatement = (db: Database, userId: string, now: Date, reason: SessionEndReason, except?: string) =>
  db
    .update(sessions)
    .set({ revokedAt: now, revokedReason: reason })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), except ? ne(sessions.id, except) : undefined));

export interface PublicSession {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  userAgent: string;
  current: boolean;
}

/** The user's sessions that can still be refreshed, newest activity first. */
export async function listSessions(
  db: Database,
  userId: string,
  currentId: string,
  now: Date,
  limits: SessionLimits,
): Promise<PublicSession[]> {
  const rows = await db
    .select()
    .from(sessions)
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)))
    .orderBy(desc(sessions.lastUsedAt));
  return rows
    .filter((s) => s.expiresAt > now && now.getTime() - s.lastUsedAt.getTime() <= limits.idleSeconds * 1000)
    .map((s) => ({
      id: s.id,
      createdAt: s.createdAt.toISOString(),
      lastUsedAt: s.lastUsedAt.toISOString(),
      expiresAt: s.expiresAt.toISOString(),
      userAgent: s.userAgent,
      current: s.id === currentId,
    }));
}
