import { and, desc, eq, lt, or } from 'drizzle-orm';
import type { Database } from './db/client';
import { auditEvents } from './db/schema';

/**
 * The ops-visible record of what was done to accounts, invitations, sessions, groups and sharing. Written in the
 * same batch as the change it records (`auditInsert` returns the statement), with names copied
 * in so it still reads after an account is gone. Details never hold a secret.
 */
export const AUDIT_ACTIONS = [
  'user.signed_up',
  'user.approved',
  'user.disabled',
  'user.enabled',
  'user.deleted',
  'user.email_verified',
  'user.password_changed',
  'user.password_reset',
  'user.signed_out_everywhere',
  'session.refresh_reused',
  'invitation.created',
  'invitation.resent',
  'invitation.revoked',
  'invitation.accepted',
  'group.created',
  'group.renamed',
  'group.deleted',
  'group.members_replaced',
  'group.member_added',
  'group.member_removed',
  'file.sharing_replaced',
  'file.expiry_set',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEntry {
  action: AuditAction;
  actor?: { id: string; username: string } | null;
  target?: { id: string; name: string } | null;
  details?: Record<string, string | number | boolean | null>;
  at: Date;
}

export const auditInsert = (db: Database, entry: AuditEntry) =>
  db.insert(auditEvents).values({
    id: crypto.randomUUID(),
    at: entry.at,
    actorId: entry.actor?.id ?? null,
    actorName: entry.actor?.username ?? null,
    action: entry.action,
    targetId: entry.target?.id ?? null,
    targetName: entry.target?.name ?? null,
    details: JSON.stringify(entry.details ?? {}),
  });

export interface PublicAuditEvent {
  id: string;
  at: string;
  action: string;
  actor: { id: string; username: string } | null;
  target: { id: string; name: string } | null;
  details: Record<string, unknown>;
}

/** Newest first, keyset on (at, id); optionally only the events about one account or invitation. */
export async function listAuditEvents(
  db: Database,
  options: { limit: number; before?: { at: number; id: string }; targetId?: string },
): Promise<{ items: PublicAuditEvent[]; next: { at: number; id: string } | null }> {
  const b = options.before;
  const rows = await db
    .select()
    .from(auditEvents)
    .where(
      and(
        options.targetId ? eq(auditEvents.targetId, options.targetId) : undefined,
        b ? or(lt(auditEvents.at, new Date(b.at)), and(eq(auditEvents.at, new Date(b.at)), lt(auditEvents.id, b.id))) : undefined,
      ),
    )
    .orderBy(desc(auditEvents.at), desc(auditEvents.id))
    .limit(options.limit + 1);
  const page = rows.slice(0, options.limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => ({
      id: r.id,
      at: r.at.toISOString(),
      action: r.action,
      actor: r.actorId ? { id: r.actorId, username: r.actorName ?? '' } : null,
      target: r.targetId ? { id: r.targetId, name: r.targetName ?? '' } : null,
      details: JSON.parse(r.details) as Record<string, unknown>,
    })),
    next: rows.length > options.limit && last ? { at: last.at.getTime(), id: last.id } : null,
  };
}
