import { inArray } from 'drizzle-orm';
import type { Clock } from './clock';
import type { Database } from './db/client';
import { fileGrants, files } from './db/schema';
import { expiredPendingFiles, ownedStorageKeys } from './files';
import type { ObjectStorage } from './storage';

/**
 * Reconciles the database and the object storage after anything a crash or an outage left
 * half-done. Idempotent: running it twice changes nothing the second time.
 *
 * 1. Pending uploads whose URL expired more than `graceSeconds` ago: object (if any) and row go.
 * 2. Objects under `files/` that no pending or ready row owns (a delete whose storage call
 *    failed, a rejection interrupted after its row was written): deleted.
 */
export interface SweepReport {
  expiredUploads: number;
  orphanObjects: number;
}

export async function sweep(deps: { db: Database; storage: ObjectStorage; clock: Clock }, options: { graceSeconds?: number } = {}): Promise<SweepReport> {
  const { db, storage, clock } = deps;
  const cutoff = new Date(clock.now().getTime() - (options.graceSeconds ?? 300) * 1000);
  const report: SweepReport = { expiredUploads: 0, orphanObjects: 0 };

  for (;;) {
    const expired = await expiredPendingFiles(db, cutoff, 100);
    if (expired.length === 0) break;
    for (const file of expired) await storage.delete(file.storageKey);
    const ids = expired.map((f) => f.id);
    await db.batch([db.delete(fileGrants).where(inArray(fileGrants.fileId, ids)), db.delete(files).where(inArray(files.id, ids))]);
    report.expiredUploads += expired.length;
    if (expired.length < 100) break;
  }

  let batch: string[] = [];
  const flush = async () => {
    const owned = await ownedStorageKeys(db, batch);
    for (const key of batch) {
      if (owned.has(key)) continue;
      await storage.delete(key);
      report.orphanObjects++;
    }
    batch = [];
  };
  for await (const key of storage.listKeys('files/')) {
    batch.push(key);
    if (batch.length >= 200) await flush();
  }
  if (batch.length > 0) await flush();
  return report;
}

