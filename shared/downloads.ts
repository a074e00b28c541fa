import { desc, eq, sql } from 'drizzle-orm';
import type { Database } from './db/client';
import { param, preparedRun, type SqlRunner } from './db/prepared';
import { deletedUsers, downloads, users } from './db/schema';

/**
 * The audit row of one redemption, written only while the client's downloads of the file are
 * under `maxDownloads` (null: always). Counting and writing are one statement, which the
 * database runs as a whole: of any number of redemptions racing for the last download, one
 * gets it. Prepared: every redemption writes one.
 */
const insertDownload = preparedRun(
  'insertDownload',
  sql`insert into ${downloads} (${sql.identifier(downloads.id.name)}, ${sql.identifier(downloads.fileId.name)}, ${sql.identifier(downloads.userId.name)}, ${sql.identifier(downloads.at.name)})
    select ${param('id')}, ${param('fileId')}, ${param('userId')}, ${param('at')}
    where ${param('maxDownloads')} is null
      or (select count(*) from ${downloads} where ${downloads.fileId} = ${param('fileId')} and ${downloads.userId} = ${param('userId')}) < ${param('maxDownloads')}`,
);

/**
 * The audit: one row per completed link redemption. False when the client has already made
 * `maxDownloads` downloads of the file: nothing was written, and no download may be given.
 */
export async function recordDownload(
  runner: SqlRunner,
  input: { fileId: string; userId: string; at: Date; maxDownloads: number | null },
): Promise<boolean> {
  return (await insertDownload.run(runner, { id: crypto.randomUUID(), ...input })) === 1;
}

/**
 * A file's downloads, newest first. A deleted account is named by its tombstone (deleted_users),
 * e.g. "alice (deleted)": the name is free for someone else by then, so it is marked.
 */
export async function listDownloads(db: Database, fileId: string, limit: number) {
  const rows = await db
    .select({ userId: downloads.userId, username: users.username, deletedUsername: deletedUsers.username, at: downloads.at })
    .from(downloads)
    .leftJoin(users, eq(users.id, downloads.userId))
    .leftJoin(deletedUsers, eq(deletedUsers.id, downloads.userId))
    .where(eq(downloads.fileId, fileId))
    .orderBy(desc(downloads.at), desc(downloads.id))
    .limit(limit);
  return rows.map((r) => ({
    user: { id: r.userId, username: r.username ?? (r.deletedUsername !== null ? `${r.deletedUsername} (deleted)` : '(deleted user)') },
    at: r.at.toISOString(),
  }));
}
