import { and, desc, eq, getTableColumns, gt, isNull, type SQL, sql } from 'drizzle-orm';
import type { Database } from './db/client';
import { invitations, type Role, type UserRow, users } from './db/schema';
import { hashSecret, newSecret, secretPattern } from './secret-tokens';

/**
 * Invitations: ops invite an email address to sign up with a role (clients; ops accounts only
 * by an administrator). The mail carries a single-use token in a portal link's fragment; only its
 * SHA-256 is kept. Resending replaces the token (the old link stops) and restarts the clock.
 */
export type InvitationRow = typeof invitations.$inferSelect;
export type InvitationStatus = 'pending' | 'used' | 'expired' | 'revoked';

export const invitationStatus = (row: InvitationRow, now: Date): InvitationStatus =>
  row.usedAt ? 'used' : row.revokedAt ? 'revoked' : row.expiresAt <= now ? 'expired' : 'pending';

export interface PublicInvitation {
  id: string;
  email: string;
  role: Role;
  status: InvitationStatus;
  invitedBy: { id: string; username: string | null };
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
}

export async function invitationStart(
  db: Database,
  input: { email: string; role: Role; invitedBy: string; now: Date; ttlSeconds: number },
) {
  const token = newSecret('inv');
  const row: InvitationRow = {
    id: crypto.randomUUID(),
    email: input.email,
    role: input.role,
    tokenHash: await hashSecret(token),
    invitedBy: input.invitedBy,
    createdAt: input.now,
    expiresAt: new Date(input.now.getTime() + input.ttlSeconds * 1000),
    usedAt: null,
    usedBy: null,
    revokedAt: null,
  };
  return { token, row, statement: db.insert(invitations).values(row) };
}

/** A new token and a new expiry for an invitation still waiting to be used (or expired unused). */
export async function invitationRenew(db: Database, id: string, now: Date, ttlSeconds: number) {
  const token = newSecret('inv');
  const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
  return {
    token,
    expiresAt,
    statement: db
      .update(invitations)
      .set({ tokenHash: await hashSecret(token), expiresAt })
      .where(and(eq(invitations.id, id), isNull(invitations.usedAt), isNull(invitations.revokedAt))),
  };
}

export const invitationRevokeStatement = (db: Database, id: string, now: Date) =>
  db
    .update(invitations)
    .set({ revokedAt: now })
    .where(and(eq(invitations.id, id), isNull(invitations.usedAt), isNull(invitations.revokedAt)));

export async function findInvitationById(db: Database, id: string): Promise<InvitationRow | undefined> {
  const [row] = await db.select().from(invitations).where(eq(invitations.id, id));
  return row;
}

/** The invitation a token names, whatever its state; undefined for a token this service never issued. */
export async function findInvitationByToken(db: Database, token: string): Promise<InvitationRow | undefined> {
  if (!secretPattern('inv').test(token)) return undefined;
  const [row] = await db
    .select()
    .from(invitations)
    .where(eq(invitations.tokenHash, await hashSecret(token)));
  return row;
}

export async function listInvitations(db: Database, now: Date, limit: number): Promise<PublicInvitation[]> {
  const rows = await db
    .select({ ...getTableColumns(invitations), inviterName: users.username })
    .from(invitations)
    .leftJoin(users, eq(users.id, invitations.invitedBy))
    .orderBy(desc(invitations.createdAt), desc(invitations.id))
    .limit(limit);
  return rows.map((r) => toPublicInvitation(r, r.inviterName, now));
}

export const toPublicInvitation = (row: InvitationRow, inviterName: string | null, now: Date): PublicInvitation => ({
  id: row.id,
  email: row.email,
  role: row.role,
  status: invitationStatus(row, now),
  invitedBy: { id: row.invitedBy, username: inviterName },
  createdAt: row.createdAt.toISOString(),
  expiresAt: row.expiresAt.toISOString(),
  usedAt: row.usedAt ? row.usedAt.toISOString() : null,
});

/**
 * Accepting: the batch that marks the invitation used and creates the account, in that order.
 * The account is inserted only if this batch is the one that used the invitation, so two
 * sign-ups racing on one invitation give one account; a taken username fails the whole batch and
 * leaves the invitation unused.
 */
export function invitationAcceptStatements(db: Database, invitation: InvitationRow, user: UserRow, now: Date) {
  const usedNow: SQL = sql`exists (select 1 from ${invitations} where ${invitations.id} = ${invitation.id} and ${invitations.usedAt} = ${now.getTime()} and ${invitations.usedBy} = ${user.id})`;
  const columns = getTableColumns(users);
  const names = Object.values(columns).map((c) => sql.identifier(c.name));
  const values = (Object.keys(columns) as Array<keyof typeof columns>).map((k) => {
    const column = columns[k];
    return sql`${column.mapToDriverValue(user[k] as never)}`;
  });
  return [
    db
      .update(invitations)
      .set({ usedAt: now, usedBy: user.id })
      .where(
        and(eq(invitations.id, invitation.id), isNull(invitations.usedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, now)),
      ),
    db.run(sql`insert into ${users} (${sql.join(names, sql`, `)}) select ${sql.join(values, sql`, `)} where ${usedNow}`),
  ] as const;
}
