import { desc, eq, sql } from 'drizzle-orm';
import type { Database } from './db/client';
import { param, preparedRun, type SqlRunner } from './db/prepared';
import { deletedUsers, downloads, users } from './db/schema';

const insertDownload = preparedRun(
  'insertDownload',
  sql`insert into ${downloads} (${sql.identifier(downloads.id.name)}, ${sql.identifier(downloads.fileId.name)}, ${sql.identifier(downloads.userId.name)}, ${sql.identifier(downloads.at.name)}) values (${param('id')}, ${param('fileId')}, ${param('userId')}, ${param('at')})`,
);

/** The audit: one row per completed link redemption (prepared: every redemption writes one). */
export async function recordDownload(runner: SqlRunner, input: { fileId: string; userId: string; at: Date }): Promise<void> {
  await insertDownload.run(runner, { id: crypto.randomUUID(), ...input });
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
