import { desc, eq } from 'drizzle-orm';
import type { Database } from './db/client';
import { downloads, users } from './db/schema';

/** The audit: one row per completed link redemption. */
export async function recordDownload(db: Database, input: { fileId: string; userId: string; at: Date }): Promise<void> {
  await db.insert(downloads).values({ id: crypto.randomUUID(), ...input });
}

export async function listDownloads(db: Database, fileId: string, limit: number) {
  const rows = await db
    .select({ userId: downloads.userId, username: users.username, at: downloads.at })
    .from(downloads)
    .leftJoin(users, eq(users.id, downloads.userId))
    .where(eq(downloads.fileId, fileId))
    .orderBy(desc(downloads.at), desc(downloads.id))
    .limit(limit);
  return rows.map((r) => ({ user: { id: r.userId, username: r.username ?? '(deleted user)' }, at: r.at.toISOString() }));
}
