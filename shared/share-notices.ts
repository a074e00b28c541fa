import { and, asc, eq, inArray, lte, type SQL, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import type { Config } from './config';
import type { Database } from './db/client';
import { fileGrants, files, groupGrants, groupMembers, shareNotices, users } from './db/schema';
import { inForce, isAvailable, visibleToClient } from './files';
import { sharedFilesNotice } from './notices';
import { newMessageId } from './outbox';
import { outboxWhere } from './user-admin';

/**
 * Telling clients that files were shared with them, without a message per share. A change that
 * gives clients access writes, in its own batch and before it takes effect, one row per client
 * and file into share_notices, for the active clients who want these emails (`notify_shares`)
 * and could not see the file until now (the one rule, files.ts, read before the change). The
 * sweep gathers a client's rows into one email once the oldest is GATHER_SECONDS old, naming
 * the files still visible to it then and linking to the portal, never to a file: downloads
 * need the client signed in.
 */
export const GATHER_SECONDS = 120;

const at = (now: Date) => sql`${now.getTime()}`;

/** Who may be told: active clients who have not turned these emails off. */
const wantsNotices = sql`${users.role} = 'client' and ${users.status} = 'active' and ${users.notifyShares} = 1`;

const insertNotices = (select: SQL) =>
  sql`insert into ${shareNotices} (${sql.identifier(shareNotices.userId.name)}, ${sql.identifier(shareNotices.fileId.name)}, ${sql.identifier(shareNotices.createdAt.name)})
    ${select}
    on conflict do nothing`;

const gm = alias(groupMembers, 'ngm');
const gg = alias(groupGrants, 'ngg');
const fg = alias(fileGrants, 'nfg');

/** The clients a share reaches, as a list of ids to start from (never a walk of every account, unless it is "all clients"). */
export interface Reached {
  clientIds: string[];
  groupIds: string[];
  allClients: boolean;
}

const reachedIds = (reached: Reached): SQL =>
  sql.join(
    [
      reached.clientIds.length ? sql`select value as id from json_each(${JSON.stringify(reached.clientIds)})` : undefined,
      reached.groupIds.length
        ? sql`select ${gm.userId} as id from ${groupMembers} ${gm} where ${gm.groupId} in (select value from json_each(${JSON.stringify(reached.groupIds)}))`
        : undefined,
      reached.allClients ? sql`select ${users.id} as id from ${users} where ${wantsNotices}` : undefined,
    ].filter((part): part is SQL => part !== undefined),
    sql` union `,
  );

/**
 * For the batch of a share, before its changes: the clients it reaches who cannot see the file
 * yet and will be told. Nothing is written for a file that is not ready.
 */
export function noticesBeforeShare(db: Database, fileId: string, reached: Reached, now: Date) {
  return db.run(
    insertNotices(sql`select ${users.id}, ${fileId}, ${now.getTime()} from (${reachedIds(reached)}) reached
      cross join ${users} on ${users.id} = reached.id
      cross join ${files} on ${files.id} = ${fileId}
      where ${wantsNotices} and ${isAvailable(files, at(now))} and not ${visibleToClient(files, users.id, at(now))}`),
  );
}

/**
 * For the batch that adds clients to a group, before they are added: the group's files (ready,
 * grant in force) that each new member cannot see yet.
 */
export const noticesBeforeJoining = (db: Database, groupId: string, userIds: string[], now: Date) =>
  db.run(
    insertNotices(sql`select ${users.id}, ${gg.fileId}, ${now.getTime()} from json_each(${JSON.stringify(userIds)}) joining
      cross join ${users} on ${users.id} = joining.value
      cross join ${groupGrants} ${gg} on ${gg.groupId} = ${groupId} and ${inForce(gg.expiresAt, at(now))}
      cross join ${files} on ${files.id} = ${gg.fileId}
      where ${wantsNotices} and ${isAvailable(files, at(now))} and not ${visibleToClient(files, users.id, at(now))}`),
  );

/**
 * For the batch that makes a file ready, after that change: everyone who can see it now (nobody
 * could before), found from its grants, or among all clients when it is shared with them.
 */
export const noticesOnceReady = (db: Database, fileId: string, now: Date) =>
  db.run(
    insertNotices(sql`select ${users.id}, ${fileId}, ${now.getTime()} from (
        select ${fg.userId} as id from ${fileGrants} ${fg} where ${fg.fileId} = ${fileId}
        union
        select ${gm.userId} from ${groupGrants} ${gg} join ${groupMembers} ${gm} on ${gm.groupId} = ${gg.groupId} where ${gg.fileId} = ${fileId}
        union
        select ${users.id} from ${users} where ${wantsNotices}
          and exists (select 1 from ${files} where ${files.id} = ${fileId} and ${files.sharedWithAllClients} = 1)
      ) reached
      cross join ${users} on ${users.id} = reached.id
      cross join ${files} on ${files.id} = ${fileId}
      where ${wantsNotices} and ${visibleToClient(files, users.id, at(now))}`),
  );

export interface NoticeReport {
  /** Messages written to the outbox; their ids, for delivery. */
  messageIds: string[];
  /** Clients whose notices went without a message (no file still visible, emails turned off, no longer active). */
  dropped: number;
}

/**
 * Turns the notices of up to `limit` clients whose oldest notice is at least GATHER_SECONDS old
 * into one message each, written to the outbox with the removal of the rows it covers, in one
 * batch. The message is written only while its first row is still there, so two sweeps at once
 * write it once. Notices arriving meanwhile stay for the next message.
 */
export async function flushShareNotices(
  db: Database,
  brand: Pick<Config, 'appName' | 'publicUrl'>,
  now: Date,
  limit = 100,
): Promise<NoticeReport> {
  const report: NoticeReport = { messageIds: [], dropped: 0 };
  const cutoff = new Date(now.getTime() - GATHER_SECONDS * 1000);
  // Oldest first, by share_notices_created_idx: the clients with a notice past the window.
  const oldest = await db
    .select({ userId: shareNotices.userId })
    .from(shareNotices)
    .where(lte(shareNotices.createdAt, cutoff))
    .orderBy(asc(shareNotices.createdAt))
    .limit(limit * 10);
  const due = [...new Set(oldest.map((n) => n.userId))].slice(0, limit);
  for (const userId of due) {
    const [user] = await db
      .select({ username: users.username, email: users.email, status: users.status, notifyShares: users.notifyShares })
      .from(users)
      .where(eq(users.id, userId));
    const rows = await db.select({ fileId: shareNotices.fileId }).from(shareNotices).where(eq(shareNotices.userId, userId));
    const first = rows[0];
    if (!first) continue;
    const ids = rows.map((r) => r.fileId);
    const visible = await db.all<{ filename: string }>(sql`
      select ${files.filename} as filename from ${files}
      where ${files.id} in (select value from json_each(${JSON.stringify(ids)})) and ${visibleToClient(files, sql`${userId}`, at(now))}
      order by ${files.createdAt}, ${files.id}`);
    const covered = db.delete(shareNotices).where(and(eq(shareNotices.userId, userId), inArray(shareNotices.fileId, ids)));
    if (user?.status !== 'active' || !user.notifyShares || visible.length === 0) {
      await covered;
      report.dropped++;
      continue;
    }
    const mail = {
      ...sharedFilesNotice(
        brand,
        user,
        visible.map((f) => f.filename),
      ),
      id: newMessageId(),
    };
    const stillDue = sql`exists (select 1 from ${shareNotices} where ${shareNotices.userId} = ${userId} and ${shareNotices.fileId} = ${first.fileId})`;
    const [written] = await db.batch([outboxWhere(db, mail, now, stillDue), covered]);
    if (written.rowsAffected === 1) report.messageIds.push(mail.id);
  }
  return report;
}
